// Package mcpserver is tollgate's MCP face: it offers a tools.Toolbox to
// MCP hosts (Claude Desktop, Claude Code, the MCP Inspector, any client)
// through mcp-go. It only translates: every call goes through
// tools.Toolbox.Call, so a host sees the same result and advice JSON as
// the go-openai and batch faces, as structuredContent and as the same
// JSON in a text content.
//
// Besides the catalogue's tools (static mode) it can offer a handful of
// local tools that search, describe and call the catalogue (dynamic
// mode), reports retry waits as progress notifications, and turns a
// panic in a handler into a tool_panic result. Transports are the
// caller's: server.NewStdioServer for stdio, package gateway for
// Streamable HTTP.
package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Mode chooses how the MCP server lists the catalogue.
type Mode string

// Server modes.
const (
	// ModeStatic lists every tool of the catalogue.
	ModeStatic Mode = "static"
	// ModeDynamic lists a handful of tools (search_operations,
	// describe_operation, call_operation, get_budget) for hosts that cap
	// the number of tools.
	ModeDynamic Mode = "dynamic"
)

// Names of the dynamic-mode tools.
const (
	ToolSearchOperations  = "search_operations"
	ToolDescribeOperation = "describe_operation"
	ToolCallOperation     = "call_operation"
)

// Options configure [New].
type Options struct {
	Name    string // default "tollgate"
	Version string // default "dev"
	Mode    Mode   // default ModeStatic
	// ProgressEvery throttles progress notifications per call; 0 means
	// 500 ms.
	ProgressEvery time.Duration
	// ProgressTick is how often a long wait (at least two ticks) is
	// reported again while it lasts, so a host that resets its timeout
	// on progress does not give up on a call that is only waiting out a
	// Retry-After; 0 means 5 s.
	ProgressTick time.Duration
	Logger       *slog.Logger
	// Now is the clock for throttling; nil means time.Now.
	Now func() time.Time
	// ToolboxFor, when set, picks the toolbox a call runs on from its
	// context (package gateway: the caller's, with the caller's budget
	// and tools); a nil answer means the box given to New.
	ToolboxFor func(ctx context.Context) *tools.Toolbox
}

// New returns an MCP server (mcp-go) offering box's tools. Every
// handler returns a tool result, never a JSON-RPC error, for API, budget
// and argument failures; a panic in a handler becomes an isError result
// with code tool_panic and the server keeps serving. Waits on Retry-After
// and backoff are sent as progress notifications when the host asked for
// progress.
func New(box *tools.Toolbox, o Options) *server.MCPServer {
	if o.Name == "" {
		o.Name = "tollgate"
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Mode == "" {
		o.Mode = ModeStatic
	}
	if o.ProgressEvery == 0 {
		o.ProgressEvery = 500 * time.Millisecond
	}
	if o.ProgressTick == 0 {
		o.ProgressTick = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &mcpFace{box: box, o: o}
	srv := server.NewMCPServer(o.Name, o.Version,
		server.WithToolCapabilities(false),
		server.WithInstructions(tools.Instructions),
		server.WithToolHandlerMiddleware(f.recoverPanics),
	)
	list := box.Catalogue().Tools()
	if o.Mode == ModeDynamic {
		list = dynamicTools(box.Catalogue())
	}
	for _, t := range list {
		srv.AddTool(mcpTool(t), f.handler(t))
	}
	return srv
}

type mcpFace struct {
	box *tools.Toolbox
	o   Options
}

func mcpTool(t *tools.Tool) mcp.Tool {
	b := func(v bool) *bool { return &v }
	return mcp.Tool{
		Name:           t.Name,
		Title:          t.Title,
		Description:    t.Description,
		RawInputSchema: t.InputSchema,
		Annotations: mcp.ToolAnnotation{
			Title:           t.Title,
			ReadOnlyHint:    b(t.Annotations.ReadOnly),
			DestructiveHint: b(t.Annotations.Destructive),
			IdempotentHint:  b(t.Annotations.Idempotent),
			OpenWorldHint:   b(t.Operation != ""),
		},
	}
}

func (f *mcpFace) handler(t *tools.Tool) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args := req.GetArguments()
		if req.Params.Meta != nil && req.Params.Meta.ProgressToken != nil {
			p := &progress{
				srv: server.ServerFromContext(ctx), ctx: ctx, token: req.Params.Meta.ProgressToken, tool: calledTool(t, args),
				every: f.o.ProgressEvery, tick: f.o.ProgressTick, now: f.o.Now, log: f.o.Logger,
				done: make(chan struct{}),
			}
			defer p.stop()
			ctx = runtime.WithCallObserver(ctx, p)
		}
		return toMCP(f.boxFor(ctx).CallTool(ctx, t, args)), nil
	}
}

