package budget_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// The client comes first, then the controller that reads the balance
// through it. Each paid call is reserved, made with the rows granted, and
// settled from its response.
func Example() {
	now := func() time.Time { return time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC) }
	srv := sandbox.New(sandbox.Config{Now: now, RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	key := srv.NewWorkspace(sandbox.Credits{Recurring: 500})

	client, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(key))
	if err != nil {
		panic(err)
	}
	ctrl, err := budget.New(budget.Config{MaxCredits: 120, Now: now, Usage: client})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if _, err := ctrl.Refresh(ctx); err != nil {
		panic(err)
	}

	for range 3 {
		res, err := ctrl.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 50})
		if h, ok := budget.AsHalt(err); ok {
			fmt.Println("halted:", h.Code, "-", h.Advice().Action)
			break
		}
		resp, err := client.Do(ctx, &runtime.Request{Path: "/v1/ads", Operation: "listAds",
			Query: url.Values{"search": {"coffee"}, "limit": {fmt.Sprint(res.Rows)}}})
		err = res.Finish(ctx, resp, err)
		fmt.Printf("rows %d (fitted %v), err %v\n", res.Rows, res.Fitted, err)
	}
	st, err := ctrl.Status(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("spent", st.RunSpent, "of", *st.RunCap, "- balance", *st.CreditsRemaining, "- refill", st.RefillAt.Format(time.DateOnly))
	// Output:
	// rows 50 (fitted false), err <nil>
	// rows 50 (fitted false), err <nil>
	// rows 20 (fitted true), err <nil>
	// spent 120 of 120 - balance 380 - refill 2026-12-01
}
