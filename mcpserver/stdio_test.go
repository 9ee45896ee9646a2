package mcpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// rawConn drives ServeStdio with JSON-RPC lines, as a host does.
type rawConn struct {
	in   io.WriteCloser
	done chan error

	mu   sync.Mutex
	msgs []map[string]any
	news chan struct{}
}

func startRaw(t *testing.T, e *testenv.Env) *rawConn {
	t.Helper()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	c := &rawConn{in: cw, done: make(chan error, 1), news: make(chan struct{}, 1000)}
	go func() {
		c.done <- mcpserver.ServeStdio(context.Background(), e.Srv, sr, sw)
		_ = sw.Close()
	}()
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(cr)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("ServeStdio wrote a line that is not JSON: %q", sc.Text())
				continue
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
			c.news <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		_ = cw.Close()
		<-read
	})
	return c
}

func (c *rawConn) send(t *testing.T, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if _, err := c.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// wait returns the first message that satisfies match.
func (c *rawConn) wait(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		for _, m := range c.msgs {
			if match(m) {
				c.mu.Unlock()
				return m
			}
		}
		c.mu.Unlock()
		select {
		case <-c.news:
		case <-deadline:
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// closeInput ends the client's input and waits for ServeStdio to return.
func (c *rawConn) closeInput(t *testing.T) error {
	t.Helper()
	_ = c.in.Close()
	select {
	case err := <-c.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after its input ended")
		return nil
	}
}

func (c *rawConn) all() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.msgs...)
}

func withID(id float64) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["id"] == id && m["method"] == nil }
}

func initialize(caps map[string]any) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
		"protocolVersion": mcp.ProtocolVersion20251125, "capabilities": caps,
		"clientInfo": map[string]any{"name": "raw", "version": "1"}}}
}

var initialized = map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"}

func toolCall(id int, name string, args map[string]any) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": map[string]any{"name": name, "arguments": args}}
}

// callResult decodes a tools/call response's result.
func callResult(t *testing.T, m map[string]any) (isError bool, sc map[string]any) {
	t.Helper()
	res, ok := m["result"].(map[string]any)
	if !ok {
		t.Fatalf("not a result: %s", testenv.MustJSON(m))
	}
	isError, _ = res["isError"].(bool)
	sc, _ = res["structuredContent"].(map[string]any)
	return isError, sc
}

// gate holds the API's response to a call until it is opened.
type gate struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}), open: make(chan struct{})} }

func (g *gate) observer() runtime.Observer {
	return runtime.ObserverFuncs{Response: func(context.Context, *runtime.Request, int, runtime.Metering) {
		g.once.Do(func() { close(g.entered) })
		<-g.open
	}}
}

// TestStdioEndOfInputAnswersTheCallsInFlight pipes a call into the server
// and ends the input while the call is at the API: the server finishes it
// and writes its result before returning.
func TestStdioEndOfInputAnswersTheCallsInFlight(t *testing.T) {
	t.Parallel()
	g := newGate()
	e := testenv.New(t, testenv.Config{NoClient: true, Observers: []runtime.Observer{g.observer()}})
	c := startRaw(t, e)
	c.send(t, initialize(map[string]any{}))
	c.send(t, initialized)
	c.send(t, toolCall(2, "search_ads", map[string]any{"search": "coffee", "limit": 5}))
	<-g.entered
	_ = c.in.Close()
	select {
	case err := <-c.done:
		t.Fatalf("ServeStdio returned (%v) with a call in flight", err)
	default:
	}
	close(g.open)
	if err := c.closeInput(t); err != nil {
		t.Fatalf("ServeStdio at the end of input: %v", err)
	}
	isError, sc := callResult(t, c.wait(t, "the call's result", withID(2)))
	if isError || len(testenv.Rows(t, sc)) != 5 {
		t.Fatalf("the call in flight at the end of input did not succeed: %s", testenv.MustJSON(sc))
	}
	if st := testenv.StatusOf(t, e.Ctrl); st.RunSpent != 5 || st.InFlight != 0 {
		t.Errorf("budget runSpent %d inFlight %d, want 5 and 0", st.RunSpent, st.InFlight)
	}
}

// TestStdioSendsNoResponseForACancelledRequest cancels a call waiting out
// a Retry-After: MCP says the server SHOULD NOT answer it.
func TestStdioSendsNoResponseForACancelledRequest(t *testing.T) {
	t.Parallel()
	clock := testenv.NewFakeClock()
	sleeping := make(chan time.Duration, 1)
	clock.Block(sleeping)
	e := testenv.New(t, testenv.Config{NoClient: true, Clock: clock, Budget: &budget.Config{MaxCredits: 100}})
	e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "30"})
	c := startRaw(t, e)
	c.send(t, initialize(map[string]any{}))
	c.send(t, initialized)
	c.send(t, toolCall(7, "search_ads", map[string]any{"search": "coffee", "limit": 20}))
	select {
	case <-sleeping:
	case <-time.After(10 * time.Second):
		t.Fatal("the call never started waiting")
	}
	if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 20 {
		t.Errorf("while waiting inFlight = %d, want 20", st.InFlight)
	}
	c.send(t, map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": map[string]any{"requestId": 7, "reason": "the user stopped it"}})
	c.send(t, toolCall(8, "get_budget", nil))
	c.wait(t, "the next call's result", withID(8))
	if err := c.closeInput(t); err != nil {
		t.Fatal(err)
	}
	for _, m := range c.all() {
		if m["id"] == float64(7) {
			t.Errorf("a response for the cancelled request: %s", testenv.MustJSON(m))
		}
	}
	if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 0 || st.RunSpent != 0 {
		t.Errorf("after cancelling, inFlight %d runSpent %d; want 0, 0", st.InFlight, st.RunSpent)
	}
}

