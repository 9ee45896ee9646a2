package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// fakeClock is the shared test clock: Sleep records, advances and
// returns at once (or blocks after Block).
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New(time.Date(2026, 8, 25, 12, 0, 0, 0, time.UTC)) }

// builtIn parses the built-in document once for every test: a catalogue
// is immutable, so tests share it.
var builtIn = sync.OnceValue(tools.BuiltIn)

// lazyUsage breaks the cycle between the controller (an observer of the
// client) and the client (the controller's usage source).
type lazyUsage struct{ c *runtime.Client }

func (u *lazyUsage) Usage(ctx context.Context) (*runtime.Usage, error) { return u.c.Usage(ctx) }

// envConfig says how to wire one test environment. The zero value is a
// fresh sandbox workspace with 10000 credits, a controller with a
// 1000-credit cap that reads /v1/usage, and a static MCP server.
type envConfig struct {
	key      string           // API key; "" means a new workspace's key
	noKey    bool             // send no API key at all
	credits  sandbox.Credits  // balance of the new workspace (zero: default)
	budget   *budget.Config   // nil means {MaxCredits: 1000}
	noBudget bool             // no controller at all
	noUsage  bool             // controller without a usage source
	baseURL  string           // "" means the sandbox
	clock    *fakeClock       // nil means a new fake clock
	catalog  *tools.Catalogue // nil means the built-in catalogue (parsed once)
	load     bool             // build the catalogue with tools.Load from the sandbox
	box      tools.Config     // MaxResultBytes etc.; Catalogue/Client/Budget are filled in
	server   tools.ServerOptions
	// observers are added to the runtime client after the controller.
	observers []runtime.Observer
}

// env is a sandbox, a runtime client, a budget controller, a toolbox, an
// MCP server and an in-process mcp-go client connected to it.
type env struct {
	sb     *sandbox.Server
	ts     *httptest.Server
	key    string
	clock  *fakeClock
	client *runtime.Client
	ctrl   *budget.Controller
	box    *tools.Toolbox
	srv    *server.MCPServer
	mcp    *client.Client
}

func newEnv(t *testing.T, cfg envConfig) *env {
	t.Helper()
	e := &env{sb: sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})}
	e.ts = httptest.NewServer(e.sb)
	t.Cleanup(e.ts.Close)
	switch {
	case cfg.noKey:
	case cfg.key != "":
		e.key = cfg.key
	default:
		e.key = e.sb.NewWorkspace(cfg.credits)
	}
	e.clock = cfg.clock
	if e.clock == nil {
		e.clock = newFakeClock()
	}
	usage := &lazyUsage{}
	if !cfg.noBudget {
		bc := budget.Config{MaxCredits: 1000}
		if cfg.budget != nil {
			bc = *cfg.budget
		}
		if !cfg.noUsage {
			bc.Usage = usage
		}
		ctrl, err := budget.New(bc)
		if err != nil {
			t.Fatalf("budget.New: %v", err)
		}
		e.ctrl = ctrl
	}
	base := cfg.baseURL
	if base == "" {
		base = e.ts.URL
	}
	opts := []runtime.Option{runtime.WithBaseURL(base), runtime.WithClock(e.clock), runtime.WithRand(func() float64 { return 0.5 })}
	if e.key != "" {
		opts = append(opts, runtime.WithAPIKey(e.key))
	}
	for _, o := range cfg.observers {
		opts = append(opts, runtime.WithObserver(o))
	}
	c, err := runtime.New(opts...)
	if err != nil {
		t.Fatalf("runtime.New: %v", err)
	}
	usage.c = c
	e.client = c
	cat := cfg.catalog
	switch {
	case cfg.load:
		cat = tools.Load(context.Background(), c, tools.LoadOptions{})
		if cat.Source != tools.SourceAPI {
			t.Fatalf("tools.Load got its catalogue from %s, want the sandbox's API", cat.Source)
		}
	case cat == nil:
		cat = builtIn()
	}
	bc := cfg.box
	bc.Catalogue, bc.Client = cat, c
	if e.ctrl != nil {
		bc.Budget = e.ctrl
	}
	box, err := tools.NewToolbox(bc)
	if err != nil {
		t.Fatalf("NewToolbox: %v", err)
	}
	e.box = box
	e.srv = tools.NewMCPServer(box, cfg.server)
	e.mcp = startInProcess(t, e.srv)
	return e
}

// startInProcess connects and initialises an mcp-go in-process client.
func startInProcess(t *testing.T, srv *server.MCPServer) *client.Client {
	t.Helper()
	cl, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatalf("NewInProcessClient: %v", err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	ctx := context.Background()
	if err := cl.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "1"}
	if _, err := cl.Initialize(ctx, init); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	return cl
}

