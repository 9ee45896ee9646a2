package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// The MCP features a host uses, over real HTTP through the gateway (its
// Origin, token and session checks, its sealing of round trips), with
// mcp-go's and the official Go SDK's clients in both revisions. The MCP
// face's own tests cover the same features in process and over stdio.

// featureConfig is a gateway with alice and bob (no caps of their own)
// whose server checks every result against its outputSchema.
func featureConfig(t *testing.T, o mcpserver.Options) gateway.Config {
	t.Helper()
	o.ValidateOutput = true
	return gateway.Config{Clients: twoClients(t, nil, nil), Server: o}
}

// onWire reports whether the gateway sent a message with method to the
// peer, over any of its HTTP exchanges.
func onWire(p *httpPeer, method string) []map[string]any {
	var out []map[string]any
	for _, m := range p.wire.answers() {
		if m["method"] == method {
			out = append(out, m)
		}
	}
	return out
}

// TestBudgetSubscriptionOverHTTP subscribes to tollgate://budget
// (resources/subscribe on 2025-11-25, a subscriptions/listen stream on
// 2026-07-28) and makes two paid calls in a row: the first change is
// told at once, the second at the end of the throttle's interval, after
// the calls are done. (Under 2025-11-25 the first update is sent to the
// session while its call's POST is still open, and mcp-go v1.2.1 can
// lose a notification queued just before a response, see
// TestLoggingOverHTTP; the trailing one does not race.)
func TestBudgetSubscriptionOverHTTP(t *testing.T) {
	forEachPeer(t, func(t *testing.T, k peerKind) {
		e := testenv.New(t, testenv.Config{NoClient: true})
		_, url := serve(t, e, featureConfig(t, mcpserver.Options{BudgetNotifyEvery: 200 * time.Millisecond}))
		p := dial(t, url, aliceToken, k, nil)
		p.subscribe(t, mcpserver.BudgetURI)
		p.call(t, "lookup", map[string]any{"q": "coffee"}) // free: the budget does not change
		p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 3})
		p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 2, "page": 2})
		p.waitFor(t, "notifications/resources/updated", func() bool { return len(p.updates) > 0 })
		p.mu.Lock()
		first := p.updates[0]
		p.mu.Unlock()
		if first != mcpserver.BudgetURI {
			t.Errorf("updated %s, want %s", first, mcpserver.BudgetURI)
		}
		sent := onWire(p, mcp.MethodNotificationResourceUpdated)
		if len(sent) == 0 {
			t.Fatal("the client saw an update that is not on the wire")
		}
		if k.modern() {
			// 2026-07-28 tags it with the listen request it answers.
			meta, _ := sent[0]["params"].(map[string]any)["_meta"].(map[string]any)
			if meta[mcp.MetaKeySubscriptionID] == nil {
				t.Errorf("a 2026-07-28 update without %s: %s", mcp.MetaKeySubscriptionID, testenv.MustJSON(sent[0]))
			}
			if len(p.wire.posts(string(mcp.MethodSubscriptionsListen))) == 0 {
				t.Error("no subscriptions/listen went over HTTP")
			}
		} else if len(p.wire.posts(string(mcp.MethodResourcesSubscribe))) == 0 {
			t.Error("no resources/subscribe went over HTTP")
		}
		var view map[string]any
		if err := json.Unmarshal([]byte(p.read(t, mcpserver.BudgetURI)), &view); err != nil {
			t.Fatal(err)
		}
		if got := testenv.Num(t, testenv.Obj(t, view, "budget"), "runSpent"); got != 5 {
			t.Errorf("alice's budget resource says runSpent %d after calls of 3 and 2 rows, want 5", got)
		}
	})
}

// approvalConfig asks before a call spends more than 20 credits.
func approvalConfig(t *testing.T) (*testenv.Env, gateway.Config) {
	t.Helper()
	e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 1000}})
	if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, featureConfig(t, mcpserver.Options{ConfirmAbove: 20})
}

// user answers every question the same way and records them.
type user struct {
	action, choice string
	mu             sync.Mutex
	asked          []string
}

func (u *user) elicit(_ context.Context, msg string) (string, map[string]any, error) {
	u.mu.Lock()
	u.asked = append(u.asked, msg)
	u.mu.Unlock()
	if u.action != "accept" {
		return u.action, nil, nil
	}
	return "accept", map[string]any{"choice": u.choice}, nil
}

func (u *user) questions() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.asked...)
}

