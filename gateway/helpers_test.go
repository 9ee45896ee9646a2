package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

// Protocol revisions the tests speak.
const (
	legacy = mcp.ProtocolVersion20251125
	modern = mcp.ProtocolVersion20260728
)

// serve starts a gateway over e's toolbox (cfg.Toolbox is filled in) on a
// real listener and returns it with the URL of its /mcp endpoint.
func serve(t *testing.T, e *testenv.Env, cfg gateway.Config) (*gateway.Gateway, string) {
	t.Helper()
	if cfg.Toolbox == nil {
		cfg.Toolbox = e.Box
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	hs := httptest.NewServer(g.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = g.Close()
	})
	return g, hs.URL + "/mcp"
}

// connect starts and initialises an mcp-go Streamable HTTP client that
// speaks version (legacy or modern) and sends token.
func connect(t *testing.T, url, token, version string) *client.Client {
	t.Helper()
	var h map[string]string
	if token != "" {
		h = map[string]string{"Authorization": "Bearer " + token}
	}
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(h))
	if err != nil {
		t.Fatalf("NewStreamableHTTP: %v", err)
	}
	cl := client.NewClient(tr, client.WithProtocolVersion(version))
	t.Cleanup(func() { _ = cl.Close() })
	ctx := context.Background()
	if err := cl.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "gateway-test", Version: "1"}
	res, err := cl.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("Initialize (%s): %v", version, err)
	}
	if res.ProtocolVersion != version {
		t.Fatalf("negotiated %s, want %s", res.ProtocolVersion, version)
	}
	return cl
}

// rawClient speaks MCP over HTTP by hand, for what no well-behaved client
// does: forged session ids, another client's session, cancellations.
type rawClient struct {
	t       testing.TB
	url     string
	token   string
	version string // legacy or modern
	session string // Mcp-Session-Id, legacy only
	origin  string
	caps    map[string]any // client capabilities of a modern request; nil: none
	ids     atomic.Int64
}

func newRaw(t testing.TB, url, token, version string) *rawClient {
	return &rawClient{t: t, url: url, token: token, version: version}
}

// reply is an HTTP answer with its JSON-RPC messages (one for a JSON
// body, each event's for an SSE body).
type reply struct {
	status int
	header http.Header
	body   string
	msgs   []map[string]any
}

// result returns the JSON-RPC result of the reply's last message.
func (r reply) result(t *testing.T) map[string]any {
	t.Helper()
	if len(r.msgs) == 0 {
		t.Fatalf("no JSON-RPC message in the reply (HTTP %d): %s", r.status, r.body)
	}
	last := r.msgs[len(r.msgs)-1]
	res, ok := last["result"].(map[string]any)
	if !ok {
		t.Fatalf("no result in %s", testenv.MustJSON(last))
	}
	return res
}

// send makes one HTTP request to the MCP endpoint.
func (c *rawClient) send(ctx context.Context, method string, body []byte, hdr map[string]string) reply {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(c.request(ctx, method, body, hdr))
	if err != nil {
		if ctx.Err() != nil {
			return reply{}
		}
		c.t.Fatalf("%s %s: %v", method, c.url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return parseReply(resp, b)
}

// request is an HTTP request to the MCP endpoint with the client's
// headers.
func (c *rawClient) request(ctx context.Context, method string, body []byte, hdr map[string]string) *http.Request {
	c.t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, c.url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	req.Header.Set(mcp.HeaderProtocolVersion, c.version)
	if c.session != "" && c.version != modern {
		req.Header.Set(mcp.HeaderSessionID, c.session)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}

// parseReply reads the JSON-RPC messages of an answer's body b.
func parseReply(resp *http.Response, b []byte) reply {
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b),
		msgs: mcppeer.Messages(resp.Header.Get("Content-Type"), b)}
}

// rpc posts a JSON-RPC request (id > 0) or notification (id == 0). A
// modern message carries its version, capabilities and headers.
func (c *rawClient) rpc(ctx context.Context, id int64, method string, params map[string]any) reply {
	c.t.Helper()
	b, hdr := c.message(id, method, params)
	return c.send(ctx, http.MethodPost, b, hdr)
}

// message is the body and headers of a JSON-RPC request (id > 0) or
// notification (id == 0).
func (c *rawClient) message(id int64, method string, params map[string]any) ([]byte, map[string]string) {
	if params == nil {
		params = map[string]any{}
	}
	hdr := map[string]string{}
	if c.version == modern {
		meta, _ := params["_meta"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
		}
		meta[mcp.MetaKeyProtocolVersion] = modern
		caps := c.caps
		if caps == nil {
			caps = map[string]any{}
		}
		meta[mcp.MetaKeyClientCapabilities] = caps
		params["_meta"] = meta
		hdr[mcp.HeaderMethod] = method
		if name, ok := params["name"].(string); ok {
			hdr[mcp.HeaderName] = name
		} else if uri, ok := params["uri"].(string); ok {
			hdr[mcp.HeaderName] = uri
		}
	}
	msg := map[string]any{"jsonrpc": "2.0", "method": method, "params": params}
	if id > 0 {
		msg["id"] = id
	}
	b, _ := json.Marshal(msg)
	return b, hdr
}

// nextID is a fresh JSON-RPC id.
func (c *rawClient) nextID() int64 { return c.ids.Add(1) }

// initialize opens a legacy session and records its id.
func (c *rawClient) initialize() reply {
	c.t.Helper()
	r := c.rpc(context.Background(), c.nextID(), "initialize", map[string]any{
		"protocolVersion": c.version, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "1"}})
	if r.status != http.StatusOK {
		c.t.Fatalf("initialize: HTTP %d: %s", r.status, r.body)
	}
	c.session = r.header.Get(mcp.HeaderSessionID)
	if c.session == "" {
		c.t.Fatalf("initialize returned no %s", mcp.HeaderSessionID)
	}
	if n := c.rpc(context.Background(), 0, "notifications/initialized", nil); n.status != http.StatusAccepted {
		c.t.Fatalf("notifications/initialized: HTTP %d: %s", n.status, n.body)
	}
	return r
}