// calledTool is the name of the tool a call of t runs: t itself, or in
// dynamic mode the operation call_operation names.
func calledTool(t *tools.Tool, args map[string]any) string {
	if t.Name == ToolCallOperation {
		if name, ok := args["name"].(string); ok && name != "" {
			return name
		}
	}
	return t.Name
}

// boxFor is the toolbox of the call ctx belongs to.
func (f *mcpFace) boxFor(ctx context.Context) *tools.Toolbox {
	if f.o.ToolboxFor != nil {
		if b := f.o.ToolboxFor(ctx); b != nil {
			return b
		}
	}
	return f.box
}

// toMCP renders a Result: structuredContent plus the same JSON as text.
func toMCP(r *tools.Result) *mcp.CallToolResult {
	text := string(r.JSON())
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: json.RawMessage(text),
		IsError:           r.IsError,
	}
}

// recoverPanics turns a panic in a handler into an isError result.
func (f *mcpFace) recoverPanics(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if p := recover(); p != nil {
				f.o.Logger.Error("panic in tool handler", "tool", req.Params.Name, "panic", p)
				res = toMCP(f.boxFor(ctx).Fail(&tools.ToolError{Code: tools.CodeToolPanic,
					Message: fmt.Sprintf("tollgate failed while running %s: %v", req.Params.Name, p),
					Action:  "Do not retry this exact call; tell the user tollgate hit an internal error."}))
				err = nil
			}
		}()
		return next(ctx, req)
	}
}

// progress sends a tool call's retry waits as MCP progress
// notifications, at most one per interval, and repeats a long wait's
// notification every tick while it lasts.
type progress struct {
	tool  string // the tool the model called, named in the messages
	srv   *server.MCPServer
	ctx   context.Context
	token mcp.ProgressToken
	every time.Duration
	tick  time.Duration
	now   func() time.Time
	log   *slog.Logger
	done  chan struct{} // closed when the tool call returns

	mu      sync.Mutex
	n       int
	last    time.Time
	stopped bool
	wg      sync.WaitGroup
	sendMu  sync.Mutex
}

func (p *progress) ObserveResponse(context.Context, *runtime.Request, int, runtime.Metering) {}

func (p *progress) ObserveWait(_ context.Context, r *runtime.Request, w runtime.Wait) {
	if p.srv == nil {
		return
	}
	p.mu.Lock()
	now := p.now()
	if p.n > 0 && now.Sub(p.last) < p.every || p.stopped {
		p.mu.Unlock()
		return
	}
	p.last = now
	long := w.Delay >= 2*p.tick
	if long {
		p.wg.Add(1)
	}
	p.mu.Unlock()
	name := p.tool
	if name == "" {
		name = r.Operation
	}
	why := fmt.Sprintf("%s: %s (HTTP %d)", name, w.Reason, w.Status)
	if w.Status == 0 {
		why = fmt.Sprintf("%s: %s", name, w.Reason)
	}
	p.send(fmt.Sprintf("%s; waiting %s %s", why, w.Delay.Round(10*time.Millisecond), waitingFor(w)))
	if long {
		go p.repeat(why, w, time.Now().Add(w.Delay))
	}
}

// waitingFor says what a wait is for: a retry, or (a pacing wait before
// an attempt, keeping to the server's rate limit) the next attempt.
func waitingFor(w runtime.Wait) string {
	if w.Reason == runtime.ReasonPacing {
		return "to keep to the API's rate limit"
	}
	return fmt.Sprintf("before retry %d", w.Attempt)
}

// repeat reports the wait every tick until it ends, the call returns or
// its context is done. It measures real time: the wait it reports is a
// real sleep.
func (p *progress) repeat(why string, w runtime.Wait, end time.Time) {
	defer p.wg.Done()
	t := time.NewTicker(p.tick)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-p.ctx.Done():
			return
		case now := <-t.C:
			left := end.Sub(now)
			if left < p.tick/2 {
				return
			}
			p.send(fmt.Sprintf("%s; still waiting, %s left %s", why, left.Round(time.Second), waitingFor(w)))
		}
	}
}

func (p *progress) send(msg string) {
	// One send at a time, so progress numbers reach the host in order.
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	p.n++
	n := p.n
	p.mu.Unlock()
	err := p.srv.SendNotificationToClient(p.ctx, string(mcp.MethodNotificationProgress), map[string]any{
		"progressToken": p.token,
		"progress":      n,
		"message":       msg,
	})
	if err != nil {
		p.log.Debug("progress notification not sent", "err", err)
	}
}

// stop ends the repeats when the tool call returns, and waits for them.
func (p *progress) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	close(p.done)
	p.wg.Wait()
}