// checkQuestionOnTheWire checks that the question went over HTTP in the
// revision's terms: on 2025-11-25 an elicitation/create on the call's
// own stream, answered by a POST of the client's response; on
// 2026-07-28 an input-required result whose requestState the gateway
// sealed to the caller, and a retry that carries it with the answer.
func checkQuestionOnTheWire(t *testing.T, p *httpPeer, action string) {
	t.Helper()
	calls := p.wire.posts(string(mcp.MethodToolsCall))
	if !p.kind.modern() {
		var asked bool
		for _, c := range calls {
			for _, m := range c.answer {
				asked = asked || m["method"] == string(mcp.MethodElicitationCreate)
			}
		}
		if !asked {
			t.Error("no elicitation/create on the call's stream")
		}
		var answered bool
		for _, r := range p.wire.posts("") {
			res, _ := r.request["result"].(map[string]any)
			answered = answered || res["action"] == action
		}
		if !answered {
			t.Errorf("no POST of the client's %q answer", action)
		}
		return
	}
	if len(calls) != 2 {
		t.Fatalf("%d tools/call POSTs, want the call and its retry", len(calls))
	}
	first := calls[0].answer
	if len(first) == 0 {
		t.Fatal("the first round's answer is not on the wire")
	}
	res, _ := first[len(first)-1]["result"].(map[string]any)
	state, _ := res["requestState"].(string)
	if res["resultType"] != string(mcp.ResultTypeInputRequired) || !strings.HasPrefix(state, "tg1.") {
		t.Fatalf("first round: want an input-required result with a state sealed by the gateway, got %s", testenv.MustJSON(res))
	}
	params, _ := calls[1].request["params"].(map[string]any)
	if params["requestState"] != state {
		t.Errorf("the retry carries requestState %v, want the sealed %q", params["requestState"], state)
	}
	answer, _ := params["inputResponses"].(map[string]any)["tollgate_spend_approval"].(map[string]any)
	if answer["action"] != action {
		t.Errorf("the retry's answer is %s, want action %q", testenv.MustJSON(answer), action)
	}
}

func TestSpendApprovalAcceptedOverHTTP(t *testing.T) {
	forEachPeer(t, func(t *testing.T, k peerKind) {
		e, cfg := approvalConfig(t)
		_, url := serve(t, e, cfg)
		u := &user{action: "accept", choice: "once"}
		p := dial(t, url, aliceToken, k, u.elicit)

		r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25})
		if r.IsError || len(testenv.Rows(t, r.SC)) != 25 {
			t.Fatalf("an approved call did not run as asked: %s", testenv.MustJSON(r.SC))
		}
		q := u.questions()
		if len(q) != 1 {
			t.Fatalf("the user was asked %d times, want once", len(q))
		}
		for _, want := range []string{"search_ads", "up to 25 credits", "more than the 20"} {
			if !strings.Contains(q[0], want) {
				t.Errorf("the question %q does not say %q", q[0], want)
			}
		}
		if spent := e.SB.Spent(e.Key); spent != 25 {
			t.Errorf("the approved call spent %d, want 25", spent)
		}
		checkQuestionOnTheWire(t, p, "accept")
	})
}

func TestSpendApprovalDeclinedOverHTTP(t *testing.T) {
	forEachPeer(t, func(t *testing.T, k peerKind) {
		e, cfg := approvalConfig(t)
		_, url := serve(t, e, cfg)
		u := &user{action: "decline"}
		p := dial(t, url, aliceToken, k, u.elicit)

		r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25})
		if !r.IsError {
			t.Fatalf("a declined call ran: %s", testenv.MustJSON(r.SC))
		}
		testenv.WantAdviceJSON(t, r.SC, "spend_declined", budget.SourceBudget)
		if len(u.questions()) != 1 {
			t.Errorf("the user was asked %d times, want once", len(u.questions()))
		}
		if spent := e.SB.Spent(e.Key); spent != 0 {
			t.Errorf("a declined call spent %d credits", spent)
		}
		if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 0 || st.RunSpent != 0 {
			t.Errorf("after the decline the deployment holds %d and spent %d; want 0, 0", st.InFlight, st.RunSpent)
		}
		checkQuestionOnTheWire(t, p, "decline")
	})
}

