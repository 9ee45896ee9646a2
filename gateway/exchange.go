package gateway

import (
	"net/http"
	"sync"
)

// No response for a cancelled request.
//
// MCP says a server SHOULD NOT answer a request the client cancelled
// with notifications/cancelled. mcp-go skips the response of a request
// whose context has ended, but only if it notices before it starts
// writing, and a JSON-answered POST then ends as a bare 200 with no
// Content-Type and no body, which is not an answer Streamable HTTP
// allows. So the gateway owns the rule: every request it forwards writes
// through an exchange, and a cancellation drops the exchange before it
// cancels the call. From then on nothing mcp-go writes for that request
// reaches the client, and what the client sees depends on how far the
// answer had got:
//
//   - nothing sent yet (a POST that would have been answered with JSON):
//     a text/event-stream answer that ends with no event. A request's
//     answer must be either one JSON object, which is the response we
//     must not send, or an SSE stream, which the server may end at any
//     time and which "SHOULD eventually include" the response, a SHOULD
//     the cancellation rule overrides; so an empty stream is the one
//     answer both revisions allow. (202 Accepted is only for
//     notifications and responses; an error status would be an answer
//     to a request the client no longer wants answered.)
//   - an SSE stream already open (progress, log messages or a question
//     were sent): it ends without the response.
//   - the response already written: the cancellation came too late, as
//     the specification allows; the client ignores it.
//
// The status line is held back until the first byte of the body, so a
// cancellation between mcp-go's WriteHeader and its Write cannot leave a
// JSON answer without its body. Once the instance running a request has
// taken its cancellation (the 202 of a notifications/cancelled that
// landed on it; a peer's event when it landed on another), the response
// of that request is never written.
type exchange struct {
	w http.ResponseWriter

	mu      sync.Mutex
	status  int  // held back until the first Write or Flush
	sent    bool // the status line has gone to w
	dropped bool // the client cancelled: write nothing more
}

func newExchange(w http.ResponseWriter) *exchange { return &exchange{w: w} }

// Header implements http.ResponseWriter.
func (x *exchange) Header() http.Header { return x.w.Header() }

// WriteHeader implements http.ResponseWriter; the status goes out with
// the first byte of the body.
func (x *exchange) WriteHeader(status int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.sent && x.status == 0 {
		x.status = status
	}
}

// Write implements http.ResponseWriter. After drop it discards b.
func (x *exchange) Write(b []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.dropped {
		return len(b), nil
	}
	x.sendStatusLocked()
	return x.w.Write(b)
}

// Flush implements http.Flusher (mcp-go streams only to a Flusher).
func (x *exchange) Flush() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.dropped {
		return
	}
	x.sendStatusLocked()
	x.flushLocked()
}

// Unwrap lets http.ResponseController reach the connection (mcp-go sets
// write deadlines through it).
func (x *exchange) Unwrap() http.ResponseWriter { return x.w }

func (x *exchange) sendStatusLocked() {
	if x.sent {
		return
	}
	x.sent = true
	if x.status != 0 {
		x.w.WriteHeader(x.status)
	}
}

func (x *exchange) flushLocked() {
	if f, ok := x.w.(http.Flusher); ok {
		f.Flush()
	}
}

// drop stops every later write: the client cancelled the request. It
// returns once a write in progress has ended.
func (x *exchange) drop() {
	x.mu.Lock()
	x.dropped = true
	x.mu.Unlock()
}

// finish ends the exchange after mcp-go has returned: the held-back
// status of an answer with no body, or, for a request dropped before
// anything was sent, an SSE stream that ends with no event.
func (x *exchange) finish() {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case x.sent:
	case x.dropped:
		x.sent = true
		h := x.w.Header()
		h.Del("Content-Length")
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		x.w.WriteHeader(http.StatusOK)
		x.flushLocked()
	default:
		x.sendStatusLocked()
	}
}
