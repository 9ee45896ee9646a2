package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// An httpPeer is a real MCP client connected to a gateway over
// Streamable HTTP with a bearer token: mcp-go's or the official Go
// SDK's, pinned to one protocol revision, each speaking that revision's
// own terms. The feature tests run against every kind, so every MCP
// feature is tested through the gateway in both revisions with both
// clients. A peer records the HTTP exchanges it made (wire), so a test
// can check what went over the network, not only what a client library
// made of it.

type peerKind struct {
	name    string
	sdk     bool
	version string
}

var peerKinds = []peerKind{
	{"mcp-go/" + legacy, false, legacy},
	{"mcp-go/" + modern, false, modern},
	{"go-sdk/" + legacy, true, legacy},
	{"go-sdk/" + modern, true, modern},
}

func (k peerKind) modern() bool { return k.version == modern }

// forEachPeer runs f for every kind of peer, in parallel subtests.
func forEachPeer(t *testing.T, f func(t *testing.T, k peerKind)) {
	t.Parallel()
	for _, k := range peerKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			f(t, k)
		})
	}
}

// elicitFunc answers a spend question as a user would.
type elicitFunc func(ctx context.Context, message string) (action string, content map[string]any, err error)

type logMsg struct {
	Level string
	Data  map[string]any
}

type httpPeer struct {
	kind  peerKind
	mg    *client.Client
	cs    *sdk.ClientSession
	level string // the SDK's per-request log level (2026-07-28)
	wire  *wire

	mu      sync.Mutex
	logs    []logMsg
	updates []string
	acks    int
	news    chan struct{}
}

// dial connects a client of kind k to the gateway at url with token;
// elicit, when set, makes the client offer elicitation.
func dial(t *testing.T, url, token string, k peerKind, elicit elicitFunc) *httpPeer {
	t.Helper()
	p := &httpPeer{kind: k, news: make(chan struct{}, 1000), wire: &wire{}}
	hc := &http.Client{Transport: &recorder{w: p.wire, token: token, next: http.DefaultTransport}}
	if k.sdk {
		p.dialSDK(t, url, hc, elicit)
	} else {
		p.dialMCPGo(t, url, hc, elicit)
	}
	return p
}

func (p *httpPeer) note(f func()) {
	p.mu.Lock()
	f()
	p.mu.Unlock()
	select {
	case p.news <- struct{}{}:
	default:
	}
}

type mgElicit elicitFunc

func (f mgElicit) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	action, content, err := f(ctx, r.Params.Message)
	if err != nil {
		return nil, err
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseAction(action), Content: content}}, nil
}

func (p *httpPeer) dialMCPGo(t *testing.T, url string, hc *http.Client, elicit elicitFunc) {
	t.Helper()
	topts := []transport.StreamableHTTPCOption{transport.WithHTTPBasicClient(hc),
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler))}
	if !p.kind.modern() {
		// The session's own stream, for what is sent between requests.
		topts = append(topts, transport.WithContinuousListening())
	}
	tr, err := transport.NewStreamableHTTP(url, topts...)
	if err != nil {
		t.Fatal(err)
	}
	opts := []client.ClientOption{client.WithProtocolVersion(p.kind.version)}
	if elicit != nil {
		opts = append(opts, client.WithElicitationHandler(mgElicit(elicit)))
	}
	cl := client.NewClient(tr, opts...)
	t.Cleanup(func() { _ = cl.Close() })
	cl.OnNotification(func(n mcp.JSONRPCNotification) {
		f := n.Params.AdditionalFields
		switch n.Method {
		case string(mcp.MethodNotificationMessage):
			level, _ := f["level"].(string)
			p.note(func() { p.logs = append(p.logs, logMsg{Level: level, Data: asMap(f["data"])}) })
		case mcp.MethodNotificationResourceUpdated:
			uri, _ := f["uri"].(string)
			p.note(func() { p.updates = append(p.updates, uri) })
		case mcp.MethodNotificationSubscriptionsAcknowledged:
			p.note(func() { p.acks++ })
		}
	})
	ctx := context.Background()
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "gateway-test", Version: "1"}
	if _, err := cl.Initialize(ctx, init); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	if got := cl.ProtocolVersion(); got != p.kind.version {
		t.Fatalf("mcp-go client negotiated %s, want %s", got, p.kind.version)
	}
	p.mg = cl
}

