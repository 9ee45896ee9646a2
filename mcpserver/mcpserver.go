// Package mcpserver is tollgate's MCP face: it offers a tools.Toolbox to
// MCP hosts (Claude Desktop, Claude Code, the MCP Inspector, any client)
// through mcp-go. Every call goes through tools.Toolbox.Call, so a host
// sees the same result and advice JSON as the go-openai and batch faces,
// as structuredContent and as the same JSON in a text content, and every
// tool declares the schema of that JSON (outputSchema).
//
// Around the tools it offers what MCP hosts use:
//   - resources: tollgate://budget (the controller's view, with
//     subscriptions that are told when it changes) and the API's OpenAPI
//     document;
//   - prompts: research workflows sized to the budget;
//   - logging: retries, waits, halts and warnings as log messages;
//   - spend approval: with Options.ConfirmAbove, a call that may spend
//     more asks the user first (elicitation);
//   - progress notifications during retry waits, and a tool_panic result
//     for a panic in a handler;
//   - dynamic mode, a handful of tools that search, describe and call the
//     catalogue.
//
// It serves both protocol revisions mcp-go negotiates, each in its own
// terms: 2025-11-25 (initialize, sessions, elicitation/create sent by the
// server, resources/subscribe, logging/setLevel) and the stateless
// 2026-07-28 (multi round-trip requests for the question,
// subscriptions/listen, a log level per request, cache hints on lists).
//
// Transports: ServeStdio for stdio; package gateway for Streamable HTTP.
package mcpserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/internal/buildinfo"
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

// Defaults of the server's identity (serverInfo).
const (
	DefaultName       = "tollgate"
	DefaultTitle      = "tollgate: the TrendTrack API with a credit budget"
	DefaultWebsiteURL = "https://github.com/tollgate-mcp/tollgate"
)

