package mcpserver_test

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/tools"
)

func TestDynamicModeListsFourToolsAndReachesEveryOperation(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{Server: mcpserver.Options{Mode: mcpserver.ModeDynamic}})
	list, err := e.MCP.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	var names []string
	for _, mt := range list.Tools {
		names = append(names, mt.Name)
		if mt.Annotations.ReadOnlyHint == nil {
			t.Errorf("%s has no readOnlyHint", mt.Name)
		} else if want := mt.Name != mcpserver.ToolCallOperation; *mt.Annotations.ReadOnlyHint != want {
			t.Errorf("%s: readOnlyHint = %v, want %v", mt.Name, *mt.Annotations.ReadOnlyHint, want)
		}
	}
	sort.Strings(names)
	want := []string{mcpserver.ToolCallOperation, mcpserver.ToolDescribeOperation, tools.ToolGetBudget, mcpserver.ToolSearchOperations}
	if !slices.Equal(names, want) {
		t.Fatalf("dynamic tools/list = %v, want %v", names, want)
	}

	t.Run("search finds search_ads by ads", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolSearchOperations, map[string]any{"query": "ads"})
		if res.IsError {
			t.Fatalf("search_operations failed: %s", testenv.MustJSON(sc))
		}
		ops, _ := sc["operations"].([]any)
		var found []string
		for _, o := range ops {
			op := o.(map[string]any)
			found = append(found, op["name"].(string))
			if op["cost"] == "" || op["about"] == "" {
				t.Errorf("operation %v has no cost or description", op["name"])
			}
		}
		if !slices.Contains(found, "search_ads") {
			t.Errorf("search_operations(ads) = %v, want search_ads among them", found)
		}
	})
	t.Run("search by toolset", func(t *testing.T) {
		_, sc := e.Call(t, mcpserver.ToolSearchOperations, map[string]any{"toolset": "tiktok"})
		ops, _ := sc["operations"].([]any)
		if len(ops) != 1 || ops[0].(map[string]any)["name"] != "search_tiktok_library" {
			t.Errorf("search_operations(toolset tiktok) = %s, want only search_tiktok_library", testenv.MustJSON(ops))
		}
	})
	t.Run("search with an unknown toolset", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolSearchOperations, map[string]any{"toolset": "nope"})
		testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
	})
	t.Run("search without arguments lists every operation", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolSearchOperations, nil)
		if res.IsError {
			t.Fatalf("search_operations failed: %s", testenv.MustJSON(sc))
		}
		if ops, _ := sc["operations"].([]any); len(ops) != e.Box.Catalogue().Len() {
			t.Errorf("search_operations() lists %d operations, the catalogue holds %d", len(ops), e.Box.Catalogue().Len())
		}
	})
	t.Run("call with arguments that are not an object", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolCallOperation, map[string]any{"name": "search_ads", "arguments": "search=coffee"})
		testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
	})
	t.Run("describe returns the schema", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolDescribeOperation, map[string]any{"name": "search_ads"})
		if res.IsError {
			t.Fatalf("describe_operation failed: %s", testenv.MustJSON(sc))
		}
		schema := testenv.Obj(t, sc, "inputSchema")
		if got := testenv.Num(t, testenv.Obj(t, schema, "properties", "limit"), "maximum"); got != 100 {
			t.Errorf("inputSchema.properties.limit.maximum = %d, want 100", got)
		}
		if req, _ := schema["required"].([]any); !slices.Contains(req, any("search")) {
			t.Errorf("inputSchema.required = %v, want search", schema["required"])
		}
		if sc["readOnly"] != true || sc["cost"] != string(tools.CostPerRow) {
			t.Errorf("describe_operation: readOnly %v cost %v", sc["readOnly"], sc["cost"])
		}
	})
	t.Run("describe an unknown operation", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolDescribeOperation, map[string]any{"name": "search_everything"})
		testenv.WantAdvice(t, res, sc, tools.CodeUnknownTool, tools.SourceTool)
	})
	t.Run("call runs it", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolCallOperation, map[string]any{"name": "search_ads",
			"arguments": map[string]any{"search": "coffee", "limit": 2}})
		if res.IsError {
			t.Fatalf("call_operation failed: %s", testenv.MustJSON(sc))
		}
		if n := len(testenv.Rows(t, sc)); n != 2 {
			t.Errorf("got %d rows, want 2", n)
		}
		if next := testenv.Obj(t, sc, "nextPage"); testenv.Num(t, next, "page") != 2 {
			t.Errorf("nextPage = %s, want page 2", testenv.MustJSON(next))
		}
		testenv.CheckMetering(t, e, sc)
	})
	t.Run("call an unknown operation", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolCallOperation, map[string]any{"name": "search_everything", "arguments": map[string]any{}})
		testenv.WantAdvice(t, res, sc, tools.CodeUnknownTool, tools.SourceTool)
	})
	t.Run("call with invalid arguments", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolCallOperation, map[string]any{"name": "search_ads", "arguments": map[string]any{"limit": 101}})
		testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
	})
	t.Run("call without arguments", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolCallOperation, map[string]any{"name": "get_workspace"})
		if res.IsError {
			t.Fatalf("call_operation(get_workspace) failed: %s", testenv.MustJSON(sc))
		}
	})
	t.Run("call that the API refuses", func(t *testing.T) {
		res, sc := e.Call(t, mcpserver.ToolCallOperation, map[string]any{"name": "get_ad", "arguments": map[string]any{"adId": "facebook_0"}})
		testenv.WantAdvice(t, res, sc, "not_found", "api")
	})
	t.Run("get_budget", func(t *testing.T) {
		res, sc := e.Call(t, tools.ToolGetBudget, nil)
		if res.IsError {
			t.Fatalf("get_budget failed: %s", testenv.MustJSON(sc))
		}
		testenv.WantBudget(t, sc)
	})
}