func (p *httpPeer) dialSDK(t *testing.T, url string, hc *http.Client, elicit elicitFunc) {
	t.Helper()
	opts := &sdk.ClientOptions{
		LoggingMessageHandler: func(_ context.Context, r *sdk.LoggingMessageRequest) {
			p.note(func() { p.logs = append(p.logs, logMsg{Level: string(r.Params.Level), Data: asMap(r.Params.Data)}) })
		},
		ResourceUpdatedHandler: func(_ context.Context, r *sdk.ResourceUpdatedNotificationRequest) {
			p.note(func() { p.updates = append(p.updates, r.Params.URI) })
		},
	}
	if elicit != nil {
		opts.ElicitationHandler = func(ctx context.Context, r *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			action, content, err := elicit(ctx, r.Params.Message)
			if err != nil {
				return nil, err
			}
			return &sdk.ElicitResult{Action: action, Content: content}, nil
		}
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "gateway-test", Version: "1"}, opts)
	c.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			if method == mcp.MethodNotificationSubscriptionsAcknowledged {
				p.note(func() { p.acks++ })
			}
			return next(ctx, method, req)
		}
	})
	cs, err := c.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc},
		&sdk.ClientSessionOptions{ProtocolVersion: p.kind.version})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	if got := cs.InitializeResult().ProtocolVersion; got != p.kind.version {
		t.Fatalf("go-sdk client negotiated %s, want %s", got, p.kind.version)
	}
	p.cs = cs
}

func asMap(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	var m map[string]any
	raw, _ := json.Marshal(v)
	_ = json.Unmarshal(raw, &m)
	return m
}

// peerResult is a tool result as either client decoded it.
type peerResult struct {
	IsError bool
	SC      map[string]any // structuredContent
}

// call calls a tool; a JSON-RPC error fails the test.
func (p *httpPeer) call(t *testing.T, name string, args map[string]any) peerResult {
	t.Helper()
	r, err := p.callErr(context.Background(), name, args)
	if err != nil {
		t.Fatalf("%s: %s: a JSON-RPC error instead of a tool result: %v", p.kind.name, name, err)
	}
	return r
}

func (p *httpPeer) callErr(ctx context.Context, name string, args map[string]any) (peerResult, error) {
	if p.mg != nil {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := p.mg.CallTool(ctx, req)
		if err != nil {
			return peerResult{}, err
		}
		return peerResult{IsError: res.IsError, SC: asMap(res.StructuredContent)}, nil
	}
	params := &sdk.CallToolParams{Name: name, Arguments: args}
	if p.level != "" {
		params.Meta = sdk.Meta{mcp.MetaKeyLogLevel: p.level}
	}
	res, err := p.cs.CallTool(ctx, params)
	if err != nil {
		return peerResult{}, err
	}
	return peerResult{IsError: res.IsError, SC: asMap(res.StructuredContent)}, nil
}

// read returns a resource's text.
func (p *httpPeer) read(t *testing.T, uri string) string {
	t.Helper()
	if p.mg != nil {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := p.mg.ReadResource(context.Background(), req)
		if err != nil {
			t.Fatalf("read %s: %v", uri, err)
		}
		tc, ok := res.Contents[0].(mcp.TextResourceContents)
		if !ok {
			t.Fatalf("read %s: contents are %T", uri, res.Contents[0])
		}
		return tc.Text
	}
	res, err := p.cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	return res.Contents[0].Text
}