// Options configure [New]. The zero value is a useful server.
type Options struct {
	Name  string // serverInfo.name; default DefaultName
	Title string // serverInfo.title; default DefaultTitle
	// Version is serverInfo.version; default buildinfo: the module
	// version and VCS revision.
	Version    string
	WebsiteURL string // serverInfo.websiteUrl; default DefaultWebsiteURL
	Mode       Mode   // default ModeStatic

	// ConfirmAbove, when positive, is the most a call may spend without
	// the user's yes: a call whose worst case is larger asks first
	// (elicitation), and on a host that cannot ask it is fitted to
	// ConfirmAbove instead. 0 never asks.
	ConfirmAbove int64
	// ConfirmTimeout bounds how long a question waits for its answer
	// (2025-11-25), and how long an answer stays valid for the retry
	// that carries it (2026-07-28); 0 means 2 minutes.
	ConfirmTimeout time.Duration
	// StateKey signs the requestState of a 2026-07-28 question; nil means
	// a random key per server. Replicas behind one URL need one key.
	StateKey []byte

	// BudgetNotifyEvery is the least time between two
	// notifications/resources/updated for tollgate://budget; 0 means 1 s.
	BudgetNotifyEvery time.Duration
	// ListCacheTTL is the freshness hint of the tool, prompt and resource
	// lists for 2026-07-28 clients, which may reuse a list that long; 0
	// means 10 minutes, negative sends no hint.
	ListCacheTTL time.Duration
	// ValidateOutput makes mcp-go check every success's
	// structuredContent against its tool's outputSchema, turning a
	// mismatch into an error result. Tests switch it on.
	ValidateOutput bool

	// ProgressEvery throttles progress notifications per call; 0 means
	// 500 ms.
	ProgressEvery time.Duration
	// ProgressTick is how often a long wait (at least two ticks) is
	// reported again while it lasts, so a host that resets its timeout
	// on progress does not give up on a call that is only waiting out a
	// Retry-After; 0 means 5 s.
	ProgressTick time.Duration
	// Logger receives the server's own logs (stderr in tollgate serve).
	Logger *slog.Logger
	// Now is the clock for throttling and question expiry; nil means
	// time.Now.
	Now func() time.Time
	// ToolboxFor, when set, picks the toolbox a call runs on from its
	// context (package gateway: the caller's, with the caller's budget
	// and tools); a nil answer means the box given to New.
	ToolboxFor func(ctx context.Context) *tools.Toolbox
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Title == "" {
		o.Title = DefaultTitle
	}
	if o.Version == "" {
		o.Version = buildinfo.Version()
	}
	if o.WebsiteURL == "" {
		o.WebsiteURL = DefaultWebsiteURL
	}
	if o.Mode == "" {
		o.Mode = ModeStatic
	}
	if o.ConfirmTimeout == 0 {
		o.ConfirmTimeout = 2 * time.Minute
	}
	if o.BudgetNotifyEvery == 0 {
		o.BudgetNotifyEvery = time.Second
	}
	if o.ListCacheTTL == 0 {
		o.ListCacheTTL = 10 * time.Minute
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
}

// New returns an MCP server (mcp-go) offering box's tools, tollgate's
// resources and prompts. Every tool handler returns a tool result, never
// a JSON-RPC error, for API, budget and argument failures; a tool name
// the server does not offer is a JSON-RPC error (invalid params), as MCP
// says. A panic in a handler becomes an isError result with code
// tool_panic and the server keeps serving.
func New(box *tools.Toolbox, o Options) *server.MCPServer {
	o.defaults()
	f := &face{box: box, o: o, approvals: newApprovals(o)}
	hooks := &server.Hooks{}
	f.feed = newBudgetFeed(f, hooks)
	f.approvals.watch(hooks)
	opts := []server.ServerOption{
		server.WithTitle(o.Title),
		server.WithWebsiteURL(o.WebsiteURL),
		server.WithDescription("The TrendTrack Public API (ads, advertisers, shops, brandtrackers, TikTok and Google ads) as tools, with a credit budget that halts before a 402."),
		server.WithInstructions(tools.Instructions),
		server.WithToolCapabilities(false),
		server.WithResourceCapabilities(true, false),
		server.WithPromptCapabilities(false),
		server.WithLogging(),
		server.WithHooks(hooks),
		server.WithToolHandlerMiddleware(f.recoverPanics),
	}
	if o.ListCacheTTL > 0 {
		ttl := o.ListCacheTTL.Milliseconds()
		for _, m := range []mcp.MCPMethod{mcp.MethodToolsList, mcp.MethodPromptsList, mcp.MethodResourcesList, mcp.MethodResourcesTemplatesList} {
			opts = append(opts, server.WithMethodCacheHints(m, ttl, mcp.CacheScopePrivate))
		}
	}
	if o.ValidateOutput {
		opts = append(opts, server.WithOutputSchemaValidation())
	}
	srv := server.NewMCPServer(o.Name, o.Version, opts...)
	f.srv = srv
	list := box.Catalogue().Tools()
	if o.Mode == ModeDynamic {
		list = dynamicTools(box.Catalogue())
	}
	for _, t := range list {
		srv.AddTool(mcpTool(t), f.handler(t))
	}
	f.addResources(srv)
	f.addPrompts(srv)
	return srv
}

// face is one server's state: what its handlers share.
type face struct {
	box       *tools.Toolbox
	o         Options
	srv       *server.MCPServer
	feed      *budgetFeed
	approvals *approvals
}

func mcpTool(t *tools.Tool) mcp.Tool {
	b := func(v bool) *bool { return &v }
	return mcp.Tool{
		Name:            t.Name,
		Title:           t.Title,
		Description:     t.Description,
		RawInputSchema:  t.InputSchema,
		RawOutputSchema: t.OutputSchema,
		Annotations: mcp.ToolAnnotation{
			Title:           t.Title,
			ReadOnlyHint:    b(t.Annotations.ReadOnly),
			DestructiveHint: b(t.Annotations.Destructive),
			IdempotentHint:  b(t.Annotations.Idempotent),
			OpenWorldHint:   b(t.Operation != ""),
		},
	}
}

func (f *face) handler(t *tools.Tool) server.ToolHandlerFunc {
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
		ctx = runtime.WithCallObserver(ctx, &callLog{f: f, ctx: ctx, tool: calledTool(t, args)})
		var q *question
		if f.o.ConfirmAbove > 0 {
			var a tools.Approval
			a, q = f.approvals.forCall(ctx, req)
			ctx = tools.WithApproval(ctx, a)
		}
		r := f.boxFor(ctx).CallTool(ctx, t, args)
		if q != nil && q.pending != nil {
			// A 2026-07-28 client: ask through the result, and run the
			// call when it comes back with the answer.
			return f.approvals.inputRequired(req, *q.pending), nil
		}
		f.logResult(ctx, t.Name, r)
		if t.Cost != tools.CostFree || t.Name == ToolCallOperation || t.Name == tools.ToolGetBudget {
			f.feed.changed()
		}
		return toMCP(r), nil
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
func (f *face) boxFor(ctx context.Context) *tools.Toolbox {
	if f.o.ToolboxFor != nil {
		if b := f.o.ToolboxFor(ctx); b != nil {
			return b
		}
	}
	return f.box
}

// toMCP renders a Result: structuredContent plus the same JSON as text,
// both from the one encoding the result was shaped with (Result.JSON,
// which is not copied for structuredContent: mcp-go only reads it).
func toMCP(r *tools.Result) *mcp.CallToolResult {
	raw := r.JSON()
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(string(raw))},
		StructuredContent: json.RawMessage(raw),
		IsError:           r.IsError,
	}
}

// recoverPanics turns a panic in a handler into an isError result.
func (f *face) recoverPanics(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if p := recover(); p != nil {
				res = toMCP(f.boxFor(ctx).FailPanic(ctx, req.Params.Name, p))
				err = nil
			}
		}()
		return next(ctx, req)
	}
}
