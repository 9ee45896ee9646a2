package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestExchangeWritesNothingOfACancelledRequest drives an exchange as
// mcp-go does (WriteHeader, then the body in one Write) with the
// cancellation landing at each point in between.
func TestExchangeWritesNothingOfACancelledRequest(t *testing.T) {
	const response = `{"jsonrpc":"2.0","id":7,"result":{}}` + "\n"
	jsonAnswer := func(x *exchange) {
		x.Header().Set("Content-Type", "application/json")
		x.WriteHeader(http.StatusOK)
		_, _ = x.Write([]byte(response))
	}
	for _, tc := range []struct {
		name     string
		run      func(x *exchange)
		wantType string
		wantBody string
		status   int // 0: 200
	}{
		{"not cancelled: the response as written", func(x *exchange) { jsonAnswer(x) }, "application/json", response, 0},
		{"cancelled before anything: an empty SSE stream", func(x *exchange) { x.drop(); jsonAnswer(x) }, "text/event-stream", "", 0},
		{"cancelled between the status and the body: no JSON answer without its body", func(x *exchange) {
			x.Header().Set("Content-Type", "application/json")
			x.WriteHeader(http.StatusOK)
			x.drop()
			_, _ = x.Write([]byte(response))
		}, "text/event-stream", "", 0},
		{"cancelled after the first event: the stream ends without the response", func(x *exchange) {
			x.Header().Set("Content-Type", "text/event-stream")
			x.WriteHeader(http.StatusOK)
			_, _ = x.Write([]byte("event: message\ndata: {}\n\n"))
			x.Flush()
			x.drop()
			_, _ = x.Write([]byte("event: message\ndata: " + response + "\n"))
			x.Flush()
		}, "text/event-stream", "event: message\ndata: {}\n\n", 0},
		{"cancelled after the response: too late, it stays", func(x *exchange) { jsonAnswer(x); x.drop() }, "application/json", response, 0},
		{"an answer with no body keeps its status", func(x *exchange) { x.WriteHeader(http.StatusAccepted) }, "", "", http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			x := newExchange(rec)
			tc.run(x)
			x.finish()
			if got := rec.Header().Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type %q, want %q", got, tc.wantType)
			}
			if got := rec.Body.String(); got != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
			if tc.status == 0 {
				tc.status = http.StatusOK
			}
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
		})
	}
}
