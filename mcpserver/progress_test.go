package mcpserver_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// progressLog collects the notifications/progress an MCP client receives.
type progressLog struct {
	mu   sync.Mutex
	got  []map[string]any
	news chan struct{}
}

func watchProgress(e *testenv.Env) *progressLog {
	p := &progressLog{news: make(chan struct{}, 100)}
	e.MCP.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != string(mcp.MethodNotificationProgress) {
			return
		}
		p.mu.Lock()
		p.got = append(p.got, n.Params.AdditionalFields)
		p.mu.Unlock()
		p.news <- struct{}{}
	})
	return p
}

// waitFor waits until a notification with token has arrived. Notifications
// of one session are delivered in order, so every notification sent before
// it has arrived too.
func (p *progressLog) waitFor(t *testing.T, token string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if len(p.withToken(token)) > 0 {
			return
		}
		select {
		case <-p.news:
		case <-deadline:
			t.Fatalf("no progress notification with token %q arrived", token)
		}
	}
}

func (p *progressLog) withToken(token string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, n := range p.got {
		if n["progressToken"] == token {
			out = append(out, n)
		}
	}
	return out
}

func withProgress(token string) *mcp.Meta { return &mcp.Meta{ProgressToken: token} }

func TestProgressNotificationsReportRetryWaits(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	log := watchProgress(e)
	e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "2"})

	res, sc := testenv.CallMCP(t, context.Background(), e.MCP, "search_ads", map[string]any{"search": "coffee", "limit": 3}, withProgress("t1"))
	if res.IsError {
		t.Fatalf("the call did not succeed after the retry: %s", testenv.MustJSON(sc))
	}
	if n := len(testenv.Rows(t, sc)); n != 3 {
		t.Errorf("got %d rows, want 3", n)
	}
	log.waitFor(t, "t1")
	n := log.withToken("t1")
	if len(n) != 1 {
		t.Fatalf("got %d progress notifications, want 1: %v", len(n), n)
	}
	msg, _ := n[0]["message"].(string)
	if !strings.Contains(msg, "rate_limited") || !strings.Contains(msg, "2s") {
		t.Errorf("progress message %q does not say rate_limited and the 2s wait", msg)
	}
	if p, ok := asFloat(n[0]["progress"]); !ok || p <= 0 {
		t.Errorf("progress = %v, want a positive number", n[0]["progress"])
	}
	if got := e.Clock.Sleeps(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("the client waited %v, want [2s] (the Retry-After)", got)
	}
}

func TestProgressNotificationsAreThrottled(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 8, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		token string
		step  time.Duration // how far the server's clock moves per reading
		want  int
	}{
		{"waits within ProgressEvery give one notification", "t1", 0, 1},
		{"waits further apart give one each", "t1", time.Minute, 3},
		{"no progress token, no notification", "", time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var readings atomic.Int64
			now := func() time.Time { return base.Add(time.Duration(readings.Add(1)) * tc.step) }
			e := testenv.New(t, testenv.Config{Server: mcpserver.Options{ProgressEvery: 10 * time.Second, Now: now}})
			log := watchProgress(e)
			// Three 429s, then the fourth attempt succeeds.
			e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, Count: 3, PathPrefix: "/v1/ads", RetryAfter: "1"})
			var meta *mcp.Meta
			if tc.token != "" {
				meta = withProgress(tc.token)
			}
			res, sc := testenv.CallMCP(t, context.Background(), e.MCP, "search_ads", map[string]any{"search": "coffee", "limit": 1}, meta)
			if res.IsError {
				t.Fatalf("the call did not succeed after three retries: %s", testenv.MustJSON(sc))
			}
			if got := len(e.Clock.Sleeps()); got != 3 {
				t.Fatalf("the client waited %d times, want 3", got)
			}
			// A second call whose waits (its 429, and the pace that the
			// first call's 429s taught) are always reported marks the end
			// of the first call's notifications.
			e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/shops", RetryAfter: "1"})
			testenv.CallMCP(t, context.Background(), e.MCP, "search_shops", map[string]any{"limit": 1}, withProgress("sentinel"))
			log.waitFor(t, "sentinel")
			if tc.token == "" {
				n := len(log.withToken("sentinel"))
				if n < 1 {
					t.Errorf("sentinel notifications = %d, want at least 1", n)
				}
				log.mu.Lock()
				all := len(log.got)
				log.mu.Unlock()
				if all != n {
					t.Errorf("got %d notifications, want only the sentinel's (%d)", all, n)
				}
				return
			}
			if n := log.withToken(tc.token); len(n) != tc.want {
				t.Errorf("got %d notifications for three waits, want %d: %v", len(n), tc.want, n)
			}
		})
	}
}

// TestCancellingACallReleasesItsReservation cancels a call while it waits
// out a Retry-After: the call ends and its credits are no longer held.
func TestCancellingACallReleasesItsReservation(t *testing.T) {
	t.Parallel()
	clock := testenv.NewFakeClock()
	sleeping := make(chan time.Duration, 1)
	clock.Block(sleeping)
	e := testenv.New(t, testenv.Config{Clock: clock, Budget: &budget.Config{MaxCredits: 100}})
	e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "30"})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "search_ads"
		req.Params.Arguments = map[string]any{"search": "coffee", "limit": 20}
		res, err := e.MCP.CallTool(ctx, req)
		done <- outcome{res, err}
	}()

	select {
	case d := <-sleeping:
		if d != 30*time.Second {
			t.Errorf("the call waits %v, want the Retry-After of 30s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call never started waiting")
	}
	if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 20 {
		t.Errorf("while waiting, budget.inFlight = %d, want 20 (the reservation is kept)", st.InFlight)
	}
	cancel()
	var out outcome
	select {
	case out = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not end after its context was cancelled")
	}
	if out.err == nil {
		if !out.res.IsError {
			t.Errorf("a cancelled call succeeded: %s", testenv.TextOf(t, out.res))
		} else if sc := testenv.Structured(t, out.res); testenv.Obj(t, sc, "error")["code"] != "canceled" {
			t.Errorf("a cancelled call's advice is %s, want code canceled", testenv.MustJSON(sc))
		}
	}
	if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 0 || st.RunSpent != 0 {
		t.Errorf("after cancellation budget.inFlight = %d, runSpent = %d; want 0, 0", st.InFlight, st.RunSpent)
	}
}

// asFloat reads a JSON number that may not have been through encoding/json
// (the in-process transport hands notification fields over as they are).
func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}
