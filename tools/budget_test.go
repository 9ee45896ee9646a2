package tools_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestBudgetHaltsAreAdviceFromTheBudget checks each halt of the controller:
// an isError result with source "budget", sent before any request.
func TestBudgetHaltsAreAdviceFromTheBudget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		cfg    testenv.Config
		before func(t *testing.T, e *testenv.Env) // brings the budget to the halt
		code   string
		action string // a word the action must hold
	}{
		{
			name: "cap reached",
			cfg:  testenv.Config{Budget: &budget.Config{MaxCredits: 3}},
			before: func(t *testing.T, e *testenv.Env) {
				res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 3})
				if res.IsError || len(testenv.Rows(t, sc)) != 3 {
					t.Fatalf("the call that spends the cap failed: %s", testenv.MustJSON(sc))
				}
			},
			code: budget.CodeCapReached, action: "cap",
		},
		{
			name: "floor reached",
			cfg:  testenv.Config{Budget: &budget.Config{MaxCredits: 1000, Reserve: 10000}},
			before: func(t *testing.T, e *testenv.Env) {
				if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
					t.Fatal(err)
				}
			},
			code: budget.CodeFloorReached, action: "reserve",
		},
		{
			name: "exhausted after a real 402",
			before: func(t *testing.T, e *testenv.Env) {
				if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
					t.Fatal(err)
				}
				e.SB.SetCredits(e.Key, sandbox.Credits{Recurring: 5})
				res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 20})
				ad := testenv.WantAdvice(t, res, sc, runtime.CodeInsufficientCredits, runtime.SourceAPI)
				if ad["httpStatus"] != float64(402) {
					t.Fatalf("the 402 advice has httpStatus %v", ad["httpStatus"])
				}
			},
			code: budget.CodeExhausted, action: "out of credits",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, tc.cfg)
			tc.before(t, e)
			requests := e.SB.Requests()
			res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1})
			ad := testenv.WantAdvice(t, res, sc, tc.code, budget.SourceBudget)
			if ad["retryable"] != false {
				t.Errorf("retryable = %v, want false", ad["retryable"])
			}
			if _, ok := ad["httpStatus"]; ok {
				t.Errorf("a budget halt has httpStatus %v; the API was not asked", ad["httpStatus"])
			}
			if a, _ := ad["action"].(string); !strings.Contains(a, tc.action) {
				t.Errorf("action %q does not mention %q", a, tc.action)
			}
			testenv.WantBudget(t, sc)
			if got := e.SB.Requests(); got != requests {
				t.Errorf("a halted call sent %d requests, want 0", got-requests)
			}
			// Free tools still work after a halt.
			if res, sc := e.Call(t, "lookup", map[string]any{"q": "coffee"}); res.IsError {
				t.Errorf("lookup (free) failed after a halt: %s", testenv.MustJSON(sc))
			}
		})
	}
}

func TestBudgetFitsAPageToWhatIsLeft(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 50}, Box: tools.Config{MaxResultBytes: 1 << 20}})
	if res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 20}); res.IsError {
		t.Fatalf("first call failed: %s", testenv.MustJSON(sc))
	}
	// 30 credits are left under the cap; ask for 100 rows.
	res, sc := e.Call(t, "search_ads", map[string]any{"search": "e", "limit": 100})
	if res.IsError {
		t.Fatalf("a call that fits partly was refused: %s", testenv.MustJSON(sc))
	}
	if n := len(testenv.Rows(t, sc)); n != 30 {
		t.Errorf("got %d rows, want 30 (the limit fitted to the budget)", n)
	}
	notes := testenv.MustJSON(sc["notes"])
	if !strings.Contains(notes, "limit lowered from 100 to 30") {
		t.Errorf("notes %s do not say the limit was lowered from 100 to 30", notes)
	}
	if w, _ := testenv.Obj(t, sc, "budget")["warning"].(string); w == "" || !strings.Contains(notes, w) {
		t.Errorf("notes %s do not carry the budget's warning %q that the cap is spent", notes, w)
	}
	if l := testenv.Num(t, testenv.Obj(t, sc, "pagination"), "limit"); l != 30 {
		t.Errorf("pagination.limit = %d, want 30", l)
	}
	if next, ok := sc["nextPage"].(map[string]any); ok && testenv.Num(t, next, "limit") != 30 {
		t.Errorf("nextPage.limit = %v, want 30 (what was really asked)", next["limit"])
	}
	if c := testenv.Num(t, testenv.Obj(t, sc, "metering"), "cost"); c != 30 {
		t.Errorf("metering.cost = %d, want 30", c)
	}
	if st := e.Ctrl.Status(); st.RunSpent != 50 || st.InFlight != 0 {
		t.Errorf("budget: runSpent %d inFlight %d, want 50 and 0", st.RunSpent, st.InFlight)
	}
}

