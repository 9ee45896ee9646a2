package agent_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	openai "github.com/sashabaranov/go-openai"

	"github.com/tollgate-mcp/tollgate/agent"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

// The OpenAI tool message holds the same JSON an MCP host gets as text
// content.
func TestDispatchMatchesTheMCPFace(t *testing.T) {
	e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 100}})
	ctx := context.Background()
	mc := e.MCP
	// Calls whose answers do not change between two runs: validation
	// failures and a free tool with a fixed budget snapshot.
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"search_ads", map[string]any{"search": "coffee", "limit": 500}},
		{"get_ad", map[string]any{}},
		{"estimate_cost", map[string]any{"tool": "search_ads", "arguments": map[string]any{"limit": 30}}},
	} {
		req := mcp.CallToolRequest{}
		req.Params.Name = tc.tool
		req.Params.Arguments = tc.args
		mr, err := mc.CallTool(ctx, req)
		if err != nil {
			t.Fatalf("%s over MCP: %v", tc.tool, err)
		}
		text := mr.Content[0].(mcp.TextContent).Text
		raw, _ := json.Marshal(tc.args)
		msg, res := agent.Dispatch(ctx, e.Box, openai.ToolCall{ID: "x", Function: openai.FunctionCall{Name: tc.tool, Arguments: string(raw)}})
		if msg.Content != text {
			t.Errorf("%s: OpenAI and MCP differ:\nopenai %s\nmcp    %s", tc.tool, msg.Content, text)
		}
		if res.IsError != mr.IsError {
			t.Errorf("%s: IsError %v over OpenAI, %v over MCP", tc.tool, res.IsError, mr.IsError)
		}
	}
}
