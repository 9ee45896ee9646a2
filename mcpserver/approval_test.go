package mcpserver_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/tools"
)

const confirmAbove = 20

// approvalEnv is a server that asks before a call spends more than 20
// credits, with its balance and refill date known.
func approvalEnv(t *testing.T, o mcpserver.Options) *testenv.Env {
	t.Helper()
	o.ConfirmAbove = confirmAbove
	e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 1000}, Server: o})
	if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// asked records the questions a user was asked and what the budget held
// while each was open.
type asked struct {
	mu        sync.Mutex
	messages  []string
	schemas   []string
	inFlights []int64
}

func (a *asked) record(e *testenv.Env, msg string, schema any) {
	raw, _ := json.Marshal(schema)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.messages = append(a.messages, msg)
	a.schemas = append(a.schemas, string(raw))
	a.inFlights = append(a.inFlights, e.Ctrl.Status().InFlight)
}

func (a *asked) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.messages)
}

// first returns the first question's message and schema, and what the
// budget held while it was open.
func (a *asked) first(t *testing.T) (msg, schema string, held int64) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.messages) == 0 {
		t.Fatal("no question was asked")
	}
	return a.messages[0], a.schemas[0], a.inFlights[0]
}

// answering is a user who gives the same answer to every question.
func answering(e *testenv.Env, a *asked, action, choice string) elicitFunc {
	return func(_ context.Context, msg string, schema any) (string, map[string]any, error) {
		a.record(e, msg, schema)
		if action != "accept" {
			return action, nil, nil
		}
		return "accept", map[string]any{"choice": choice}, nil
	}
}

// wantNothingSpent checks that no credit was spent or is still held.
func wantNothingSpent(t *testing.T, e *testenv.Env) {
	t.Helper()
	if spent := e.SB.Spent(e.Key); spent != 0 {
		t.Errorf("the sandbox charged %d credits without a yes", spent)
	}
	if st := e.Ctrl.Status(); st.InFlight != 0 || st.RunSpent != 0 {
		t.Errorf("budget inFlight %d, runSpent %d; want 0, 0: the reservation was not released", st.InFlight, st.RunSpent)
	}
}

func TestSpendApprovalAccepted(t *testing.T) {
	forEachPeer(t, func(t *testing.T, k peerKind) {
		e := approvalEnv(t, mcpserver.Options{})
		var a asked
		p := connect(t, e, k, peerOptions{elicit: answering(e, &a, "accept", "once")})

		r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25})
		if r.IsError || len(testenv.Rows(t, r.SC)) != 25 {
			t.Fatalf("an approved call did not run as asked: %s", testenv.MustJSON(r.SC))
		}
		if a.count() != 1 {
			t.Fatalf("the user was asked %d times, want once", a.count())
		}
		msg, schema, held := a.first(t)
		for _, want := range []string{"search_ads", "up to 25 credits", "(limit 25)", "more than the 20", "may still spend 975 credits", "workspace has 10000 credits", "refilled on 2027-01-01"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the question %q does not say %q", msg, want)
			}
		}
		// 2025-11-25 asks with the credits held; 2026-07-28 holds nothing
		// between the rounds and reserves again with the answer.
		wantHeld := int64(25)
		if k.modern() {
			wantHeld = 0
		}
		if held != wantHeld {
			t.Errorf("while the question was open the budget held %d credits, want %d", held, wantHeld)
		}
		if got := strings.Contains(schema, `"session"`); got == k.modern() {
			t.Errorf("the choice 'for the rest of the session' offered: %v; want it only where there are sessions (2025-11-25): %s", got, schema)
		}
		// Once means once; a call within the threshold never asks.
		p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 30, "page": 2})
		p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 20, "page": 4})
		if a.count() != 2 {
			t.Errorf("the user was asked %d times for calls of 50, 30 and 20 credits, want 2", a.count())
		}
	})
}

func TestSpendApprovalForTheRestOfTheSession(t *testing.T) {
	for _, k := range peerKinds {
		if k.modern() {
			continue // no sessions: covered by TestSpendApprovalAccepted
		}
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			e := approvalEnv(t, mcpserver.Options{})
			var a asked
			p := connect(t, e, k, peerOptions{elicit: answering(e, &a, "accept", "session")})
			for page := 1; page <= 3; page++ {
				if r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 40, "page": page}); r.IsError {
					t.Fatalf("page %d: %s", page, testenv.MustJSON(r.SC))
				}
			}
			if a.count() != 1 {
				t.Errorf("the user was asked %d times after allowing the session, want once", a.count())
			}
		})
	}
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
			forEachPeer(t, func(t *testing.T, k peerKind) {
				e := approvalEnv(t, mcpserver.Options{})
				var a asked
				p := connect(t, e, k, peerOptions{elicit: answering(e, &a, tc.action, tc.choice)})
				r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 50})
				ad := testenv.WantAdviceJSON(t, r.SC, tools.CodeSpendDeclined, budget.SourceBudget)
				if !r.IsError {
					t.Errorf("a declined spend is not an error result")
				}
				if msg, _ := ad["message"].(string); !strings.Contains(msg, tc.says) || !strings.Contains(msg, "50 credits") {
					t.Errorf("message %q does not say %q and the credits", msg, tc.says)
				}
				if action, _ := ad["action"].(string); !strings.Contains(action, "limit 20") {
					t.Errorf("action %q does not offer the limit that needs no question", action)
				}
				testenv.WantBudget(t, r.SC)
				wantNothingSpent(t, e)
			})
		})
	}
}