func TestBudgetWarnsPastEightyPercentOfTheCap(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 100}})
	_, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 10})
	if _, ok := sc["notes"]; ok {
		t.Errorf("a call at 10%% of the cap carries notes: %s", testenv.MustJSON(sc["notes"]))
	}
	res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 75, "page": 2})
	if res.IsError {
		t.Fatalf("call failed: %s", testenv.MustJSON(sc))
	}
	w, _ := testenv.Obj(t, sc, "budget")["warning"].(string)
	if w == "" {
		t.Errorf("budget.warning is empty past 80%% of the cap")
	}
	if notes, _ := sc["notes"].([]any); len(notes) != 1 || notes[0] != w {
		t.Errorf("notes = %s, want the one budget warning %q", testenv.MustJSON(notes), w)
	}
}

func TestGetBudgetReportsTheRunAndTheBalance(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 500, Reserve: 100}})
	e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 7})
	res, sc := e.Call(t, tools.ToolGetBudget, nil)
	if res.IsError {
		t.Fatalf("get_budget failed: %s", testenv.MustJSON(sc))
	}
	b := testenv.Obj(t, sc, "budget")
	for k, want := range map[string]int64{"runSpent": 7, "runCap": 500, "reserve": 100, "inFlight": 0, "creditsRemaining": 9993, "available": 493} {
		if got := testenv.Num(t, b, k); got != want {
			t.Errorf("budget.%s = %d, want %d", k, got, want)
		}
	}
	// The refill date was not known yet: this once, get_budget asked.
	if b["balanceSource"] != budget.SourceUsage {
		t.Errorf("budget.balanceSource = %v, want %s (the first get_budget learns the refill date)", b["balanceSource"], budget.SourceUsage)
	}
	if b["refillAt"] == nil {
		t.Errorf("budget.refillAt is missing")
	}
	if got := testenv.Num(t, testenv.Obj(t, sc, "usage", "credits"), "totalRemaining"); got != 9993 {
		t.Errorf("usage.credits.totalRemaining = %d, want 9993", got)
	}
}

// TestGetBudgetAsksTheAPIOnlyWhenTheBalanceIsStale checks that get_budget
// is served from the controller: a paid call's headers keep the balance
// fresh, and GET /v1/usage is called again only once it is stale.
func TestGetBudgetAsksTheAPIOnlyWhenTheBalanceIsStale(t *testing.T) {
	t.Parallel()
	clock := testenv.NewFakeClock()
	e := testenv.New(t, testenv.Config{Clock: clock, Budget: &budget.Config{MaxCredits: 500, Now: clock.Now}})
	if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 5})
	before := e.SB.Requests()
	for range 3 {
		_, sc := e.Call(t, tools.ToolGetBudget, nil)
		if got := testenv.Num(t, testenv.Obj(t, sc, "budget"), "creditsRemaining"); got != 9995 {
			t.Errorf("budget.creditsRemaining = %d, want 9995", got)
		}
		if _, ok := sc["usage"]; ok {
			t.Errorf("get_budget called /v1/usage for a fresh balance: %s", testenv.MustJSON(sc))
		}
	}
	if n := e.SB.Requests() - before; n != 0 {
		t.Errorf("three get_budget calls with a fresh balance made %d API requests, want 0", n)
	}
	clock.Advance(budget.DefaultStaleAfter + time.Minute)
	_, sc := e.Call(t, tools.ToolGetBudget, nil)
	if n := e.SB.Requests() - before; n != 1 {
		t.Errorf("get_budget with a stale balance made %d API requests, want 1 (GET /v1/usage)", n)
	}
	b := testenv.Obj(t, sc, "budget")
	if b["stale"] != false || b["balanceSource"] != budget.SourceUsage {
		t.Errorf("after the refresh budget = %s, want a fresh balance from usage", testenv.MustJSON(b))
	}
}