// TestLoggingOverHTTP asks for warnings (logging/setLevel on 2025-11-25,
// the level in every request's _meta on 2026-07-28) and checks the
// retry waits' messages reach the client over HTTP, with nothing below
// the level and never the key.
//
// It asserts on messages sent while a call runs (a retry wait), not on
// those sent in the instant before its result (halts, notes): mcp-go
// v1.2.1's Streamable HTTP server can drop a notification queued just
// before the response (its forwarder takes it off the channel, then
// finds the request done; mark3labs/mcp-go#969, open), most often under
// 2026-07-28. The result itself carries the same facts.
func TestLoggingOverHTTP(t *testing.T) {
	forEachPeer(t, func(t *testing.T, k peerKind) {
		e := testenv.New(t, testenv.Config{NoClient: true})
		_, url := serve(t, e, featureConfig(t, mcpserver.Options{}))
		p := dial(t, url, aliceToken, k, nil)
		p.setLevel(t, "warning")
		for page := 1; page <= 2; page++ {
			e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "2"})
			if r := p.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 5, "page": page}); r.IsError {
				t.Fatalf("search_ads: %s", testenv.MustJSON(r.SC))
			}
		}
		// The 429s' waits; the pace those 429s teach (the sandbox sends
		// no rate-limit headers here) may add pacing waits.
		waits := func(logs []logMsg) int {
			n := 0
			for _, l := range logs {
				if msg, _ := l.Data["message"].(string); l.Data["event"] == "retry_wait" && strings.Contains(msg, "rate_limited") {
					n++
				}
			}
			return n
		}
		p.waitFor(t, "a warning for each retry wait", func() bool { return waits(p.logs) == 2 })
		for _, l := range p.logsCopy() {
			if l.Level != "warning" && l.Level != "error" {
				t.Errorf("a %s message (%v) below the level asked (warning)", l.Level, l.Data["event"])
			}
			if msg, _ := l.Data["message"].(string); l.Data["event"] == "retry_wait" && !strings.Contains(msg, "rate_limited") && !strings.Contains(msg, "pacing") {
				t.Errorf("retry message %q says neither rate_limited nor pacing", msg)
			}
		}
		sent := onWire(p, string(mcp.MethodNotificationMessage))
		if len(sent) < 2 {
			t.Errorf("%d notifications/message on the wire, want at least 2", len(sent))
		}
		for _, m := range sent {
			if raw := testenv.MustJSON(m); strings.Contains(raw, e.Key) {
				t.Errorf("a log message holds the API key: %s", raw)
			}
		}
		if !k.modern() {
			if len(p.wire.posts(string(mcp.MethodSetLogLevel))) == 0 {
				t.Error("no logging/setLevel went over HTTP")
			}
			return
		}
		for _, c := range p.wire.posts(string(mcp.MethodToolsCall)) {
			meta, _ := c.request["params"].(map[string]any)["_meta"].(map[string]any)
			if meta[mcp.MetaKeyLogLevel] != "warning" {
				t.Errorf("a 2026-07-28 call without the log level in its _meta: %s", testenv.MustJSON(meta))
			}
		}
	})
}

// TestCancellingAQuestionOverHTTPReleasesItsCredits cancels a
// 2025-11-25 call while its spend question is open on the call's
// stream (the credits held meanwhile): the official SDK's client sends
// notifications/cancelled, mcp-go's ends the call's request. Either way
// the call ends, nothing is spent and nothing stays held. (Under
// 2026-07-28 nothing is held while the client asks.)
//
// mcp-go does not withdraw its elicitation/create (no
// notifications/cancelled for it), so a client keeps showing the
// question until its user answers; the answer then finds no call and
// spends nothing. The test's user answers when the test ends.
func TestCancellingAQuestionOverHTTPReleasesItsCredits(t *testing.T) {
	forEachPeer(t, func(t *testing.T, k peerKind) {
		if k.modern() {
			t.Skip("nothing is held while a 2026-07-28 client asks")
		}
		e, cfg := approvalConfig(t)
		_, url := serve(t, e, cfg)
		open, answer := make(chan struct{}), make(chan struct{})
		var once sync.Once
		p := dial(t, url, aliceToken, k, func(ctx context.Context, _ string) (string, map[string]any, error) {
			once.Do(func() { close(open) })
			select {
			case <-ctx.Done():
				return "", nil, ctx.Err()
			case <-answer:
				return "decline", nil, nil
			}
		})
		t.Cleanup(func() { close(answer) }) // before the client closes
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
		if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 0 || st.RunSpent != 0 {
			t.Errorf("after the cancellation the deployment holds %d and spent %d; want 0, 0", st.InFlight, st.RunSpent)
		}
		if spent := e.SB.Spent(e.Key); spent != 0 {
			t.Errorf("the sandbox charged %d credits without a yes", spent)
		}
	})
}
