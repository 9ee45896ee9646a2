// Package approvaltest holds the spend-approval (elicitation) scenarios
// that every MCP face of tollgate runs over its own transport: a server
// that asks its client before a call spends more than Threshold
// credits, and a user who accepts, declines, dismisses the question or
// has the call cancelled while it is open. The MCP face runs them in
// process, the gateway over HTTP; each face supplies how it serves and
// connects (a Face) and may check how the question travelled. The
// scenarios drive the server through mcppeer's clients, in every
// revision with both client libraries.
//
// The package is imported by _test files only.
package approvaltest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Threshold is the most credits a call may spend without a question.
const Threshold = 20

// A Face serves an MCP server and connects clients to it.
type Face struct {
	// Start builds an environment from cfg, serves its toolbox with the
	// server options o, and returns the environment with a function
	// that connects a client of kind k to that server.
	Start func(t *testing.T, cfg testenv.Config, o mcpserver.Options) (*testenv.Env, Dial)
	// Asked, when set, checks how the first question travelled between
	// server and client and that its answer was action.
	Asked func(t *testing.T, p *mcppeer.Peer, action string)
}

// Dial connects a client of kind k, offering what o says.
type Dial func(k mcppeer.Kind, o mcppeer.Options) *mcppeer.Peer

// Start starts f's server that asks before a call spends more than
// Threshold credits (o.ConfirmAbove), over a deployment of 1000 credits
// whose balance and refill date are known.
func Start(t *testing.T, f Face, o mcpserver.Options) (*testenv.Env, Dial) {
	t.Helper()
	o.ConfirmAbove = Threshold
	e, dial := f.Start(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 1000}}, o)
	if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, dial
}

// Questions records the questions a user was asked and what the
// deployment held while each was open.
type Questions struct {
	mu        sync.Mutex
	messages  []string
	schemas   []string
	inFlights []int64
}

// Record records a question asked while e's budget holds what it holds.
func (q *Questions) Record(e *testenv.Env, msg string, schema any) {
	raw, _ := json.Marshal(schema)
	st, _ := e.Ctrl.Status(context.Background())
	q.mu.Lock()
	defer q.mu.Unlock()
	q.messages = append(q.messages, msg)
	q.schemas = append(q.schemas, string(raw))
	q.inFlights = append(q.inFlights, st.InFlight)
}

// Count is how many questions were asked.
func (q *Questions) Count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.messages)
}

// First returns the first question's message and schema, and what the
// budget held while it was open; no question fails the test.
func (q *Questions) First(t *testing.T) (msg, schema string, held int64) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.messages) == 0 {
		t.Fatal("no question was asked")
	}
	return q.messages[0], q.schemas[0], q.inFlights[0]
}

// Answering is a user who records every question in q and gives each
// the same answer: action, and with "accept" the choice.
func Answering(e *testenv.Env, q *Questions, action, choice string) mcppeer.Elicit {
	return func(_ context.Context, msg string, schema any) (string, map[string]any, error) {
		q.Record(e, msg, schema)
		if action != "accept" {
			return action, nil, nil
		}
		return "accept", map[string]any{"choice": choice}, nil
	}
}

// WantNothingSpent checks that no credit was spent or is still held.
func WantNothingSpent(t *testing.T, e *testenv.Env) {
	t.Helper()
	if spent := e.SB.Spent(e.Key); spent != 0 {
		t.Errorf("the sandbox charged %d credits without a yes", spent)
	}
	if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 0 || st.RunSpent != 0 {
		t.Errorf("budget inFlight %d, runSpent %d; want 0, 0: the reservation was not released", st.InFlight, st.RunSpent)
	}
}

