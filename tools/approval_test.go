package tools_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// recorder is an Approver that records its questions and answers with
// answer.
type recorder struct {
	asked  []tools.SpendQuestion
	answer func(q tools.SpendQuestion) error
}

func (r *recorder) Approve(_ context.Context, q tools.SpendQuestion) error {
	r.asked = append(r.asked, q)
	if r.answer == nil {
		return nil
	}
	return r.answer(q)
}

func withApproval(above int64, a tools.Approver) context.Context {
	return tools.WithApproval(context.Background(), tools.Approval{Above: above, Approver: a})
}

func TestApprovalAsksWithTheCreditsReservedAndRunsOnAYes(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	var held int64
	rec := &recorder{answer: func(tools.SpendQuestion) error { held = e.Ctrl.Status().InFlight; return nil }}
	r := e.Box.Call(withApproval(20, rec), "search_ads", map[string]any{"search": "coffee", "limit": 25})
	if r.IsError {
		t.Fatalf("an approved call failed: %s", r.JSON())
	}
	if len(rec.asked) != 1 {
		t.Fatalf("asked %d times, want once", len(rec.asked))
	}
	q := rec.asked[0]
	if q.Tool != "search_ads" || q.Credits != 25 || q.Above != 20 || q.SmallerLimit != 20 || q.Budget == nil || q.Arguments["limit"] != 25 {
		t.Errorf("question = %+v", q)
	}
	if held != 25 || q.Budget.InFlight != 25 {
		t.Errorf("while asking the budget held %d (question says %d), want 25: the reservation comes first", held, q.Budget.InFlight)
	}
	if spent := e.SB.Spent(e.Key); spent != 25 {
		t.Errorf("spent %d, want 25", spent)
	}
}

func TestApprovalIsNotAskedWithinTheThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		budget *budget.Config
		tool   string
		args   map[string]any
	}{
		{"a small page", nil, "search_ads", map[string]any{"search": "coffee", "limit": 20}},
		{"a per-item call", nil, "get_ad", map[string]any{"adId": "facebook_0"}},
		{"a free call", nil, "lookup", map[string]any{"q": "coffee"}},
		{"a page the budget fits under the threshold", &budget.Config{MaxCredits: 15}, "search_ads", map[string]any{"search": "coffee", "limit": 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, testenv.Config{NoClient: true, Budget: tc.budget})
			rec := &recorder{}
			e.Box.Call(withApproval(20, rec), tc.tool, tc.args)
			if len(rec.asked) != 0 {
				t.Errorf("asked %+v", rec.asked)
			}
		})
	}
}

func TestApprovalDeclinedOrCancelledSpendsNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer func(q tools.SpendQuestion) error
		code   string
		source string
	}{
		{"declined", func(q tools.SpendQuestion) error { return q.Decline(tools.DeclinedByUser, "") }, tools.CodeSpendDeclined, budget.SourceBudget},
		{"dismissed", func(q tools.SpendQuestion) error { return q.Decline(tools.DeclinedDismissed, "") }, tools.CodeSpendDeclined, budget.SourceBudget},
		{"no answer", func(q tools.SpendQuestion) error { return q.Decline(tools.DeclinedNoAnswer, "none within 2m0s") }, tools.CodeSpendDeclined, budget.SourceBudget},
		{"the call cancelled while asking", func(tools.SpendQuestion) error { return context.Canceled }, runtime.CodeCanceled, runtime.SourceAPI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, testenv.Config{NoClient: true})
			before := e.SB.Requests()
			r := e.Box.Call(withApproval(20, &recorder{answer: tc.answer}), "search_ads", map[string]any{"search": "coffee", "limit": 50})
			if !r.IsError || r.Advice.Code != tc.code || r.Advice.Source != tc.source {
				t.Fatalf("result = %s, want %s from %s", r.JSON(), tc.code, tc.source)
			}
			if n := e.SB.Requests() - before; n != 0 {
				t.Errorf("the API was called %d times without a yes", n)
			}
			if st := e.Ctrl.Status(); st.InFlight != 0 || st.RunSpent != 0 {
				t.Errorf("inFlight %d runSpent %d, want 0, 0", st.InFlight, st.RunSpent)
			}
			if tc.code == tools.CodeSpendDeclined && (r.Advice.Retryable || !strings.Contains(r.Advice.Action, "limit 20")) {
				t.Errorf("advice = %+v, want not retryable and limit 20 offered", r.Advice)
			}
		})
	}
}

func TestApprovalWithNobodyToAskFitsTheCall(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	r := e.Box.Call(withApproval(20, nil), "search_advertisers", map[string]any{"limit": 50, "offset": 10})
	if r.IsError {
		t.Fatalf("%s", r.JSON())
	}
	s := r.Structured.(*tools.Success)
	if s.Pagination == nil || s.Pagination.Limit != 20 || s.Pagination.Returned > 20 {
		t.Errorf("pagination = %+v, want the limit lowered to 20", s.Pagination)
	}
	if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "limit lowered from 50 to 20") || !strings.Contains(s.Notes[0], "cannot ask") {
		t.Errorf("notes = %q", s.Notes)
	}
	if s.NextPage["offset"] != int64(30) && s.NextPage["offset"] != 30 {
		t.Errorf("nextPage = %v, want offset 30", s.NextPage)
	}
	// A batch call runs as written or not at all.
	r = e.Box.Call(tools.Exact(withApproval(20, nil)), "search_ads", map[string]any{"search": "coffee", "limit": 50})
	if !r.IsError || r.Advice.Code != tools.CodeSpendDeclined || !strings.Contains(r.Advice.Message, "cannot ask") {
		t.Errorf("an exact call above the threshold = %s, want spend_declined", r.JSON())
	}
}

func TestApprovalWithoutABudgetStillAsks(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true, NoBudget: true})
	rec := &recorder{answer: func(q tools.SpendQuestion) error { return q.Decline(tools.DeclinedByUser, "") }}
	r := e.Box.Call(withApproval(20, rec), "search_ads", map[string]any{"search": "coffee", "limit": 50})
	if !r.IsError || r.Advice.Code != tools.CodeSpendDeclined || len(rec.asked) != 1 || rec.asked[0].Credits != 50 || rec.asked[0].Budget != nil {
		t.Errorf("result %s after questions %+v", r.JSON(), rec.asked)
	}
	if spent := e.SB.Spent(e.Key); spent != 0 {
		t.Errorf("spent %d without a yes", spent)
	}
}
