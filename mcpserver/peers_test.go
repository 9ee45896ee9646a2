package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
)

// A peer is one MCP client connected to an environment's server: mcp-go's
// client (in process) or the official Go SDK's (over ServeStdio), pinned
// to one protocol revision. Each feature test runs against every kind, so
// each feature is tested in both revisions with both clients, each
// speaking that revision's own terms.

type peerKind struct {
	name    string
	sdk     bool
	version string
}

var peerKinds = []peerKind{
	{"mcp-go/2025-11-25", false, mcp.ProtocolVersion20251125},
	{"mcp-go/2026-07-28", false, mcp.ProtocolVersion20260728},
	{"go-sdk/2025-11-25", true, mcp.ProtocolVersion20251125},
	{"go-sdk/2026-07-28", true, mcp.ProtocolVersion20260728},
}

func (k peerKind) modern() bool { return mcp.IsModernProtocol(k.version) }

// elicitFunc answers a spend question as a user would.
type elicitFunc func(ctx context.Context, message string, schema any) (action string, content map[string]any, err error)

type peerOptions struct {
	// elicit, when set, makes the client offer elicitation.
	elicit elicitFunc
	// stdio connects mcp-go's client over ServeStdio too.
	stdio bool
}

type logMsg struct {
	Level string
	Data  map[string]any
}

type peer struct {
	kind  peerKind
	mg    *client.Client
	cs    *sdk.ClientSession
	level string // the SDK's per-request log level (2026-07-28)
	info  mcp.Implementation

	mu      sync.Mutex
	logs    []logMsg
	updates []string
	acks    int
	news    chan struct{}
}

// connect connects a client of kind k to e's server.
func connect(t *testing.T, e *testenv.Env, k peerKind, o peerOptions) *peer {
	t.Helper()
	p := &peer{kind: k, news: make(chan struct{}, 1000)}
	if k.sdk {
		p.connectSDK(t, e, o)
	} else {
		p.connectMCPGo(t, e, o)
	}
	return p
}

func (p *peer) note(f func()) {
	p.mu.Lock()
	f()
	p.mu.Unlock()
	select {
	case p.news <- struct{}{}:
	default:
	}
}

// serveStdio runs ServeStdio for e over pipes and returns the client's
// ends; the server ends when the client's writer closes.
func serveStdio(t *testing.T, e *testenv.Env) (io.ReadCloser, io.WriteCloser) {
	t.Helper()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- mcpserver.ServeStdio(context.Background(), e.Srv, sr, sw)
		_ = sw.Close()
	}()
	t.Cleanup(func() {
		_ = cw.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, io.ErrClosedPipe) {
				t.Errorf("ServeStdio: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("ServeStdio did not return after its input closed")
		}
		_ = cr.Close()
	})
	return cr, cw
}

type mgElicit elicitFunc

func (f mgElicit) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	action, content, err := f(ctx, r.Params.Message, r.Params.RequestedSchema)
	if err != nil {
		return nil, err
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseAction(action), Content: content}}, nil
}

func (p *peer) connectMCPGo(t *testing.T, e *testenv.Env, o peerOptions) {
	opts := []client.ClientOption{client.WithProtocolVersion(p.kind.version)}
	if o.elicit != nil {
		opts = append(opts, client.WithElicitationHandler(mgElicit(o.elicit)))
	}
	ctx := context.Background()
	var cl *client.Client
	if o.stdio {
		r, w := serveStdio(t, e)
		cl = client.NewClient(transport.NewIO(r, w, io.NopCloser(strings.NewReader(""))), opts...)
		t.Cleanup(func() { _ = cl.Close() })
	} else {
		var err error
		cl, err = client.NewInProcessClientWithOptions(e.Srv, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Close() })
	}
	cl.OnNotification(func(n mcp.JSONRPCNotification) {
		f := n.Params.AdditionalFields
		switch n.Method {
		case string(mcp.MethodNotificationMessage):
			level, _ := f["level"].(mcp.LoggingLevel)
			if s, ok := f["level"].(string); ok {
				level = mcp.LoggingLevel(s)
			}
			p.note(func() { p.logs = append(p.logs, logMsg{Level: string(level), Data: asMap(f["data"])}) })
		case mcp.MethodNotificationResourceUpdated:
			uri, _ := f["uri"].(string)
			p.note(func() { p.updates = append(p.updates, uri) })
		case mcp.MethodNotificationSubscriptionsAcknowledged:
			p.note(func() { p.acks++ })
		}
	})
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "tollgate-test", Version: "1"}
	res, err := cl.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	if got := cl.ProtocolVersion(); got != p.kind.version {
		t.Fatalf("mcp-go client negotiated %s, want %s", got, p.kind.version)
	}
	p.mg, p.info = cl, res.ServerInfo
}

