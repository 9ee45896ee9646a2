package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// runDemo plays a short scripted agent session: the embedded sandbox,
// the MCP server and an MCP client in one process, talking MCP.
func runDemo(ctx context.Context, c *cli, o *demoOptions) error {
	sf := o.stack
	sf.maxCredits = o.maxCredits
	quiet := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := sf.build(ctx, quiet, "tollgate-demo/"+version())
	if err != nil {
		return err
	}
	defer st.Close()
	d := &demo{w: c.stdout, start: time.Now()}
	query, retryAfter := &o.search, &o.retryAfter

	d.say("tollgate demo: a scripted agent uses the TrendTrack API through tollgate's MCP server.")
	d.say("Everything runs in this process: the API simulator (%s), the MCP server, and an MCP client.", st.BaseURL)
	d.say("This run may spend at most %s (--max-credits).", plural(o.maxCredits, "credit"))

	srv := newMCPServer(st.Box, modeStatic, 0, quiet)
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
	name := c.self
	if strings.HasPrefix(name, "go run") {
		d.say("  install it:          go install ./cmd/tollgate   (MCP hosts start the installed binary)")
		name = "tollgate"
	}
	d.say("  attach Claude Code:  claude mcp add tollgate -- %s serve --sandbox", name)
	d.say("  the real API:        export %s=tt_live_...; %s serve --max-credits 500", envAPIKey, name)
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

// json prints a result's JSON as the model receives it, indented, in
// its own field order (error before budget).
func (d *demo) json(res *mcp.CallToolResult) {
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(textOf(res)), "   ", "  "); err != nil {
		fmt.Fprintf(d.w, "   %s\n", textOf(res))
		return
	}
	fmt.Fprintf(d.w, "   %s\n", out.Bytes())
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
		line += " (" + rowRange(p, len(s.Data)) + ")"
	}
	if m := s.Metering; m != nil && m.Cost != nil && m.CreditsRemaining != nil {
		line += fmt.Sprintf("; cost %s (X-Usage-Cost), %d left in the workspace (X-Credits-Remaining)", plural(*m.Cost, "credit"), *m.CreditsRemaining)
	}
	d.detail("%s", line)
	for _, n := range s.Notes {
		d.detail("note: %s", n)
	}
	return s.NextPage
}

// rowRange says which rows of the result set a page holds, e.g. "rows
// 41-50 of 312". Rows, not page numbers: a page fitted to the budget is
// renumbered (page 3 of 20 rows becomes page 5 of 10), but its rows are
// the ones the agent asked for.
func rowRange(p *tools.PageInfo, n int) string {
	first := 1
	switch {
	case p.Offset != nil:
		first = *p.Offset + 1
	case p.Page > 0:
		first = (p.Page-1)*p.Limit + 1
	}
	if n == 0 {
		return fmt.Sprintf("none left of %d", p.Total)
	}
	return fmt.Sprintf("rows %d-%d of %d", first, first+n-1, p.Total)
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
