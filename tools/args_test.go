package tools_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

// countingStore is a budget store that counts writes, so a test can prove
// that nothing was reserved.
type countingStore struct {
	budget.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(*budget.Ledger) error) (budget.Ledger, error) {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// TestInvalidArgumentsAreCaughtBeforeAnyCreditOrRequest checks that
// arguments the input schema rejects come back as invalid_arguments advice
// naming the field and what it allows, with no credit reserved and no
// request sent to the API.
func TestInvalidArgumentsAreCaughtBeforeAnyCreditOrRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		tool  string
		args  map[string]any
		field string   // the validationErrors entry expected
		say   []string // what its expectations must mention
	}{
		{"limit above 100", "search_ads", map[string]any{"search": "coffee", "limit": 500},
			"limit", []string{"100", "integer"}},
		{"limit below 1", "search_shops", map[string]any{"limit": 0},
			"limit", []string{"from 1 to 100"}},
		{"unknown argument", "search_ads", map[string]any{"search": "coffee", "bogus": true},
			"(arguments)", []string{"bogus", "search", "limit"}},
		{"wrong type", "search_ads", map[string]any{"search": "coffee", "limit": "ten"},
			"limit", []string{"integer"}},
		{"fractional limit", "search_ads", map[string]any{"search": "coffee", "limit": 2.5},
			"limit", []string{"integer"}},
		{"missing required", "search_ads", map[string]any{"limit": 5},
			"(arguments)", []string{"search"}},
		{"value outside the enum", "search_ads", map[string]any{"search": "coffee", "status": "paused"},
			"status", []string{"active", "inactive", "all"}},
		{"empty path id", "get_ad", map[string]any{"adId": ""},
			"adId", []string{"string"}},
		{"wrong item type in a body list", "query_ads", map[string]any{"search": []any{"coffee", 3}},
			"search.1", []string{"string"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &countingStore{Store: budget.NewMemoryStore()}
			e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 1000, Store: store}})
			requests, updates := e.SB.Requests(), store.updates.Load()

			res, sc := e.Call(t, tc.tool, tc.args)
			ad := testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
			if ad["retryable"] != false {
				t.Errorf("retryable = %v, want false", ad["retryable"])
			}
			msg, _ := ad["message"].(string)
			if !strings.Contains(msg, tc.field) {
				t.Errorf("message %q does not name %s", msg, tc.field)
			}
			var found bool
			ves, _ := ad["validationErrors"].([]any)
			for _, v := range ves {
				ve := v.(map[string]any)
				if ve["field"] != tc.field {
					continue
				}
				found = true
				exp := strings.ToLower(testenv.MustJSON(ve["expected"]))
				for _, w := range tc.say {
					if !strings.Contains(exp, strings.ToLower(w)) {
						t.Errorf("validationErrors[%s].expected = %s, want it to mention %q", tc.field, exp, w)
					}
				}
			}
			if !found {
				t.Errorf("no validationErrors entry for %s: %s", tc.field, testenv.MustJSON(ves))
			}
			testenv.WantBudget(t, sc)
			if got := e.SB.Requests(); got != requests {
				t.Errorf("the API received %d requests for invalid arguments, want 0", got-requests)
			}
			if got := store.updates.Load(); got != updates {
				t.Errorf("the budget ledger was written %d times for invalid arguments, want 0", got-updates)
			}
			if st := e.Ctrl.Status(); st.InFlight != 0 || st.RunSpent != 0 {
				t.Errorf("budget after invalid arguments: inFlight %d, runSpent %d; want 0, 0", st.InFlight, st.RunSpent)
			}
		})
	}
}

// TestValidArgumentsOfEveryJSONShapeReachTheAPI checks that numbers sent
// the way MCP hosts send them (JSON numbers, decoded as float64) and lists
// in query strings pass validation and are encoded for the API.
func TestValidArgumentsOfEveryJSONShapeReachTheAPI(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	res, sc := e.Call(t, "search_advertisers", map[string]any{"search": []any{"coffee", "tea"}, "limit": 2.0, "offset": 1})
	if res.IsError {
		t.Fatalf("search_advertisers failed: %s", testenv.MustJSON(sc))
	}
	if n := len(testenv.Rows(t, sc)); n != 2 {
		t.Errorf("got %d rows, want 2", n)
	}
	if off := testenv.Num(t, testenv.Obj(t, sc, "pagination"), "offset"); off != 1 {
		t.Errorf("pagination.offset = %d, want 1", off)
	}
}
