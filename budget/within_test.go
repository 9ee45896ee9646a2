package budget_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// TestWithinFitsBothBudgets checks a client's cap inside a deployment's
// budget: each of two clients is held to its own cap while the other
// spends, the deployment's cap holds for both, and each sees its own view.
func TestWithinFitsBothBudgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	deploy, _ := withBalance(t, budget.Config{MaxCredits: 60, Reserve: 100}, 1000)
	alice := newCtrl(t, budget.Config{MaxCredits: 30, Within: deploy})
	bob := newCtrl(t, budget.Config{MaxCredits: 50, Within: deploy})

	call := func(c *budget.Controller, rows int64) (budget.Grant, error) {
		r, err := c.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: rows})
		if err != nil {
			return budget.Grant{}, err
		}
		settle(t, r, runtime.Metering{UsageCost: runtime.Known(r.Rows)})
		return r.Grant, nil
	}
	if g, err := call(alice, 20); err != nil || g.Rows != 20 {
		t.Fatalf("alice's first call: %+v %v", g, err)
	}
	if g, err := call(bob, 20); err != nil || g.Rows != 20 {
		t.Fatalf("bob's first call: %+v %v", g, err)
	}
	if g, err := call(alice, 20); err != nil || g.Rows != 10 || !g.Fitted {
		t.Fatalf("alice fitted to her cap: %+v %v", g, err)
	}
	_, err := call(alice, 5)
	h := mustHalt(t, err, budget.CodeCapReached)
	if *h.Status.RunCap != 30 || h.Status.RunSpent != 30 {
		t.Errorf("alice's halt shows %+v, want her own cap and spend", h.Status)
	}
	if g, err := call(bob, 20); err != nil || g.Rows != 10 || !g.Fitted {
		t.Fatalf("bob fitted to the deployment's cap: %+v %v", g, err)
	}
	_, err = call(bob, 1)
	h = mustHalt(t, err, budget.CodeCapReached)
	if *h.Status.RunCap != 50 || h.Status.RunSpent != 30 || h.Status.Available != 0 {
		t.Errorf("bob's halt shows %+v, want his own cap, his spend and nothing available", h.Status)
	}
	st := status(t, bob)
	if st.RunSpent != 30 || *st.RunCap != 50 || st.Reserve != 100 || st.CreditsRemaining == nil || st.RefillAt == nil {
		t.Errorf("bob's view %+v: want his spend and cap with the workspace's floor, balance and refill", st)
	}
	if d := status(t, deploy); d.RunSpent != 60 || d.InFlight != 0 {
		t.Errorf("the deployment's view %+v, want 60 spent and nothing held", d)
	}
	if a := status(t, alice); a.InFlight != 0 || a.RunSpent != 30 {
		t.Errorf("alice's view %+v", a)
	}
}

// TestWithinReleasesBothWhenACallFails checks that a failed call holds
// nothing in either budget, and that the floor of the outer one binds.
func TestWithinReleasesBothWhenACallFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	deploy, _ := withBalance(t, budget.Config{MaxCredits: budget.Unlimited, Reserve: 990}, 1000)
	alice := newCtrl(t, budget.Config{MaxCredits: 500, Within: deploy})
	r, err := alice.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 50})
	if err != nil || r.Rows != 10 || !r.Fitted {
		t.Fatalf("fitted to the floor: %+v %v", r, err)
	}
	if status(t, alice).InFlight != 10 || status(t, deploy).InFlight != 10 {
		t.Fatalf("holds: alice %d, deployment %d", status(t, alice).InFlight, status(t, deploy).InFlight)
	}
	if err := r.Finish(ctx, nil, errors.New("network down")); err == nil {
		t.Fatal("Finish swallowed the error")
	}
	if status(t, alice).InFlight != 0 || status(t, deploy).InFlight != 0 {
		t.Fatalf("a failed call still holds: alice %d, deployment %d", status(t, alice).InFlight, status(t, deploy).InFlight)
	}
	if _, err := alice.Reserve(ctx, budget.Ask{Operation: "getAd", Fixed: 1}); err != nil {
		t.Fatalf("a one-credit call within the floor: %v", err)
	}
	g, err := alice.Preview(ctx, budget.Ask{Operation: "listAds", Rows: 50})
	if err != nil || g.Rows != 9 {
		t.Errorf("Preview inside: %+v %v (one credit is held, nine left above the floor)", g, err)
	}
}
