package mcpserver_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/approvaltest"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/tools"
)

// The spend-approval scenarios every face runs (approvaltest) run here
// in process; the gateway runs them over HTTP. The ones below them are
// the MCP face's own.

func TestSpendApprovalAccepted(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		approvaltest.Accepted(t, inProcess, k)
	})
}

func TestSpendApprovalDeclined(t *testing.T) {
	for _, tc := range []struct {
		name, action, choice, says string
	}{
		{"declined", "decline", "", "declined"},
		{"accepted with the decline choice", "accept", "decline", "declined"},
		{"dismissed", "cancel", "", "closed the question"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
				approvaltest.Declined(t, inProcess, k, tc.action, tc.choice, tc.says)
			})
		})
	}
}

// TestCancellingACallWhileItAsksReleasesItsCredits cancels a 2025-11-25
// call while its question is open.
func TestCancellingACallWhileItAsksReleasesItsCredits(t *testing.T) {
	for _, k := range mcppeer.Kinds {
		if k.Modern() {
			continue // nothing is held while a 2026-07-28 client asks
		}
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			approvaltest.CancelWhileAsking(t, inProcess, k)
		})
	}
}

func TestSpendApprovalForTheRestOfTheSession(t *testing.T) {
	for _, k := range mcppeer.Kinds {
		if k.Modern() {
			continue // no sessions: covered by TestSpendApprovalAccepted
		}
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			e, dial := approvaltest.Start(t, inProcess, mcpserver.Options{})
			var q approvaltest.Questions
			p := dial(k, mcppeer.Options{Elicit: approvaltest.Answering(e, &q, "accept", "session")})
			for page := 1; page <= 3; page++ {
				if r := p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 40, "page": page}); r.IsError {
					t.Fatalf("page %d: %s", page, testenv.MustJSON(r.SC))
				}
			}
			if q.Count() != 1 {
				t.Errorf("the user was asked %d times after allowing the session, want once", q.Count())
			}
		})
	}
}

func TestSpendApprovalWithoutElicitationFitsTheCall(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e, dial := approvaltest.Start(t, inProcess, mcpserver.Options{})
		p := dial(k, mcppeer.Options{})
		r := p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 40, "page": 2})
		if r.IsError {
			t.Fatalf("search_ads failed: %s", testenv.MustJSON(r.SC))
		}
		if n := len(testenv.Rows(t, r.SC)); n > approvaltest.Threshold {
			t.Errorf("got %d rows without approval, want at most %d", n, approvaltest.Threshold)
		}
		// Page 2 of 40 rows starts at row 41, which page 3 of 20 rows does.
		page := testenv.Obj(t, r.SC, "pagination")
		if testenv.Num(t, page, "limit") != 20 || testenv.Num(t, page, "page") != 3 {
			t.Errorf("pagination = %s, want page 3 of 20 rows (where page 2 of 40 started)", testenv.MustJSON(page))
		}
		notes, _ := r.SC["notes"].([]any)
		if len(notes) == 0 || !strings.Contains(notes[0].(string), "cannot ask") || !strings.Contains(notes[0].(string), "--confirm-above") {
			t.Errorf("notes = %v, want one saying why the limit was lowered", notes)
		}
		if spent := e.SB.Spent(e.Key); spent > approvaltest.Threshold {
			t.Errorf("spent %d credits without approval, more than %d", spent, approvaltest.Threshold)
		}
	})
}

// TestSpendApprovalTimesOut leaves a 2025-11-25 question unanswered: the
// call ends with spend_declined and its reservation is released.
func TestSpendApprovalTimesOut(t *testing.T) {
	for _, k := range mcppeer.Kinds {
		if k.Modern() {
			continue // see TestSpendApprovalAnswerExpires
		}
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			e, dial := approvaltest.Start(t, inProcess, mcpserver.Options{ConfirmTimeout: 50 * time.Millisecond})
			var q approvaltest.Questions
			p := dial(k, mcppeer.Options{Elicit: func(ctx context.Context, msg string, schema any) (string, map[string]any, error) {
				q.Record(e, msg, schema)
				<-ctx.Done() // the user never answers; the server gives up
				return "", nil, ctx.Err()
			}})
			r := p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 50})
			ad := testenv.WantAdviceJSON(t, r.SC, tools.CodeSpendDeclined, budget.SourceBudget)
			if msg, _ := ad["message"].(string); !strings.Contains(msg, "no answer") {
				t.Errorf("message %q does not say no answer came", msg)
			}
			if _, _, held := q.First(t); held != 50 {
				t.Errorf("while the question was open the budget held %d, want 50", held)
			}
			approvaltest.WantNothingSpent(t, e)
		})
	}
}

// TestSpendApprovalAnswerExpires answers a 2026-07-28 question too late:
// the retry's state has expired, so the server asks again, and runs the
// call on the fresh yes.
func TestSpendApprovalAnswerExpires(t *testing.T) {
	for _, k := range mcppeer.Kinds {
		if !k.Modern() {
			continue
		}
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			var offset atomic.Int64
			now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
			e, dial := approvaltest.Start(t, inProcess, mcpserver.Options{ConfirmTimeout: time.Minute, Now: now})
			var q approvaltest.Questions
			p := dial(k, mcppeer.Options{Elicit: func(_ context.Context, msg string, schema any) (string, map[string]any, error) {
				q.Record(e, msg, schema)
				if q.Count() == 1 {
					offset.Add(int64(2 * time.Minute)) // the user took two minutes
				}
				return "accept", map[string]any{"choice": "once"}, nil
			}})
			r := p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25})
			if r.IsError || len(testenv.Rows(t, r.SC)) != 25 {
				t.Fatalf("the call did not run after the second yes: %s", testenv.MustJSON(r.SC))
			}
			if q.Count() != 2 {
				t.Errorf("the user was asked %d times, want 2 (the late answer does not count)", q.Count())
			}
		})
	}
}