func TestGetBudgetWithoutAController(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoBudget: true})
	res, sc := e.Call(t, tools.ToolGetBudget, nil)
	if res.IsError {
		t.Fatalf("get_budget failed: %s", testenv.MustJSON(sc))
	}
	if _, ok := sc["budget"]; ok {
		t.Errorf("get_budget without a controller reports a budget: %s", testenv.MustJSON(sc))
	}
	if n, _ := sc["note"].(string); !strings.Contains(n, "No budget controller") {
		t.Errorf("note = %q, want it to say no budget is enforced", n)
	}
	if got := testenv.Num(t, testenv.Obj(t, sc, "usage", "credits"), "totalRemaining"); got != 10000 {
		t.Errorf("usage.credits.totalRemaining = %d, want 10000", got)
	}
	// Calls go straight to the API, and their results carry no budget.
	res, sc = e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 2})
	if res.IsError {
		t.Fatalf("search_ads failed: %s", testenv.MustJSON(sc))
	}
	if _, ok := sc["budget"]; ok {
		t.Errorf("a result without a controller carries a budget: %s", testenv.MustJSON(sc["budget"]))
	}
}

func TestEstimateCostReservesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		max       int64
		args      map[string]any
		worst     int64
		allowed   bool
		runsWith  int64 // fitted limit; 0 when not fitted
		wouldHalt string
	}{
		{"fits", 1000, map[string]any{"tool": "search_ads", "arguments": map[string]any{"search": "coffee", "limit": 50}}, 50, true, 0, ""},
		{"default limit", 1000, map[string]any{"tool": "search_shops"}, 32, true, 0, ""},
		{"per item", 1000, map[string]any{"tool": "get_ad", "arguments": map[string]any{"adId": "x"}}, 1, true, 0, ""},
		{"free", 1, map[string]any{"tool": "lookup", "arguments": map[string]any{"q": "coffee"}}, 0, true, 0, ""},
		{"fitted", 30, map[string]any{"tool": "search_ads", "arguments": map[string]any{"search": "e", "limit": 100}}, 100, true, 30, ""},
		{"would halt", 0, map[string]any{"tool": "get_ad", "arguments": map[string]any{"adId": "x"}}, 1, false, 0, budget.CodeCapReached},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := &budget.Config{MaxCredits: tc.max}
			if tc.max == 0 {
				cfg.MaxCredits = 1
			}
			e := testenv.New(t, testenv.Config{Budget: cfg})
			if tc.max == 0 {
				// Spend the one credit of the cap.
				e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1})
			}
			before, requests := e.Ctrl.Status(), e.SB.Requests()
			res, sc := e.Call(t, tools.ToolEstimateCost, tc.args)
			if res.IsError {
				t.Fatalf("estimate_cost failed: %s", testenv.MustJSON(sc))
			}
			if got := testenv.Num(t, sc, "worstCase"); got != tc.worst {
				t.Errorf("worstCase = %d, want %d", got, tc.worst)
			}
			if sc["allowed"] != tc.allowed {
				t.Errorf("allowed = %v, want %v", sc["allowed"], tc.allowed)
			}
			if r, _ := sc["costRule"].(string); r == "" {
				t.Errorf("costRule is empty")
			}
			if tc.runsWith != 0 {
				if got := testenv.Num(t, testenv.Obj(t, sc, "runsWith"), "limit"); got != tc.runsWith {
					t.Errorf("runsWith.limit = %d, want %d", got, tc.runsWith)
				}
				if n, _ := sc["note"].(string); n == "" {
					t.Errorf("a fitted estimate has no note")
				}
			} else if _, ok := sc["runsWith"]; ok {
				t.Errorf("runsWith = %s for a call that is not fitted", testenv.MustJSON(sc["runsWith"]))
			}
			if tc.wouldHalt != "" {
				if got := testenv.Obj(t, sc, "wouldHaltAs")["code"]; got != tc.wouldHalt {
					t.Errorf("wouldHaltAs.code = %v, want %s", got, tc.wouldHalt)
				}
			}
			after := e.Ctrl.Status()
			if after.InFlight != 0 || after.RunSpent != before.RunSpent {
				t.Errorf("estimate_cost changed the budget: inFlight %d, runSpent %d -> %d", after.InFlight, before.RunSpent, after.RunSpent)
			}
			if got := e.SB.Requests(); got != requests {
				t.Errorf("estimate_cost sent %d requests, want 0", got-requests)
			}
		})
	}
}

