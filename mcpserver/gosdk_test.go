package mcpserver_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestOfficialGoSDKClientOverHTTP drives the server with an MCP client
// that is not mcp-go: the official Go SDK, over Streamable HTTP.
func TestOfficialGoSDKClientOverHTTP(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	url := serveHTTP(t, e, gateway.Config{Token: httpToken})
	ctx := context.Background()

	c := sdk.NewClient(&sdk.Implementation{Name: "go-sdk-test", Version: "1"}, nil)
	hc := (&mcppeer.Wire{}).Client(httpToken, nil) // adds the bearer token
	cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })

	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	var names []string
	for _, tl := range list.Tools {
		names = append(names, tl.Name)
		ct, _ := e.Box.Catalogue().Lookup(tl.Name)
		if tl.Annotations == nil || ct == nil || tl.Annotations.ReadOnlyHint != ct.Annotations.ReadOnly {
			t.Errorf("%s: annotations %+v", tl.Name, tl.Annotations)
		}
	}
	if len(names) != e.Box.Catalogue().Len() || !slices.Contains(names, "search_ads") {
		t.Fatalf("tools/list = %v", names)
	}

	decode := func(t *testing.T, res *sdk.CallToolResult) map[string]any {
		t.Helper()
		if len(res.Content) != 1 {
			t.Fatalf("%d content items, want 1", len(res.Content))
		}
		tc, ok := res.Content[0].(*sdk.TextContent)
		if !ok {
			t.Fatalf("content is %T, want text", res.Content[0])
		}
		var text, structured map[string]any
		if err := json.Unmarshal([]byte(tc.Text), &text); err != nil {
			t.Fatalf("text content is not JSON: %v", err)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(raw, &structured); err != nil {
			t.Fatalf("structuredContent is not an object: %s", raw)
		}
		if testenv.MustJSON(text) != testenv.MustJSON(structured) {
			t.Errorf("text and structuredContent differ:\n%s\n%s", tc.Text, raw)
		}
		return structured
	}

	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "search_ads", Arguments: map[string]any{"search": "coffee", "limit": 2}})
	if err != nil {
		t.Fatalf("CallTool search_ads: %v", err)
	}
	sc := decode(t, res)
	if res.IsError || len(testenv.Rows(t, sc)) != 2 {
		t.Fatalf("search_ads: isError %v: %s", res.IsError, testenv.MustJSON(sc))
	}
	if testenv.Num(t, testenv.Obj(t, sc, "nextPage"), "page") != 2 {
		t.Errorf("nextPage = %s", testenv.MustJSON(sc["nextPage"]))
	}

	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "search_ads", Arguments: map[string]any{"search": "coffee", "limit": 500}})
	if err != nil {
		t.Fatalf("CallTool with bad arguments: a protocol error instead of a tool result: %v", err)
	}
	sc = decode(t, res)
	if !res.IsError || testenv.Obj(t, sc, "error")["code"] != tools.CodeInvalidArguments {
		t.Errorf("search_ads limit 500: isError %v: %s", res.IsError, testenv.MustJSON(sc))
	}

	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_ad", Arguments: map[string]any{"adId": "facebook_0"}})
	if err != nil {
		t.Fatalf("CallTool get_ad: %v", err)
	}
	sc = decode(t, res)
	if !res.IsError {
		t.Fatalf("get_ad of an unknown id: isError false: %s", testenv.MustJSON(sc))
	}
	ad := testenv.Obj(t, sc, "error")
	if ad["code"] != "not_found" || ad["httpStatus"] != float64(404) || ad["source"] != "api" || ad["action"] == "" {
		t.Errorf("advice = %s", testenv.MustJSON(ad))
	}
	testenv.WantBudget(t, sc)
}

const httpToken = "s3cret"

// serveHTTP serves e's MCP server over Streamable HTTP and returns the
// URL of its /mcp endpoint.
func serveHTTP(t *testing.T, e *testenv.Env, cfg gateway.Config) string {
	t.Helper()
	cfg.Toolbox = e.Box
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	hs := httptest.NewServer(g.Handler())
	t.Cleanup(func() { hs.Close(); _ = g.Close() })
	return hs.URL + "/mcp"
}