// dynamicTools are the few tools of dynamic mode: local tools that
// search, describe and call the catalogue, plus get_budget.
func dynamicTools(cat *tools.Catalogue) []*tools.Tool {
	toolsets := cat.Toolsets()
	specs := []tools.LocalSpec{
		{Name: ToolSearchOperations, Title: "Search operations", ReadOnly: true,
			Description: "Find TrendTrack API operations by keywords (e.g. 'tiktok', 'shop traffic', 'brand ads'). Returns names, what each does and what it costs. Free.",
			Schema: map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
				"query":   map[string]any{"type": "string", "description": "Keywords; empty lists every operation."},
				"toolset": map[string]any{"type": "string", "enum": toAny(toolsets), "description": "Only this toolset."},
			}},
			Handler: searchOperations},
		{Name: ToolDescribeOperation, Title: "Describe an operation", ReadOnly: true,
			Description: "The full description and input schema of one operation found with search_operations. Free.",
			Schema: map[string]any{"type": "object", "additionalProperties": false, "required": []string{"name"}, "properties": map[string]any{
				"name": map[string]any{"type": "string", "description": "Operation name, e.g. search_ads."},
			}},
			Handler: describeOperation},
		{Name: ToolCallOperation, Title: "Call an operation",
			Description: "Call one operation with its arguments (see describe_operation). Costs what the operation costs; the result or the failure advice is that of the operation.",
			Schema: map[string]any{"type": "object", "additionalProperties": false, "required": []string{"name"}, "properties": map[string]any{
				"name":      map[string]any{"type": "string", "description": "Operation name, e.g. search_ads."},
				"arguments": map[string]any{"type": "object", "description": "The operation's arguments."},
			}},
			Handler: callOperation},
	}
	out := make([]*tools.Tool, 0, len(specs)+1)
	for _, s := range specs {
		s.Toolset = toolsetDynamic
		t, err := tools.NewLocal(s)
		if err != nil {
			panic("mcpserver: " + err.Error())
		}
		out = append(out, t)
	}
	if t, ok := cat.Lookup(tools.ToolGetBudget); ok {
		out = append(out, t)
	}
	return out
}

// toolsetDynamic is the toolset of the dynamic-mode tools.
const toolsetDynamic = "dynamic"

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// unknownOperation is the error of a dynamic-mode call naming no
// operation of the catalogue.
func unknownOperation(name string) *tools.ToolError {
	return &tools.ToolError{Code: tools.CodeUnknownTool, Message: fmt.Sprintf("there is no operation named %q", name),
		Action: "Find the operation's name with search_operations first."}
}

// OperationSummary is one hit of search_operations.
type OperationSummary struct {
	Name    string         `json:"name"`
	Title   string         `json:"title"`
	Toolset string         `json:"toolset"`
	Cost    tools.CostKind `json:"cost"`
	About   string         `json:"about"`
}

func searchOperations(_ context.Context, box *tools.Toolbox, args map[string]any) *tools.Result {
	q, _ := args["query"].(string)
	ts, _ := args["toolset"].(string)
	words := strings.Fields(strings.ToLower(q))
	type hit struct {
		s     OperationSummary
		score int
	}
	var hits []hit
	for _, t := range box.Catalogue().Tools() {
		if ts != "" && t.Toolset != ts {
			continue
		}
		hay := strings.ToLower(t.Name + " " + t.Title + " " + t.Toolset + " " + t.Description)
		score := 0
		for _, w := range words {
			if strings.Contains(hay, w) {
				score++
			}
			if strings.Contains(t.Name, w) {
				score += 2
			}
		}
		if len(words) > 0 && score == 0 {
			continue
		}
		about, _, _ := strings.Cut(t.Description, "\n")
		hits = append(hits, hit{OperationSummary{Name: t.Name, Title: t.Title, Toolset: t.Toolset, Cost: t.Cost, About: about}, score})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	ops := make([]OperationSummary, len(hits))
	for i, h := range hits {
		ops[i] = h.s
	}
	return &tools.Result{Structured: map[string]any{"operations": ops,
		"next": "Call describe_operation with a name for its arguments, then call_operation."}}
}

func describeOperation(_ context.Context, box *tools.Toolbox, args map[string]any) *tools.Result {
	name, _ := args["name"].(string)
	t, ok := box.Catalogue().Lookup(name)
	if !ok {
		return box.Fail(unknownOperation(name))
	}
	return &tools.Result{Structured: map[string]any{
		"name": t.Name, "title": t.Title, "toolset": t.Toolset, "description": t.Description,
		"cost": t.Cost, "inputSchema": json.RawMessage(t.InputSchema),
		"readOnly": t.Annotations.ReadOnly, "destructive": t.Annotations.Destructive,
	}}
}

func callOperation(ctx context.Context, box *tools.Toolbox, args map[string]any) *tools.Result {
	name, _ := args["name"].(string)
	inner, _ := args["arguments"].(map[string]any)
	if _, ok := box.Catalogue().Lookup(name); !ok {
		return box.Fail(unknownOperation(name))
	}
	return box.Call(ctx, name, inner)
}
