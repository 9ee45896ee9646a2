package mcpserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// TestLongWaitsAreReportedWhileTheyLast checks that a long Retry-After
// wait keeps sending progress (so a host resetting its timeout on
// progress keeps waiting), and that the repeats stop with the call.
func TestLongWaitsAreReportedWhileTheyLast(t *testing.T) {
	t.Parallel()
	clock := testenv.NewFakeClock()
	clock.Block(nil) // the wait lasts until the call is cancelled
	e := testenv.New(t, testenv.Config{Clock: clock, Budget: &budget.Config{MaxCredits: 100},
		Server: mcpserver.Options{ProgressTick: 20 * time.Millisecond}})
	e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "30"})
	log := watchProgress(e)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := mcp.CallToolRequest{}
		req.Params.Name = "search_ads"
		req.Params.Arguments = map[string]any{"search": "coffee", "limit": 20}
		req.Params.Meta = &mcp.Meta{ProgressToken: "long"}
		_, _ = e.MCP.CallTool(ctx, req)
	}()

	deadline := time.Now().Add(10 * time.Second)
	for len(log.withToken("long")) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := log.withToken("long")
	if len(got) < 3 {
		t.Fatalf("%d progress notifications during a 30 s wait; want the first and repeats: %v", len(got), got)
	}
	if msg, _ := got[1]["message"].(string); !strings.Contains(msg, "still waiting") {
		t.Errorf("repeat message = %q", msg)
	}
	for i := 1; i < len(got); i++ {
		cur, _ := asFloat(got[i]["progress"])
		prev, _ := asFloat(got[i-1]["progress"])
		if cur <= prev {
			t.Errorf("progress does not increase: %v", got)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not end after cancellation")
	}
	// goleak (TestMain) checks that the repeating goroutine ended too.
}