// call calls a tool through MCP and returns the result and its structured
// content as generic JSON. It fails the test on a JSON-RPC error and when
// the text content is not the same JSON as structuredContent.
func (e *env) call(t *testing.T, name string, args map[string]any) (*mcp.CallToolResult, map[string]any) {
	t.Helper()
	return callMCP(t, context.Background(), e.mcp, name, args, nil)
}

func callMCP(t *testing.T, ctx context.Context, cl *client.Client, name string, args map[string]any, meta *mcp.Meta) (*mcp.CallToolResult, map[string]any) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	if args != nil {
		req.Params.Arguments = args
	}
	req.Params.Meta = meta
	res, err := cl.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("CallTool %s: a JSON-RPC error instead of a tool result: %v", name, err)
	}
	return res, structured(t, res)
}

// structured checks that a result has exactly one text content holding the
// same JSON as its structuredContent, and returns that JSON decoded.
func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("result has %d content items, want 1 text item", len(res.Content))
	}
	tc, ok := mcp.AsTextContent(res.Content[0])
	if !ok {
		t.Fatalf("content is %T, want text", res.Content[0])
	}
	var fromText map[string]any
	if err := json.Unmarshal([]byte(tc.Text), &fromText); err != nil {
		t.Fatalf("text content is not a JSON object: %v\n%s", err, tc.Text)
	}
	if res.StructuredContent == nil {
		t.Fatalf("result has no structuredContent; text: %s", tc.Text)
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatalf("structuredContent does not encode: %v", err)
	}
	var fromStruct map[string]any
	if err := json.Unmarshal(raw, &fromStruct); err != nil {
		t.Fatalf("structuredContent is not a JSON object: %v\n%s", err, raw)
	}
	if !reflect.DeepEqual(fromText, fromStruct) {
		t.Fatalf("text content and structuredContent differ:\ntext:       %s\nstructured: %s", tc.Text, raw)
	}
	return fromStruct
}

func textOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	tc, ok := mcp.AsTextContent(res.Content[0])
	if !ok {
		t.Fatalf("content is %T, want text", res.Content[0])
	}
	return tc.Text
}

// obj walks a generic JSON value along keys and returns the object found.
func obj(t *testing.T, v map[string]any, keys ...string) map[string]any {
	t.Helper()
	cur := v
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %q in %s", strings.Join(keys, "."), mustJSON(v))
		}
		cur = next
	}
	return cur
}

func num(t *testing.T, v map[string]any, key string) int64 {
	t.Helper()
	f, ok := v[key].(float64)
	if !ok {
		t.Fatalf("%q is %T (%v), want a number, in %s", key, v[key], v[key], mustJSON(v))
	}
	return int64(f)
}

func rows(t *testing.T, v map[string]any) []any {
	t.Helper()
	r, ok := v["data"].([]any)
	if !ok {
		t.Fatalf("data is %T, want a list, in %s", v["data"], mustJSON(v))
	}
	return r
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 4000 {
		return string(b[:4000]) + "…"
	}
	return string(b)
}

// wantAdvice checks a failed result against the advice contract of
// DESIGN.md and returns its error object.
func wantAdvice(t *testing.T, res *mcp.CallToolResult, sc map[string]any, code, source string) map[string]any {
	t.Helper()
	if !res.IsError {
		t.Fatalf("isError is false, want a failure with code %s: %s", code, mustJSON(sc))
	}
	ad := obj(t, sc, "error")
	if ad["code"] != code {
		t.Fatalf("error.code = %v, want %s: %s", ad["code"], code, mustJSON(sc))
	}
	if ad["source"] != source {
		t.Errorf("error.source = %v, want %s", ad["source"], source)
	}
	if s, _ := ad["action"].(string); strings.TrimSpace(s) == "" {
		t.Errorf("error.action is empty: %s", mustJSON(ad))
	}
	if s, _ := ad["message"].(string); strings.TrimSpace(s) == "" {
		t.Errorf("error.message is empty: %s", mustJSON(ad))
	}
	if _, ok := ad["retryable"].(bool); !ok {
		t.Errorf("error.retryable is missing: %s", mustJSON(ad))
	}
	return ad
}

// wantBudget checks that a result carries the budget object.
func wantBudget(t *testing.T, sc map[string]any) map[string]any {
	t.Helper()
	b := obj(t, sc, "budget")
	for _, k := range []string{"creditsRemaining", "runSpent", "runCap", "inFlight", "available"} {
		if _, ok := b[k]; !ok {
			t.Errorf("budget.%s is missing: %s", k, mustJSON(b))
		}
	}
	return b
}

// statusOf reads c's status, failing t if the store cannot be read.
func statusOf(t testing.TB, c *budget.Controller) budget.Status {
	t.Helper()
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatalf("budget status: %v", err)
	}
	return st
}
