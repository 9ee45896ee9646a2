// Package testenv is the test environment tollgate's tool, MCP and HTTP
// tests share: a sandbox served over real HTTP, a runtime client, a budget
// controller, a toolbox, an MCP server and an in-process mcp-go client
// connected to it, plus the checks every face's tests make on a result
// (the text content is the structuredContent, the advice contract of
// DESIGN.md, the budget object, metering against the sandbox's ledger).
package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// FakeClock is the shared test clock: Sleep records, advances and returns
// at once (or blocks after Block).
type FakeClock = fakeclock.Clock

// NewFakeClock returns a fake clock at a fixed date.
func NewFakeClock() *FakeClock { return fakeclock.New(time.Date(2026, 8, 25, 12, 0, 0, 0, time.UTC)) }

// BuiltIn is the catalogue of the built-in document, parsed once: a
// catalogue is immutable, so tests share it.
func BuiltIn() *tools.Catalogue { return tools.BuiltIn() }

// lazyUsage breaks the cycle between the controller (an observer of the
// client) and the client (the controller's usage source).
type lazyUsage struct{ c *runtime.Client }

func (u *lazyUsage) Usage(ctx context.Context) (*runtime.Usage, error) { return u.c.Usage(ctx) }

// Config says how to wire one test environment. The zero value is a fresh
// sandbox workspace with 10000 credits, a controller with a 1000-credit
// cap that reads /v1/usage, and a static MCP server (checking its
// results against their output schemas) with an in-process mcp-go client.
type Config struct {
	Key      string           // API key; "" means a new workspace's key
	NoKey    bool             // send no API key at all
	Credits  sandbox.Credits  // balance of the new workspace (zero: default)
	Budget   *budget.Config   // nil means {MaxCredits: 1000}
	NoBudget bool             // no controller at all
	NoUsage  bool             // controller without a usage source
	BaseURL  string           // "" means the sandbox
	Clock    *FakeClock       // nil means a new fake clock
	Catalog  *tools.Catalogue // nil means the built-in catalogue
	Load     bool             // build the catalogue with tools.Load from the sandbox
	Box      tools.Config     // MaxResultBytes etc.; Catalogue/Client/Budget are filled in
	Server   mcpserver.Options
	// Observers are added to the runtime client after the controller.
	Observers []runtime.Observer
	// NoClient skips the in-process client (tests that connect their own).
	NoClient bool
}

// Env is a sandbox, a runtime client, a budget controller, a toolbox, an
// MCP server and an in-process mcp-go client connected to it.
type Env struct {
	SB     *sandbox.Server
	TS     *httptest.Server
	Key    string
	Clock  *FakeClock
	Client *runtime.Client
	Ctrl   *budget.Controller
	Box    *tools.Toolbox
	Srv    *server.MCPServer
	MCP    *client.Client
}

// New wires an environment; everything it starts stops when t ends.
func New(t testing.TB, cfg Config) *Env {
	t.Helper()
	e := &Env{SB: sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})}
	e.TS = httptest.NewServer(e.SB)
	t.Cleanup(e.TS.Close)
	switch {
	case cfg.NoKey:
	case cfg.Key != "":
		e.Key = cfg.Key
	default:
		e.Key = e.SB.NewWorkspace(cfg.Credits)
	}
	e.Clock = cfg.Clock
	if e.Clock == nil {
		e.Clock = NewFakeClock()
	}
	usage := &lazyUsage{}
	if !cfg.NoBudget {
		bc := budget.Config{MaxCredits: 1000}
		if cfg.Budget != nil {
			bc = *cfg.Budget
		}
		if !cfg.NoUsage {
			bc.Usage = usage
		}
		ctrl, err := budget.New(bc)
		if err != nil {
			t.Fatalf("budget.New: %v", err)
		}
		e.Ctrl = ctrl
	}
	base := cfg.BaseURL
	if base == "" {
		base = e.TS.URL
	}
	opts := []runtime.Option{runtime.WithBaseURL(base), runtime.WithClock(e.Clock), runtime.WithRand(func() float64 { return 0.5 })}
	if e.Key != "" {
		opts = append(opts, runtime.WithAPIKey(e.Key))
	}
	if e.Ctrl != nil {
		opts = append(opts, runtime.WithObserver(e.Ctrl))
	}
	for _, o := range cfg.Observers {
		opts = append(opts, runtime.WithObserver(o))
	}
	c, err := runtime.New(opts...)
	if err != nil {
		t.Fatalf("runtime.New: %v", err)
	}
	usage.c = c
	e.Client = c
	cat := cfg.Catalog
	switch {
	case cfg.Load:
		cat = tools.Load(context.Background(), c, tools.LoadOptions{})
		if cat.Source != tools.SourceAPI {
			t.Fatalf("tools.Load got its catalogue from %s, want the sandbox's API", cat.Source)
		}
	case cat == nil:
		cat = BuiltIn()
	}
	bc := cfg.Box
	bc.Catalogue, bc.Client = cat, c
	if e.Ctrl != nil {
		bc.Budget = e.Ctrl
	}
	box, err := tools.NewToolbox(bc)
	if err != nil {
		t.Fatalf("NewToolbox: %v", err)
	}
	e.Box = box
	// mcp-go checks every success against its tool's outputSchema, in
	// every test: a mismatch turns the result into an error.
	cfg.Server.ValidateOutput = true
	e.Srv = mcpserver.New(box, cfg.Server)
	if !cfg.NoClient {
		e.MCP = StartInProcess(t, e.Srv)
	}
	return e
}