// call calls a tool and returns the reply.
func (c *rawClient) call(ctx context.Context, id int64, name string, args map[string]any) reply {
	c.t.Helper()
	return c.rpc(ctx, id, "tools/call", map[string]any{"name": name, "arguments": args})
}

// cancel sends notifications/cancelled for request id.
func (c *rawClient) cancel(id int64) reply {
	c.t.Helper()
	return c.rpc(context.Background(), 0, "notifications/cancelled", map[string]any{"requestId": id, "reason": "test"})
}

// toolResult decodes a tools/call reply's structuredContent.
func toolResult(t *testing.T, r reply) (isError bool, sc map[string]any) {
	t.Helper()
	res := r.result(t)
	sc, _ = res["structuredContent"].(map[string]any)
	isError, _ = res["isError"].(bool)
	if sc == nil {
		t.Fatalf("no structuredContent in %s", testenv.MustJSON(res))
	}
	return isError, sc
}

// Tokens of the test clients (at least 16 characters, as the clients
// file wants).
const (
	aliceToken = "alice-token-0123456789"
	bobToken   = "bob-token-0123456789ab"
)

// twoClients are alice and bob, with the caps given (nil: none).
func twoClients(t testing.TB, aliceCap, bobCap *int64) *gateway.Clients {
	t.Helper()
	f := map[string]any{"clients": []map[string]any{
		{"name": "alice", "token": aliceToken, "maxCredits": aliceCap},
		{"name": "bob", "token": bobToken, "maxCredits": bobCap},
	}}
	b, _ := json.Marshal(f)
	list, err := gateway.ParseClients(b)
	if err != nil {
		t.Fatalf("ParseClients: %v", err)
	}
	return gateway.NewClients(list)
}

func ptr(v int64) *int64 { return &v }

// scrape reads base/metrics with the Prometheus text parser.
func scrape(t *testing.T, metricsURL string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", metricsURL, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the /metrics text does not parse: %v", err)
	}
	return fams
}

// metric is the value of the sample of family name whose labels include
// labels (name=value pairs); 0 when there is none.
func metric(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

// metricsURL is the /metrics URL beside an /mcp URL.
func metricsURL(mcpURL string) string { return strings.TrimSuffix(mcpURL, "/mcp") + "/metrics" }

// hangingAPI stands in for the API: every request waits until its client
// goes away (a call in flight the test can cancel). entered receives
// each request's path as it arrives; gone each path as its client leaves.
type hangingAPI struct {
	srv     *httptest.Server
	entered chan string
	gone    chan string
}

func newHangingAPI(t *testing.T) *hangingAPI {
	h := &hangingAPI{entered: make(chan string, 16), gone: make(chan string, 16)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.entered <- r.URL.Path
		<-r.Context().Done()
		h.gone <- r.URL.Path
	}))
	t.Cleanup(h.srv.CloseClientConnections)
	t.Cleanup(h.srv.Close)
	return h
}