func TestEstimateCostRejectsWhatTheCallWould(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	res, sc := e.Call(t, tools.ToolEstimateCost, map[string]any{"tool": "no_such_tool"})
	testenv.WantAdvice(t, res, sc, tools.CodeUnknownTool, tools.SourceTool)
	res, sc = e.Call(t, tools.ToolEstimateCost, map[string]any{"tool": tools.ToolGetBudget})
	testenv.WantAdvice(t, res, sc, tools.CodeUnknownTool, tools.SourceTool)
	res, sc = e.Call(t, tools.ToolEstimateCost, map[string]any{"tool": "search_ads", "arguments": map[string]any{"search": "x", "limit": 1000}})
	testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
	res, sc = e.Call(t, tools.ToolEstimateCost, map[string]any{})
	testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
}

// TestBudgetFitsALaterPageWithoutSkippingRows checks that a fitted call on
// page 2 returns the rows page 2 would have started with, and that its
// nextPage continues from there.
func TestBudgetFitsALaterPageWithoutSkippingRows(t *testing.T) {
	t.Parallel()
	big := tools.Config{MaxResultBytes: 1 << 20}
	ref := testenv.New(t, testenv.Config{Box: big})
	_, want := ref.Call(t, "search_ads", map[string]any{"search": "e", "limit": 100, "page": 2})

	e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 30}, Box: big})
	res, sc := e.Call(t, "search_ads", map[string]any{"search": "e", "limit": 100, "page": 2})
	if res.IsError {
		t.Fatalf("fitted call failed: %s", testenv.MustJSON(sc))
	}
	got := testenv.Rows(t, sc)
	if len(got) == 0 || len(got) > 30 {
		t.Fatalf("got %d rows, want 1 to 30", len(got))
	}
	wantRows := testenv.Rows(t, want)
	for i, r := range got {
		if r.(map[string]any)["id"] != wantRows[i].(map[string]any)["id"] {
			t.Fatalf("row %d is %v, want %v: the fitted page does not start where page 2 of 100 rows starts", i, r.(map[string]any)["id"], wantRows[i].(map[string]any)["id"])
		}
	}
	if notes := testenv.MustJSON(sc["notes"]); !strings.Contains(notes, "limit lowered from 100 to") {
		t.Errorf("notes %s do not say the limit was lowered", notes)
	}
	next := testenv.Obj(t, sc, "nextPage")
	p := testenv.Obj(t, sc, "pagination")
	if testenv.Num(t, next, "limit") != testenv.Num(t, p, "limit") || testenv.Num(t, next, "page") != testenv.Num(t, p, "page")+1 {
		t.Errorf("nextPage %s does not follow pagination %s", testenv.MustJSON(next), testenv.MustJSON(p))
	}
	if (testenv.Num(t, next, "page")-1)*testenv.Num(t, next, "limit") != 100+int64(len(got)) {
		t.Errorf("nextPage %s does not start right after the %d rows shown (row %d)", testenv.MustJSON(next), len(got), 100+len(got))
	}
}

// TestBudgetHoldsUnderConcurrentCalls makes many calls at once under a
// small cap: the run never spends more than the cap, and every call that
// does not fit is halted by the budget.
func TestBudgetHoldsUnderConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 50}})
	const calls = 12
	type result struct {
		ok   bool
		code any
		rows int
	}
	out := make(chan result, calls)
	for range calls {
		go func() {
			r := e.Box.Call(context.Background(), "search_ads", map[string]any{"search": "e", "limit": 10})
			if r.IsError {
				out <- result{code: r.Advice.Code}
				return
			}
			out <- result{ok: true, rows: countData(r)}
		}()
	}
	var rowsTotal, ok int
	for range calls {
		r := <-out
		if r.ok {
			ok++
			rowsTotal += r.rows
		} else if r.code != budget.CodeCapReached {
			t.Errorf("a call failed with %v, want success or %s", r.code, budget.CodeCapReached)
		}
	}
	st := e.Ctrl.Status()
	if st.RunSpent > 50 || st.InFlight != 0 {
		t.Errorf("budget after concurrent calls: runSpent %d (cap 50), inFlight %d", st.RunSpent, st.InFlight)
	}
	charged := 10000 - e.SB.Credits(e.Key).Recurring
	if int64(rowsTotal) != st.RunSpent || st.RunSpent != charged {
		t.Errorf("rows returned %d, run spent %d, the sandbox charged %d: all three should agree", rowsTotal, st.RunSpent, charged)
	}
	if ok == 0 || ok == calls {
		t.Errorf("%d of %d calls succeeded; want some to succeed and some to halt", ok, calls)
	}
}

func countData(r *tools.Result) int {
	s, ok := r.Structured.(*tools.Success)
	if !ok {
		return 0
	}
	var rows []any
	_ = json.Unmarshal(s.Data, &rows)
	return len(rows)
}