// StartInProcess connects and initialises an mcp-go in-process client
// with opts (a protocol version, an elicitation handler, ...).
func StartInProcess(t testing.TB, srv *server.MCPServer, opts ...client.ClientOption) *client.Client {
	t.Helper()
	cl, err := client.NewInProcessClientWithOptions(srv, opts...)
	if err != nil {
		t.Fatalf("NewInProcessClient: %v", err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	ctx := context.Background()
	if err := cl.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "tollgate-test", Version: "1"}
	if _, err := cl.Initialize(ctx, init); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	return cl
}

// Call calls a tool through MCP and returns the result and its structured
// content as generic JSON. It fails the test on a JSON-RPC error and when
// the text content is not the same JSON as structuredContent.
func (e *Env) Call(t testing.TB, name string, args map[string]any) (*mcp.CallToolResult, map[string]any) {
	t.Helper()
	return CallMCP(t, context.Background(), e.MCP, name, args, nil)
}

// CallMCP is Env.Call on any mcp-go client, with request metadata.
func CallMCP(t testing.TB, ctx context.Context, cl *client.Client, name string, args map[string]any, meta *mcp.Meta) (*mcp.CallToolResult, map[string]any) {
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
	return res, Structured(t, res)
}

// Structured checks that a result has exactly one text content holding the
// same JSON as its structuredContent, and returns that JSON decoded.
func Structured(t testing.TB, res *mcp.CallToolResult) map[string]any {
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

// TextOf returns the text of a result's first content.
func TextOf(t testing.TB, res *mcp.CallToolResult) string {
	t.Helper()
	tc, ok := mcp.AsTextContent(res.Content[0])
	if !ok {
		t.Fatalf("content is %T, want text", res.Content[0])
	}
	return tc.Text
}

// Obj walks a generic JSON value along keys and returns the object found.
func Obj(t testing.TB, v map[string]any, keys ...string) map[string]any {
	t.Helper()
	cur := v
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %q in %s", strings.Join(keys, "."), MustJSON(v))
		}
		cur = next
	}
	return cur
}

// Num reads a JSON number of v.
func Num(t testing.TB, v map[string]any, key string) int64 {
	t.Helper()
	f, ok := v[key].(float64)
	if !ok {
		t.Fatalf("%q is %T (%v), want a number, in %s", key, v[key], v[key], MustJSON(v))
	}
	return int64(f)
}

// Rows returns the list in v's data.
func Rows(t testing.TB, v map[string]any) []any {
	t.Helper()
	r, ok := v["data"].([]any)
	if !ok {
		t.Fatalf("data is %T, want a list, in %s", v["data"], MustJSON(v))
	}
	return r
}

// MustJSON renders v for a failure message (cut at 4000 bytes).
func MustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 4000 {
		return string(b[:4000]) + "…"
	}
	return string(b)
}

// WantAdvice checks a failed result against the advice contract of
// DESIGN.md and returns its error object.
func WantAdvice(t testing.TB, res *mcp.CallToolResult, sc map[string]any, code, source string) map[string]any {
	t.Helper()
	if !res.IsError {
		t.Fatalf("isError is false, want a failure with code %s: %s", code, MustJSON(sc))
	}
	return WantAdviceJSON(t, sc, code, source)
}

// WantAdviceJSON checks the advice object of a failure's structured
// content, whichever client decoded it.
func WantAdviceJSON(t testing.TB, sc map[string]any, code, source string) map[string]any {
	t.Helper()
	ad := Obj(t, sc, "error")
	if ad["code"] != code {
		t.Fatalf("error.code = %v, want %s: %s", ad["code"], code, MustJSON(sc))
	}
	if ad["source"] != source {
		t.Errorf("error.source = %v, want %s", ad["source"], source)
	}
	if s, _ := ad["action"].(string); strings.TrimSpace(s) == "" {
		t.Errorf("error.action is empty: %s", MustJSON(ad))
	}
	if s, _ := ad["message"].(string); strings.TrimSpace(s) == "" {
		t.Errorf("error.message is empty: %s", MustJSON(ad))
	}
	if _, ok := ad["retryable"].(bool); !ok {
		t.Errorf("error.retryable is missing: %s", MustJSON(ad))
	}
	return ad
}

// WantBudget checks that a result carries the budget object.
func WantBudget(t testing.TB, sc map[string]any) map[string]any {
	t.Helper()
	b := Obj(t, sc, "budget")
	for _, k := range []string{"creditsRemaining", "runSpent", "runCap", "inFlight", "available"} {
		if _, ok := b[k]; !ok {
			t.Errorf("budget.%s is missing: %s", k, MustJSON(b))
		}
	}
	return b
}

// CheckMetering checks a paid result's metering against the sandbox: the
// cost is the rows returned and creditsRemaining the workspace's balance.
func CheckMetering(t testing.TB, e *Env, sc map[string]any) {
	t.Helper()
	m := Obj(t, sc, "metering")
	n := int64(1)
	if r, ok := sc["data"].([]any); ok {
		n = int64(len(r))
	}
	if got := Num(t, m, "cost"); got != n {
		t.Errorf("metering.cost = %d, want %d (one per row)", got, n)
	}
	bal := e.SB.Credits(e.Key)
	if got := Num(t, m, "creditsRemaining"); got != bal.Recurring+bal.Topup {
		t.Errorf("metering.creditsRemaining = %d, the sandbox holds %d", got, bal.Recurring+bal.Topup)
	}
	b := Obj(t, sc, "budget")
	if Num(t, b, "inFlight") != 0 {
		t.Errorf("budget.inFlight = %v after the call, want 0", b["inFlight"])
	}
}

// JSONValue is v as encoding/json decodes it into an any (ints become
// float64), for comparing arguments with decoded JSON.
func JSONValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}
