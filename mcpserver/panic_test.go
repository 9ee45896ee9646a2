package mcpserver_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestPanicsBecomeAdviceAndTheServerKeepsServing checks the server's
// recovery middleware: a handler that panics answers an isError result
// with code tool_panic, and the next calls are served as usual.
func TestPanicsBecomeAdviceAndTheServerKeepsServing(t *testing.T) {
	t.Parallel()
	t.Run("a handler added to the server", func(t *testing.T) {
		t.Parallel()
		e := testenv.New(t, testenv.Config{})
		// The middleware wraps every handler of the server, including one
		// added after NewMCPServer.
		e.Srv.AddTool(mcp.NewTool("boom"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			panic("kaboom")
		})
		res, sc := e.Call(t, "boom", nil)
		ad := testenv.WantAdvice(t, res, sc, tools.CodeToolPanic, tools.SourceTool)
		if msg, _ := ad["message"].(string); !strings.Contains(msg, "kaboom") || !strings.Contains(msg, "boom") {
			t.Errorf("message %q does not name the tool and the panic", msg)
		}
		testenv.WantBudget(t, sc)
		if res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1}); res.IsError {
			t.Fatalf("the server stopped serving after a panic: %s", testenv.MustJSON(sc))
		}
	})
	t.Run("a panic inside an API call releases its reservation", func(t *testing.T) {
		t.Parallel()
		var armed atomic.Bool
		armed.Store(true)
		// An observer that panics while the call waits to retry, with its
		// credits still reserved.
		obs := runtime.ObserverFuncs{Wait: func(context.Context, *runtime.Request, runtime.Wait) {
			if armed.CompareAndSwap(true, false) {
				panic("observer exploded")
			}
		}}
		e := testenv.New(t, testenv.Config{Observers: []runtime.Observer{obs}})
		e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "1"})
		res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 20})
		testenv.WantAdvice(t, res, sc, tools.CodeToolPanic, tools.SourceTool)
		if st := e.Ctrl.Status(); st.InFlight != 0 {
			t.Errorf("after a panic budget.inFlight = %d, want 0: the reservation leaked", st.InFlight)
		}
		res, sc = e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 2})
		if res.IsError {
			t.Fatalf("the server stopped serving after a panic: %s", testenv.MustJSON(sc))
		}
		if n := len(testenv.Rows(t, sc)); n != 2 {
			t.Errorf("got %d rows, want 2", n)
		}
	})
}
