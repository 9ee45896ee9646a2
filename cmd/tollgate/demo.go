package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// runDemo plays a short scripted agent session: the embedded sandbox,
// the MCP server and an MCP client in one process, talking MCP.
func runDemo(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("tollgate demo", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	maxCredits := fs.Int64("max-credits", 50, "the run cap the demo plays against")
	retryAfter := fs.Int("retry-after", 2, "seconds of the rate limit the demo provokes")
	query := fs.String("search", "coffee", "what the scripted agent searches for")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "Usage: tollgate demo [flags]\n\nPlay a scripted agent session against the embedded sandbox: list the tools,\npage through a search, wait out a rate limit, reach the credit cap.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *maxCredits < 1 || *retryAfter < 0 {
		return usageErrorf("--max-credits must be positive and --retry-after not negative")
	}
	sf := stackFlags{sandbox: true, credits: sandbox.DefaultRecurringLimit, maxCredits: *maxCredits, warnAt: budget.DefaultWarnAt, maxResult: tools.DefaultMaxResultBytes}
	quiet := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := sf.build(ctx, quiet, "tollgate-demo/"+version())
	if err != nil {
		return err
	}
	defer st.Close()
	d := &demo{w: c.stdout, start: time.Now()}

	d.say("tollgate demo: a scripted agent uses the TrendTrack API through tollgate's MCP server.")
	d.say("Everything runs in this process: the API simulator (%s), the MCP server, and an MCP client.", st.BaseURL)
	d.say("This run may spend at most %d credits (--max-credits).", *maxCredits)

	srv := mcpserver.New(st.Box, mcpserver.Options{Version: version(), Logger: quiet})
	mc, err := client.NewInProcessClient(srv)
	if err != nil {
		return err
	}
	defer mc.Close()
	var progressMu sync.Mutex
	mc.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != string(mcp.MethodNotificationProgress) {
			return
		}
		progressMu.Lock()
		defer progressMu.Unlock()
		d.detail("progress  %v", n.Params.AdditionalFields["message"])
	})
	if err := mc.Start(ctx); err != nil {
		return err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "tollgate-demo", Version: version()}
	if _, err := mc.Initialize(ctx, init); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}

	d.step("The agent lists the tools")
	list, err := mc.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return err
	}
	d.detail("%d tools; a few of them:", len(list.Tools))
	for _, t := range list.Tools {
		switch t.Name {
		case "lookup", "search_ads", "get_ad", "search_shops", "get_budget", "estimate_cost":
			cost := ""
			if tl, ok := st.Box.Catalogue().Lookup(t.Name); ok {
				cost = tl.Cost.Describe()
			}
			d.detail("  %-14s %s", t.Name, cost)
		}
	}

	d.step("The agent searches ads for %q, 20 per page", *query)
	first := map[string]any{"search": *query, "limit": 20}
	res, err := d.call(ctx, mc, "search_ads", first, "")
	if err != nil {
		return err
	}
	next := d.summarise(res)

	d.step("The API rate-limits the next page (the sandbox is told to answer 429 with Retry-After: %d)", *retryAfter)
	st.Sandbox.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, Count: 1, PathPrefix: "/v1/ads", RetryAfter: fmt.Sprint(*retryAfter)})
	if next == nil {
		return fmt.Errorf("the search had a single page; try --search with a broader term")
	}
	began := time.Now()
	res, err = d.call(ctx, mc, "search_ads", next, "demo-progress")
	if err != nil {
		return err
	}
	d.detail("tollgate waited %s and retried; the agent never saw the 429", time.Since(began).Round(100*time.Millisecond))
	next = d.summarise(res)

	d.step("The agent keeps paging until the budget says stop")
	for i := 0; next != nil && i < 50; i++ {
		res, err = d.call(ctx, mc, "search_ads", next, "")
		if err != nil {
			return err
		}
		if res.IsError {
			d.detail("tollgate refused the call before it reached the API. The model receives:")
			d.json(res)
			break
		}
		next = d.summarise(res)
	}

	d.step("The agent asks for its budget (free)")
	res, err = d.call(ctx, mc, "get_budget", nil, "")
	if err != nil {
		return err
	}
	var view struct {
		Budget struct {
			RunSpent         int64  `json:"runSpent"`
			RunCap           *int64 `json:"runCap"`
			CreditsRemaining *int64 `json:"creditsRemaining"`
			RefillAt         string `json:"refillAt"`
		} `json:"budget"`
	}
	_ = json.Unmarshal([]byte(textOf(res)), &view)
	d.detail("spent %d of the run's %s-credit cap; the workspace has %s credits left; refill %s",
		view.Budget.RunSpent, ptrText(view.Budget.RunCap), ptrText(view.Budget.CreditsRemaining), view.Budget.RefillAt)

	d.say("")
	d.say("Done in %s. Next:", time.Since(d.start).Round(100*time.Millisecond))
	d.say("  attach Claude Code:  claude mcp add tollgate -- tollgate serve --sandbox")
	d.say("  the real API:        export %s=tt_live_...; tollgate serve --max-credits 500", envAPIKey)
	return nil
}

type demo struct {
	w     io.Writer
	start time.Time
	n     int
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.w, format+"\n", args...) }
func (d *demo) step(format string, args ...any) {
	d.n++
	fmt.Fprintf(d.w, "\n%d. %s\n", d.n, fmt.Sprintf(format, args...))
}
func (d *demo) detail(format string, args ...any) {
	fmt.Fprintf(d.w, "   %s\n", fmt.Sprintf(format, args...))
}

func (d *demo) json(res *mcp.CallToolResult) {
	var v any
	_ = json.Unmarshal([]byte(textOf(res)), &v)
	out, _ := json.MarshalIndent(v, "   ", "  ")
	fmt.Fprintf(d.w, "   %s\n", out)
}

func (d *demo) call(ctx context.Context, mc *client.Client, name string, args map[string]any, progressToken string) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	if progressToken != "" {
		req.Params.Meta = &mcp.Meta{ProgressToken: progressToken}
	}
	shown, _ := json.Marshal(args)
	if args == nil {
		shown = []byte("{}")
	}
	d.detail("→ %s %s", name, shown)
	return mc.CallTool(ctx, req)
}

// summarise prints one page's outcome and returns the next page's args.
func (d *demo) summarise(res *mcp.CallToolResult) map[string]any {
	var s struct {
		Data       []json.RawMessage `json:"data"`
		Pagination *tools.PageInfo   `json:"pagination"`
		NextPage   map[string]any    `json:"nextPage"`
		Metering   *tools.MeteringInfo
		Notes      []string `json:"notes"`
		Error      *struct {
			Code, Action string
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(textOf(res)), &s); err != nil {
		d.detail("unreadable result: %v", err)
		return nil
	}
	if res.IsError {
		d.detail("error %s: %s", s.Error.Code, s.Error.Action)
		return nil
	}
	line := fmt.Sprintf("← %d rows", len(s.Data))
	if p := s.Pagination; p != nil {
		line += fmt.Sprintf(" (page %d, %d in all)", p.Page, p.Total)
	}
	if m := s.Metering; m != nil && m.Cost != nil && m.CreditsRemaining != nil {
		line += fmt.Sprintf("; cost %d credits (X-Usage-Cost), %d left in the workspace (X-Credits-Remaining)", *m.Cost, *m.CreditsRemaining)
	}
	d.detail("%s", line)
	for _, n := range s.Notes {
		d.detail("note: %s", n)
	}
	return s.NextPage
}

func textOf(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func ptrText(p *int64) string {
	if p == nil {
		return "?"
	}
	return fmt.Sprint(*p)
}
