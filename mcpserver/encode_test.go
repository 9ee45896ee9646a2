package mcpserver

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/tools"
)

// The spliced tools/list answer is json.Marshal's, byte for byte: for the
// whole built-in catalogue, for tools whose strings need escaping, whose
// schemas are not compact or hold the placeholders' bytes, with a cursor
// and _meta.
func TestEncodeMessageIsJSONMarshal(t *testing.T) {
	var all []mcp.Tool
	for _, tt := range tools.BuiltIn().Tools() {
		all = append(all, mcpTool(tt))
	}
	odd := mcp.Tool{
		Name:            "odd",
		Description:     "a <b> & \u2028 \"quoted\" tool",
		RawInputSchema:  json.RawMessage("{ \"type\" : \"object\",\n \"description\": \"<x> & y\" }"),
		RawOutputSchema: json.RawMessage(`{"type":"object"}`),
		Meta:            mcp.NewMetaFromMap(map[string]any{"k": "<v>"}),
	}
	tricky := mcp.Tool{
		Name:            "tricky",
		Description:     `"inputSchema":0 "outputSchema":1`,
		RawInputSchema:  json.RawMessage(`{"type":"object","description":"\"inputSchema\":0 \\ ok"}`),
		RawOutputSchema: json.RawMessage(`{"enum":["a<b"]}`),
		Meta:            mcp.NewMetaFromMap(map[string]any{"inputSchema": 0, "outputSchema": 1}),
	}
	compact := tricky
	compact.Name, compact.RawOutputSchema = "compact", json.RawMessage(`{"type":"object","x":[1,2,{"y":null}]}`)
	plain := mcp.Tool{Name: "plain", InputSchema: mcp.ToolInputSchema{Type: "object"}}
	list := func(ts ...mcp.Tool) mcp.JSONRPCMessage {
		r := &mcp.ListToolsResult{Tools: ts}
		r.NextCursor = "c<1>"
		return mcp.NewJSONRPCResultResponse(mcp.NewRequestId(7), r)
	}
	check := func(name string, v any) {
		t.Helper()
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		got, err := encodeMessage(v)
		if err != nil {
			t.Fatalf("%s: encodeMessage: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encodeMessage differs from json.Marshal:\n got %.300s\nwant %.300s", name, got, want)
		}
	}
	check("the built-in catalogue", list(all...))
	check("odd tools", list(odd, tricky, compact, plain))
	check("no tools", list())
	check("a result by value, as mcp-go answers", mcp.NewJSONRPCResultResponse(mcp.NewRequestId(3), mcp.ListToolsResult{Tools: all}))
	check("another result", mcp.NewJSONRPCResultResponse(mcp.NewRequestId("x"), mcp.EmptyResult{}))
	check("an error", mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(1),
		Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, "<no>", nil)})
}

func BenchmarkEncodeToolsList(b *testing.B) {
	var all []mcp.Tool
	for _, tt := range tools.BuiltIn().Tools() {
		all = append(all, mcpTool(tt))
	}
	msg := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(2), &mcp.ListToolsResult{Tools: all})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(msg)
		}
	})
	b.Run("encodeMessage", func(b *testing.B) {
		for b.Loop() {
			_, _ = encodeMessage(msg)
		}
	})
}