// setLevel asks for log messages at level and above, in the revision's
// terms: logging/setLevel, or the level in every request's _meta.
func (p *httpPeer) setLevel(t *testing.T, level string) {
	t.Helper()
	if p.mg != nil {
		if err := p.mg.SetLevel(context.Background(), mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevel(level)}}); err != nil {
			t.Fatal(err)
		}
		return
	}
	if p.kind.modern() {
		p.level = level
		return
	}
	if err := p.cs.SetLoggingLevel(context.Background(), &sdk.SetLoggingLevelParams{Level: sdk.LoggingLevel(level)}); err != nil {
		t.Fatal(err)
	}
}

// subscribe subscribes to uri in the revision's terms and returns once
// the server has it: resources/subscribe, or a subscriptions/listen
// stream (acknowledged) that lasts until the test ends.
func (p *httpPeer) subscribe(t *testing.T, uri string) {
	t.Helper()
	ctx := context.Background()
	if !p.kind.modern() {
		var err error
		if p.mg != nil {
			err = p.mg.Subscribe(ctx, mcp.SubscribeRequest{Params: mcp.SubscribeParams{URI: uri}})
		} else {
			err = p.cs.Subscribe(ctx, &sdk.SubscribeParams{URI: uri})
		}
		if err != nil {
			t.Fatalf("subscribe %s: %v", uri, err)
		}
		return
	}
	if p.mg != nil {
		stop, err := p.mg.ListenAsync(ctx, mcp.SubscriptionFilter{ResourceSubscriptions: []string{uri}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	} else {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = p.cs.Subscribe(ctx, &sdk.SubscribeParams{URI: uri})
		}()
		t.Cleanup(func() {
			_ = p.cs.Unsubscribe(ctx, &sdk.UnsubscribeParams{URI: uri})
			<-done
		})
	}
	p.waitFor(t, "the subscription's acknowledgement", func() bool { return p.acks > 0 })
}

// waitFor waits until cond (called with p.mu held) holds.
func (p *httpPeer) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		ok := cond()
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-p.news:
		case <-deadline:
			t.Fatalf("%s: waited 10 s for %s", p.kind.name, what)
		}
	}
}

func (p *httpPeer) logsCopy() []logMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]logMsg(nil), p.logs...)
}

// wire records a client's HTTP exchanges with the gateway: each request's
// JSON-RPC message and the messages of its answer (one JSON object, or
// each event of an SSE stream), as they were on the network.
type wire struct {
	mu        sync.Mutex
	exchanges []*wireExchange
}

type wireExchange struct {
	method  string // HTTP method
	request map[string]any
	status  int
	ctype   string
	body    bytes.Buffer // as much of the answer as the client read
}

// messages are the JSON-RPC messages of the answer.
func (x *wireExchange) messages() []map[string]any {
	var out []map[string]any
	raw := x.body.Bytes()
	if !strings.HasPrefix(x.ctype, "text/event-stream") {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			out = append(out, m)
		}
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
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

// post is a snapshot of one recorded POST: its JSON-RPC message and the
// messages of its answer so far.
type post struct {
	request map[string]any
	status  int
	ctype   string
	answer  []map[string]any
}

// posts returns the POSTs whose request has method ("" for the
// client's answers to the server's requests).
func (w *wire) posts(method string) []post {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []post
	for _, x := range w.exchanges {
		if m, _ := x.request["method"].(string); x.method == http.MethodPost && m == method {
			out = append(out, post{request: x.request, status: x.status, ctype: x.ctype, answer: x.messages()})
		}
	}
	return out
}

// answers lists every JSON-RPC message the gateway sent (on any stream).
func (w *wire) answers() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, x := range w.exchanges {
		out = append(out, x.messages()...)
	}
	return out
}

// recorder is the clients' RoundTripper: it adds the bearer token and
// records every exchange.
type recorder struct {
	w     *wire
	token string
	next  http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	x := &wireExchange{method: req.Method}
	if req.Body != nil && req.Method == http.MethodPost {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		_ = json.Unmarshal(b, &x.request)
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	// Recorded before it is sent: the gateway may act on it (and the
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
	x  *wireExchange
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