// Accepted: a call over the threshold asks once, says what it will
// spend and what is left, and runs on the yes; "once" means once, and a
// call within the threshold never asks. Under 2025-11-25 the credits
// are held while the question is open and the user may allow the rest
// of the session; 2026-07-28 holds nothing between the rounds and has no
// sessions.
func Accepted(t *testing.T, f Face, k mcppeer.Kind) {
	t.Helper()
	e, dial := Start(t, f, mcpserver.Options{})
	var q Questions
	p := dial(k, mcppeer.Options{Elicit: Answering(e, &q, "accept", "once")})

	r := p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25})
	if r.IsError || len(testenv.Rows(t, r.SC)) != 25 {
		t.Fatalf("an approved call did not run as asked: %s", testenv.MustJSON(r.SC))
	}
	if q.Count() != 1 {
		t.Fatalf("the user was asked %d times, want once", q.Count())
	}
	if spent := e.SB.Spent(e.Key); spent != 25 {
		t.Errorf("the approved call spent %d, want 25", spent)
	}
	if f.Asked != nil {
		f.Asked(t, p, "accept")
	}
	msg, schema, held := q.First(t)
	for _, want := range []string{"search_ads", "up to 25 credits", "(limit 25)", "more than the 20", "may still spend 975 credits", "workspace has 10000 credits", "refilled on 2027-01-01"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the question %q does not say %q", msg, want)
		}
	}
	wantHeld := int64(25)
	if k.Modern() {
		wantHeld = 0
	}
	if held != wantHeld {
		t.Errorf("while the question was open the budget held %d credits, want %d", held, wantHeld)
	}
	if got := strings.Contains(schema, `"session"`); got == k.Modern() {
		t.Errorf("the choice 'for the rest of the session' offered: %v; want it only where there are sessions (2025-11-25): %s", got, schema)
	}
	p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 30, "page": 2})
	p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 20, "page": 4})
	if q.Count() != 2 {
		t.Errorf("the user was asked %d times for calls of 25, 30 and 20 credits, want 2", q.Count())
	}
}

// Declined: a call whose question is answered with action (and choice)
// ends with spend_declined, a message that says says and the credits,
// an action that offers the limit needing no question, and nothing
// spent or held.
func Declined(t *testing.T, f Face, k mcppeer.Kind, action, choice, says string) {
	t.Helper()
	e, dial := Start(t, f, mcpserver.Options{})
	var q Questions
	p := dial(k, mcppeer.Options{Elicit: Answering(e, &q, action, choice)})
	r := p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 50})
	if !r.IsError {
		t.Errorf("a declined spend is not an error result: %s", testenv.MustJSON(r.SC))
	}
	ad := testenv.WantAdviceJSON(t, r.SC, tools.CodeSpendDeclined, budget.SourceBudget)
	if msg, _ := ad["message"].(string); !strings.Contains(msg, says) || !strings.Contains(msg, "50 credits") {
		t.Errorf("message %q does not say %q and the credits", msg, says)
	}
	if act, _ := ad["action"].(string); !strings.Contains(act, "limit 20") {
		t.Errorf("action %q does not offer the limit that needs no question", act)
	}
	testenv.WantBudget(t, r.SC)
	if q.Count() != 1 {
		t.Errorf("the user was asked %d times, want once", q.Count())
	}
	WantNothingSpent(t, e)
	if f.Asked != nil {
		f.Asked(t, p, action)
	}
}

// CancelWhileAsking cancels a 2025-11-25 call while its question is
// open, the credits held meanwhile: the call ends, nothing is spent and
// nothing stays held. (Under 2026-07-28 nothing is held while the
// client asks.)
//
// A client may not withdraw its question when the call ends (mcp-go
// sends no notifications/cancelled for an elicitation/create over
// HTTP), so the user answers "decline" when the test ends; the answer
// then finds no call and spends nothing.
func CancelWhileAsking(t *testing.T, f Face, k mcppeer.Kind) {
	t.Helper()
	e, dial := Start(t, f, mcpserver.Options{})
	open, answer := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p := dial(k, mcppeer.Options{Elicit: func(ctx context.Context, _ string, _ any) (string, map[string]any, error) {
		once.Do(func() { close(open) })
		select {
		case <-ctx.Done():
			return "", nil, ctx.Err()
		case <-answer:
			return "decline", nil, nil
		}
	}})
	t.Cleanup(func() { close(answer) }) // before the client closes
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.CallErr(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 50})
		done <- err
	}()
	select {
	case <-open:
	case <-time.After(10 * time.Second):
		cancel()
		<-done
		t.Fatal("the question was never asked")
	}
	if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 50 {
		t.Errorf("while asking, the deployment holds %d credits, want 50", st.InFlight)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled call did not end")
	}
	deadline := time.Now().Add(10 * time.Second)
	for testenv.StatusOf(t, e.Ctrl).InFlight != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	WantNothingSpent(t, e)
}
