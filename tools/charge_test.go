package tools_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestAccountIsToldOfEveryAPICall checks Config.Account and
// Result.Charge: once per call of an API operation (succeeded, failed or
// halted), with what it reserved and was charged, and never for a local
// tool or a call refused before it ran.
func TestAccountIsToldOfEveryAPICall(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []tools.Charge
	)
	e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 12}, Box: tools.Config{
		Account: func(_ context.Context, tl *tools.Tool, _ map[string]any, r *tools.Result) {
			mu.Lock()
			defer mu.Unlock()
			if r.Charge == nil || r.Charge.Operation != tl.Operation {
				t.Errorf("%s: Charge %+v", tl.Name, r.Charge)
				return
			}
			got = append(got, *r.Charge)
		}}})
	ctx := context.Background()
	ok := e.Box.Call(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 12})
	e.Box.Call(ctx, "get_budget", nil)                              // local: not told
	e.Box.Call(ctx, "search_ads", map[string]any{"limit": "many"})  // invalid: not told
	e.Box.Call(ctx, "get_ad", map[string]any{"adId": "facebook_0"}) // halted: the cap is spent
	if ok.IsError || ok.Charge == nil {
		t.Fatalf("search_ads: %s", ok.JSON())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("Account was told of %d calls, want 2: %+v", len(got), got)
	}
	s, h := got[0], got[1]
	if s.Reserved != 12 || s.Charged != e.SB.Spent(e.Key) || s.Status != 200 || s.Outcome != tools.OutcomeOK || s.RequestID == "" || s.Source != "" {
		t.Errorf("the success's charge: %+v (sandbox charged %d)", s, e.SB.Spent(e.Key))
	}
	if h.Reserved != 0 || h.Charged != 0 || h.Status != 0 || h.Outcome != budget.CodeCapReached || h.Source != budget.SourceBudget {
		t.Errorf("the halt's charge: %+v", h)
	}
}