// TestStdioEndOfInputDeclinesAnOpenQuestion ends the input while a spend
// question waits for its answer: none can come, so the call is declined,
// answered, and nothing is spent.
func TestStdioEndOfInputDeclinesAnOpenQuestion(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true, Server: mcpserver.Options{ConfirmAbove: 10}})
	c := startRaw(t, e)
	c.send(t, initialize(map[string]any{"elicitation": map[string]any{}}))
	c.send(t, initialized)
	c.send(t, toolCall(2, "search_ads", map[string]any{"search": "coffee", "limit": 30}))
	q := c.wait(t, "elicitation/create", func(m map[string]any) bool { return m["method"] == "elicitation/create" })
	if msg := fmt.Sprint(testenv.Obj(t, q, "params")["message"]); !strings.Contains(msg, "up to 30 credits") {
		t.Errorf("question %q", msg)
	}
	if err := c.closeInput(t); err != nil {
		t.Fatal(err)
	}
	isError, sc := callResult(t, c.wait(t, "the call's result", withID(2)))
	if !isError {
		t.Fatalf("a call without an answer ran: %s", testenv.MustJSON(sc))
	}
	ad := testenv.WantAdviceJSON(t, sc, tools.CodeSpendDeclined, budget.SourceBudget)
	if msg, _ := ad["message"].(string); !strings.Contains(msg, "input ended") {
		t.Errorf("message %q does not say why no answer came", msg)
	}
	if spent := e.SB.Spent(e.Key); spent != 0 || testenv.StatusOf(t, e.Ctrl).InFlight != 0 {
		t.Errorf("spent %d, inFlight %d without an answer", spent, testenv.StatusOf(t, e.Ctrl).InFlight)
	}
}

// TestStdioServesTheStatelessRevision sends 2026-07-28 requests: no
// initialize, the protocol metadata in each request, cache hints on lists.
func TestStdioServesTheStatelessRevision(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	c := startRaw(t, e)
	meta := map[string]any{mcp.MetaKeyProtocolVersion: mcp.ProtocolVersion20260728, mcp.MetaKeyClientCapabilities: map[string]any{}}
	c.send(t, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": map[string]any{"_meta": meta}})
	c.send(t, map[string]any{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": map[string]any{"_meta": meta,
		"name": "search_ads", "arguments": map[string]any{"search": "coffee", "limit": 2}}})
	c.send(t, map[string]any{"jsonrpc": "2.0", "id": 3, "method": "prompts/list", "params": map[string]any{"_meta": meta}})
	list := testenv.Obj(t, c.wait(t, "tools/list", withID(1)), "result")
	if list["ttlMs"] != float64(10*time.Minute/time.Millisecond) || list["resultType"] != "complete" {
		t.Errorf("tools/list: ttlMs %v resultType %v, want a 10-minute hint and complete", list["ttlMs"], list["resultType"])
	}
	if prompts := testenv.Obj(t, c.wait(t, "prompts/list", withID(3)), "result"); prompts["ttlMs"] == nil {
		t.Errorf("prompts/list has no cache hint")
	}
	isError, sc := callResult(t, c.wait(t, "tools/call", withID(2)))
	if isError || len(testenv.Rows(t, sc)) != 2 {
		t.Errorf("a stateless call failed: %s", testenv.MustJSON(sc))
	}
	if err := c.closeInput(t); err != nil {
		t.Fatal(err)
	}
}

// TestStdioReadsAMessageLongerThanItsBuffer sends a call whose arguments
// are much longer than the reader's buffer, between two short messages:
// each is read whole and answered.
func TestStdioReadsAMessageLongerThanItsBuffer(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	c := startRaw(t, e)
	c.send(t, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
		"protocolVersion": mcp.LATEST_PROTOCOL_VERSION, "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "t", "version": "1"}}})
	long := strings.Repeat("coffee ", 40<<10) // 280 KB, past any read buffer
	c.send(t, map[string]any{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": map[string]any{
		"name": "search_ads", "arguments": map[string]any{"search": long, "limit": 2}}})
	c.send(t, map[string]any{"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
	isError, sc := callResult(t, c.wait(t, "tools/call", withID(2)))
	if !isError || !strings.Contains(testenv.MustJSON(sc), "search") {
		t.Errorf("a 280 KB search was not read whole and refused by its schema: %.300s", testenv.MustJSON(sc))
	}
	if tools := testenv.Obj(t, c.wait(t, "tools/list", withID(3)), "result"); tools["tools"] == nil {
		t.Errorf("the message after the long one was not answered")
	}
	if err := c.closeInput(t); err != nil {
		t.Fatal(err)
	}
}
