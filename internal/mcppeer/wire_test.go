package mcppeer_test

import (
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

func TestMessagesReadsJSONAndSSEAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want              []string // each message's id or method
	}{
		{"a JSON-RPC body", "application/json", `{"jsonrpc":"2.0","id":1,"result":{}}`, []string{"1"}},
		{"a JSON body that is not JSON-RPC", "application/json", `{"error":"unauthorized"}`, nil},
		{"a body that is not JSON", "text/plain", "Unauthorized\n", nil},
		{"an SSE stream", "text/event-stream; charset=utf-8",
			"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n" +
				": a comment\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n\n" +
				"data: not json\n\n",
			[]string{"notifications/message", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, m := range mcppeer.Messages(tc.ctype, []byte(tc.body)) {
				if method, ok := m["method"].(string); ok {
					got = append(got, method)
				} else {
					got = append(got, testenv.MustJSON(m["id"]))
				}
			}
			if testenv.MustJSON(got) != testenv.MustJSON(tc.want) {
				t.Errorf("messages %v, want %v", got, tc.want)
			}
		})
	}
}