func (p *peer) connectSDK(t *testing.T, e *testenv.Env, o peerOptions) {
	opts := &sdk.ClientOptions{
		LoggingMessageHandler: func(_ context.Context, r *sdk.LoggingMessageRequest) {
			p.note(func() { p.logs = append(p.logs, logMsg{Level: string(r.Params.Level), Data: asMap(r.Params.Data)}) })
		},
		ResourceUpdatedHandler: func(_ context.Context, r *sdk.ResourceUpdatedNotificationRequest) {
			p.note(func() { p.updates = append(p.updates, r.Params.URI) })
		},
	}
	if o.elicit != nil {
		opts.ElicitationHandler = func(ctx context.Context, r *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			action, content, err := o.elicit(ctx, r.Params.Message, r.Params.RequestedSchema)
			if err != nil {
				return nil, err
			}
			return &sdk.ElicitResult{Action: action, Content: content}, nil
		}
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "tollgate-test", Version: "1"}, opts)
	c.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			if method == mcp.MethodNotificationSubscriptionsAcknowledged {
				p.note(func() { p.acks++ })
			}
			return next(ctx, method, req)
		}
	})
	r, w := serveStdio(t, e)
	cs, err := c.Connect(context.Background(), &sdk.IOTransport{Reader: r, Writer: w}, &sdk.ClientSessionOptions{ProtocolVersion: p.kind.version})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	ir := cs.InitializeResult()
	if ir.ProtocolVersion != p.kind.version {
		t.Fatalf("go-sdk client negotiated %s, want %s", ir.ProtocolVersion, p.kind.version)
	}
	if ir.ServerInfo != nil {
		p.info = mcp.Implementation{Name: ir.ServerInfo.Name, Title: ir.ServerInfo.Title, Version: ir.ServerInfo.Version, WebsiteURL: ir.ServerInfo.WebsiteURL}
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

// result is a tool result as either client decoded it.
type result struct {
	IsError bool
	SC      map[string]any // structuredContent
	Text    string
}

// call calls a tool; a JSON-RPC error fails the test.
func (p *peer) call(t *testing.T, name string, args map[string]any) result {
	t.Helper()
	r, err := p.callErr(context.Background(), name, args)
	if err != nil {
		t.Fatalf("%s: %s: a JSON-RPC error instead of a tool result: %v", p.kind.name, name, err)
	}
	return r
}

func (p *peer) callErr(ctx context.Context, name string, args map[string]any) (result, error) {
	if p.mg != nil {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := p.mg.CallTool(ctx, req)
		if err != nil {
			return result{}, err
		}
		out := result{IsError: res.IsError, SC: asMap(res.StructuredContent)}
		if len(res.Content) > 0 {
			if tc, ok := mcp.AsTextContent(res.Content[0]); ok {
				out.Text = tc.Text
			}
		}
		return out, nil
	}
	params := &sdk.CallToolParams{Name: name, Arguments: args}
	if p.level != "" {
		params.Meta = sdk.Meta{mcp.MetaKeyLogLevel: p.level}
	}
	res, err := p.cs.CallTool(ctx, params)
	if err != nil {
		return result{}, err
	}
	out := result{IsError: res.IsError, SC: asMap(res.StructuredContent)}
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(*sdk.TextContent); ok {
			out.Text = tc.Text
		}
	}
	return out, nil
}

// tools returns each listed tool's output schema.
func (p *peer) tools(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	if p.mg != nil {
		list, err := p.mg.ListTools(context.Background(), mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tl := range list.Tools {
			raw, _ := json.Marshal(tl)
			var w struct {
				OutputSchema json.RawMessage `json:"outputSchema"`
			}
			_ = json.Unmarshal(raw, &w)
			out[tl.Name] = w.OutputSchema
		}
		return out
	}
	list, err := p.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range list.Tools {
		raw, _ := json.Marshal(tl.OutputSchema)
		if tl.OutputSchema == nil {
			raw = nil
		}
		out[tl.Name] = raw
	}
	return out
}

// read returns a resource's text.
func (p *peer) read(t *testing.T, uri string) string {
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

// resources lists the resource URIs.
func (p *peer) resources(t *testing.T) []string {
	t.Helper()
	var out []string
	if p.mg != nil {
		res, err := p.mg.ListResources(context.Background(), mcp.ListResourcesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Resources {
			out = append(out, r.URI)
		}
		return out
	}
	res, err := p.cs.ListResources(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Resources {
		out = append(out, r.URI)
	}
	return out
}

type promptInfo struct {
	Name     string
	Required []string
	Optional []string
}

func (p *peer) prompts(t *testing.T) []promptInfo {
	t.Helper()
	var out []promptInfo
	if p.mg != nil {
		res, err := p.mg.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range res.Prompts {
			pi := promptInfo{Name: pr.Name}
			for _, a := range pr.Arguments {
				if a.Required {
					pi.Required = append(pi.Required, a.Name)
				} else {
					pi.Optional = append(pi.Optional, a.Name)
				}
			}
			out = append(out, pi)
		}
		return out
	}
	res, err := p.cs.ListPrompts(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range res.Prompts {
		pi := promptInfo{Name: pr.Name}
		for _, a := range pr.Arguments {
			if a.Required {
				pi.Required = append(pi.Required, a.Name)
			} else {
				pi.Optional = append(pi.Optional, a.Name)
			}
		}
		out = append(out, pi)
	}
	return out
}

// prompt renders a prompt and returns its text.
func (p *peer) prompt(name string, args map[string]string) (string, error) {
	if p.mg != nil {
		req := mcp.GetPromptRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := p.mg.GetPrompt(context.Background(), req)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for _, m := range res.Messages {
			if tc, ok := mcp.AsTextContent(m.Content); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String(), nil
	}
	res, err := p.cs.GetPrompt(context.Background(), &sdk.GetPromptParams{Name: name, Arguments: args})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, m := range res.Messages {
		if tc, ok := m.Content.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), nil
}

// setLevel asks for log messages at level and above, in the revision's
// terms: logging/setLevel, or the level in every request's _meta.
func (p *peer) setLevel(t *testing.T, level string) {
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
func (p *peer) subscribe(t *testing.T, uri string) {
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
func (p *peer) waitFor(t *testing.T, what string, cond func() bool) {
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

func (p *peer) logsCopy() []logMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]logMsg(nil), p.logs...)
}

func (p *peer) updatesCopy() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.updates...)
}

// forEachPeer runs f for every kind of peer, in parallel subtests.
func forEachPeer(t *testing.T, f func(t *testing.T, k peerKind)) {
	for _, k := range peerKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			f(t, k)
		})
	}
}
