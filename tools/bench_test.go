package tools_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// benchStack is a sandbox with a huge balance, a client, a controller
// and a toolbox, for the overhead benchmarks.
func benchStack(b *testing.B) (*runtime.Client, *tools.Toolbox) {
	b.Helper()
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	b.Cleanup(ts.Close)
	key := sb.NewWorkspace(sandbox.Credits{Recurring: 1 << 40})
	c, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(key))
	if err != nil {
		b.Fatal(err)
	}
	ctrl, err := budget.New(budget.Config{MaxCredits: budget.Unlimited, Usage: c})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ctrl.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	box, err := tools.NewToolbox(tools.Config{Catalogue: tools.BuiltIn(), Client: c, Budget: ctrl})
	if err != nil {
		b.Fatal(err)
	}
	return c, box
}

// BenchmarkSearchAds compares one 20-row search_ads page through the
// layers: the bare runtime call (baseline), Toolbox.Call (validation,
// budget reservation and settlement, result shaping), and the same over
// MCP with mcp-go's in-process client. README records the ratios.
func BenchmarkSearchAds(b *testing.B) {
	ctx := context.Background()
	b.Run("runtime", func(b *testing.B) {
		c, _ := benchStack(b)
		req := &runtime.Request{Method: "GET", Path: "/v1/ads", Operation: "listAds",
			Query: url.Values{"search": {"coffee"}, "limit": {"20"}}}
		for b.Loop() {
			if _, err := c.Do(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	args := map[string]any{"search": "coffee", "limit": 20}
	b.Run("toolbox", func(b *testing.B) {
		_, box := benchStack(b)
		for b.Loop() {
			if r := box.Call(ctx, "search_ads", args); r.IsError {
				b.Fatal(string(r.JSON()))
			}
		}
	})
	b.Run("mcp", func(b *testing.B) {
		_, box := benchStack(b)
		mc, err := client.NewInProcessClient(mcpserver.New(box, mcpserver.Options{}))
		if err != nil {
			b.Fatal(err)
		}
		defer mc.Close()
		if err := mc.Start(ctx); err != nil {
			b.Fatal(err)
		}
		init := mcp.InitializeRequest{}
		init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
		if _, err := mc.Initialize(ctx, init); err != nil {
			b.Fatal(err)
		}
		req := mcp.CallToolRequest{}
		req.Params.Name = "search_ads"
		req.Params.Arguments = args
		for b.Loop() {
			res, err := mc.CallTool(ctx, req)
			if err != nil || res.IsError {
				b.Fatal(err)
			}
		}
	})
}
