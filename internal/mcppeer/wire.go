package mcppeer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Wire records a client's HTTP exchanges with an MCP server: each
// request's JSON-RPC message and the messages of its answer (one JSON
// object, or each event of an SSE stream), as they were on the network.
// The zero Wire is empty and ready to record.
type Wire struct {
	mu        sync.Mutex
	exchanges []*exchange
}

type exchange struct {
	method  string // HTTP method
	request map[string]any
	status  int
	ctype   string
	body    bytes.Buffer // as much of the answer as the client read
}

// messages are the JSON-RPC messages of the answer.
func (x *exchange) messages() []map[string]any { return Messages(x.ctype, x.body.Bytes()) }

// Messages returns the JSON-RPC messages of an HTTP answer's body: each
// event's data of an SSE stream (contentType text/event-stream), else
// the body itself if it is a JSON-RPC message.
func Messages(contentType string, body []byte) []map[string]any {
	var out []map[string]any
	if !strings.HasPrefix(contentType, "text/event-stream") {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil && m["jsonrpc"] != nil {
			out = append(out, m)
		}
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var m map[string]any
			if json.Unmarshal([]byte(data), &m) == nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// Post is a snapshot of one recorded POST: its JSON-RPC message and the
// messages of its answer so far.
type Post struct {
	Request     map[string]any
	Status      int
	ContentType string
	Answer      []map[string]any
}

// Posts returns the POSTs whose request has method ("" for the
// client's answers to the server's requests).
func (w *Wire) Posts(method string) []Post {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Post
	for _, x := range w.exchanges {
		if m, _ := x.request["method"].(string); x.method == http.MethodPost && m == method {
			out = append(out, Post{Request: x.request, Status: x.status, ContentType: x.ctype, Answer: x.messages()})
		}
	}
	return out
}

// Answers lists every JSON-RPC message the server sent, on any stream.
func (w *Wire) Answers() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, x := range w.exchanges {
		out = append(out, x.messages()...)
	}
	return out
}

// Sent lists the messages with method the server sent, on any stream.
func (w *Wire) Sent(method string) []map[string]any {
	var out []map[string]any
	for _, m := range w.Answers() {
		if m["method"] == method {
			out = append(out, m)
		}
	}
	return out
}

// Client returns an HTTP client that records its exchanges in w and
// sends token (if any) as a bearer token, through next
// (http.DefaultTransport if nil).
func (w *Wire) Client(token string, next http.RoundTripper) *http.Client {
	if next == nil {
		next = http.DefaultTransport
	}
	return &http.Client{Transport: &recorder{w: w, token: token, next: next}}
}

// recorder is a Wire's RoundTripper: it adds the bearer token and
// records every exchange.
type recorder struct {
	w     *Wire
	token string
	next  http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	x := &exchange{method: req.Method}
	if req.Body != nil && req.Method == http.MethodPost {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		_ = json.Unmarshal(b, &x.request)
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	// Recorded before it is sent: the server may act on it (and the
	// test look) before its answer is back.
	r.w.mu.Lock()
	r.w.exchanges = append(r.w.exchanges, x)
	r.w.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.w.mu.Lock()
	x.status, x.ctype = resp.StatusCode, resp.Header.Get("Content-Type")
	r.w.mu.Unlock()
	resp.Body = &teeBody{rc: resp.Body, x: x, mu: &r.w.mu}
	return resp, nil
}

// teeBody copies what the client reads of an answer into its exchange.
type teeBody struct {
	rc io.ReadCloser
	x  *exchange
	mu *sync.Mutex
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		b.x.body.Write(p[:n])
		b.mu.Unlock()
	}
	return n, err
}

func (b *teeBody) Close() error { return b.rc.Close() }