func TestSpendApprovalWithoutElicitationFitsTheCall(t *testing.T) {
	forEachPeer(t, func(t *testing.T, k peerKind) {
		e := approvalEnv(t, mcpserver.Options{})
		p := connect(t, e, k, peerOptions{})
		r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 40, "page": 2})
		if r.IsError {
			t.Fatalf("search_ads failed: %s", testenv.MustJSON(r.SC))
		}
		if n := len(testenv.Rows(t, r.SC)); n > confirmAbove {
			t.Errorf("got %d rows without approval, want at most %d", n, confirmAbove)
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
		if spent := e.SB.Spent(e.Key); spent > confirmAbove {
			t.Errorf("spent %d credits without approval, more than %d", spent, confirmAbove)
		}
	})
}

// TestSpendApprovalTimesOut leaves a 2025-11-25 question unanswered: the
// call ends with spend_declined and its reservation is released.
func TestSpendApprovalTimesOut(t *testing.T) {
	for _, k := range peerKinds {
		if k.modern() {
			continue // see TestSpendApprovalAnswerExpires
		}
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			e := approvalEnv(t, mcpserver.Options{ConfirmTimeout: 50 * time.Millisecond})
			var a asked
			p := connect(t, e, k, peerOptions{elicit: func(ctx context.Context, msg string, schema any) (string, map[string]any, error) {
				a.record(e, msg, schema)
				<-ctx.Done() // the user never answers; the server gives up
				return "", nil, ctx.Err()
			}})
			r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 50})
			ad := testenv.WantAdviceJSON(t, r.SC, tools.CodeSpendDeclined, budget.SourceBudget)
			if msg, _ := ad["message"].(string); !strings.Contains(msg, "no answer") {
				t.Errorf("message %q does not say no answer came", msg)
			}
			if _, _, held := a.first(t); held != 50 {
				t.Errorf("while the question was open the budget held %d, want 50", held)
			}
			wantNothingSpent(t, e)
		})
	}
}

// TestSpendApprovalAnswerExpires answers a 2026-07-28 question too late:
// the retry's state has expired, so the server asks again, and runs the
// call on the fresh yes.
func TestSpendApprovalAnswerExpires(t *testing.T) {
	for _, k := range peerKinds {
		if !k.modern() {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			var offset atomic.Int64
			now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
			e := approvalEnv(t, mcpserver.Options{ConfirmTimeout: time.Minute, Now: now})
			var a asked
			p := connect(t, e, k, peerOptions{elicit: func(_ context.Context, msg string, schema any) (string, map[string]any, error) {
				a.record(e, msg, schema)
				if a.count() == 1 {
					offset.Add(int64(2 * time.Minute)) // the user took two minutes
				}
				return "accept", map[string]any{"choice": "once"}, nil
			}})
			r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25})
			if r.IsError || len(testenv.Rows(t, r.SC)) != 25 {
				t.Fatalf("the call did not run after the second yes: %s", testenv.MustJSON(r.SC))
			}
			if a.count() != 2 {
				t.Errorf("the user was asked %d times, want 2 (the late answer does not count)", a.count())
			}
		})
	}
}

// TestCancellingACallWhileItAsksReleasesItsCredits cancels a 2025-11-25
// call while its question is open.
func TestCancellingACallWhileItAsksReleasesItsCredits(t *testing.T) {
	for _, k := range peerKinds {
		if k.modern() {
			continue // nothing is held while a 2026-07-28 client asks
		}
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			e := approvalEnv(t, mcpserver.Options{})
			open := make(chan struct{})
			p := connect(t, e, k, peerOptions{elicit: func(ctx context.Context, _ string, _ any) (string, map[string]any, error) {
				close(open)
				<-ctx.Done()
				return "", nil, ctx.Err()
			}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := p.callErr(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 50})
				done <- err
			}()
			select {
			case <-open:
			case <-time.After(10 * time.Second):
				t.Fatal("the question was never asked")
			}
			if st := e.Ctrl.Status(); st.InFlight != 50 {
				t.Errorf("while asking, inFlight = %d, want 50", st.InFlight)
			}
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the cancelled call did not end")
			}
			deadline := time.Now().Add(10 * time.Second)
			for e.Ctrl.Status().InFlight != 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			wantNothingSpent(t, e)
		})
	}
}
