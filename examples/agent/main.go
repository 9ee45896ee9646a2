// Command agent answers a research question with tollgate's TrendTrack
// tools in a go-openai tool-calling loop, under a credit budget.
//
// By default it starts the embedded API simulator (package sandbox) in
// this process and asks the OpenAI-compatible endpoint named by
// OPENAI_API_KEY and OPENAI_BASE_URL (model: -model or OPENAI_MODEL).
// With -fake it asks a tiny scripted model instead, so it runs with no
// LLM at all. See README.md.
//
//	go run ./examples/agent -fake
//	OPENAI_API_KEY=sk-... go run ./examples/agent -q "Which skincare brands advertise the most?"
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/tollgate-mcp/tollgate"
	"github.com/tollgate-mcp/tollgate/agent"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

const defaultQuestion = "Which coffee brands advertise the most on Facebook right now, and what do their ads promise?"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	question := fs.String("q", defaultQuestion, "the research question")
	then := fs.String("then", strings.Join([]string{followUpTopAd, followUpAdvertiser, followUpCompare}, "|"),
		"follow-up questions, separated by |, each asked in a new conversation after the first (\"\" for none)")
	noCache := fs.Bool("no-cache", false, "call the API for every tool call, repeats included (no cache, no sharing of identical calls)")
	fake := fs.Bool("fake", false, "use a tiny scripted model instead of an LLM (no endpoint needed)")
	model := fs.String("model", envOr("OPENAI_MODEL", "gpt-4o-mini"), "the model to ask (default $OPENAI_MODEL or gpt-4o-mini)")
	maxCredits := fs.Int64("max-credits", 100, "the most credits this run may spend")
	maxTurns := fs.Int("max-turns", agent.DefaultMaxTurns, "the most model turns that may call tools")
	useSandbox := fs.Bool("sandbox", true, "start the embedded API simulator; false uses TRENDTRACK_API_KEY and TRENDTRACK_BASE_URL")
	verbose := fs.Bool("v", false, "log debug details to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	questions := []string{*question}
	for _, q := range strings.Split(*then, "|") {
		if q = strings.TrimSpace(q); q != "" {
			questions = append(questions, q)
		}
	}
	if _, err := ask(ctx, config{questions: questions, fake: *fake, model: *model, maxCredits: *maxCredits,
		maxTurns: *maxTurns, sandbox: *useSandbox, noCache: *noCache}, log, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "agent:", err)
		return 1
	}
	return 0
}

type config struct {
	questions  []string // asked one after the other, each in a new conversation
	noCache    bool
	fake       bool
	model      string
	maxCredits int64
	maxTurns   int
	sandbox    bool
}

// session is what a run of the questions gave.
type session struct {
	answers []string
	spent   int64 // credits charged
	cached  int64 // tool calls answered from the cache
}

func ask(ctx context.Context, cfg config, log *slog.Logger, stdout, stderr io.Writer) (*session, error) {
	// Where the API is: the embedded sandbox, or the real one.
	baseURL, key := os.Getenv("TRENDTRACK_BASE_URL"), os.Getenv("TRENDTRACK_API_KEY")
	if cfg.sandbox {
		sb, err := sandbox.Start("127.0.0.1:0", sandbox.Config{})
		if err != nil {
			return nil, fmt.Errorf("start the sandbox: %w", err)
		}
		defer sb.Close()
		baseURL, key = sb.URL, sandbox.DemoKey
		fmt.Fprintf(stderr, "sandbox: TrendTrack API simulator at %s\n", sb.URL)
	} else if key == "" {
		return nil, errors.New("-sandbox=false needs TRENDTRACK_API_KEY (and optionally TRENDTRACK_BASE_URL)")
	}
	if baseURL == "" {
		baseURL = runtime.DefaultBaseURL
	}

	// The chat endpoint.
	var chat agent.ChatClient = scriptedModel{}
	if !cfg.fake {
		c, err := agent.ClientFromEnv()
		if err != nil {
			return nil, fmt.Errorf("%w (or pass -fake to use the scripted model)", err)
		}
		chat = c
	} else {
		cfg.model = "scripted"
	}

	// One call wires the API client, the budget, the cache and the tools.
	// The zero Filter offers the core tools (about 25): a model picks
	// better from a short list, and OpenAI caps a request at 128 tools.
	// The cache keeps the answers of paid reads until the API's data is
	// refreshed, so a repeated call is free; -no-cache turns it off.
	kit, err := tollgate.New(ctx, tollgate.Config{APIKey: key, BaseURL: baseURL, UserAgent: "tollgate-example-agent",
		MaxCredits: cfg.maxCredits, NoCache: cfg.noCache, Logger: log})
	if err != nil {
		return nil, err
	}
	if kit.UsageErr != nil {
		log.Warn("could not read the balance; the budget learns it from the first paid call", "err", kit.UsageErr)
	}
	box := kit.Tools

	r := &agent.Runner{Client: chat, Model: cfg.model, Box: box, MaxTurns: cfg.maxTurns, Logger: log,
		OnEvent: func(e agent.Event) { printEvent(stderr, e) }}
	fmt.Fprintf(stderr, "model: %s, budget: %d credits, %d tools, cache %s\n", cfg.model, cfg.maxCredits, box.Catalogue().Len(), map[bool]string{false: "on", true: "off"}[cfg.noCache])
	s := &session{}
	for i, q := range cfg.questions {
		fmt.Fprintf(stderr, "\nquestion %d: %s\n", i+1, q)
		out, err := r.Run(ctx, q)
		if err != nil {
			return nil, err
		}
		s.answers = append(s.answers, out.Answer)
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintln(stdout, out.Answer)
		fmt.Fprintf(stderr, "stopped: %s after %d turns and %d tool calls; %d credits spent", out.Reason, out.Turns, out.ToolCalls, out.Spent)
		if out.Halt != nil {
			fmt.Fprintf(stderr, " (halt: %s)", out.Halt.Code)
		}
		fmt.Fprintln(stderr)
	}
	st, err := kit.Budget.Status(ctx)
	if err != nil {
		return nil, err
	}
	s.spent = st.RunSpent
	if v := box.CacheView(ctx); v.Stats != nil {
		s.cached = v.Hits
	}
	fmt.Fprintf(stderr, "\nsession: %d questions; %d credits spent", len(cfg.questions), s.spent)
	if st.RunCap != nil {
		fmt.Fprintf(stderr, " of a %d-credit cap", *st.RunCap)
	}
	fmt.Fprintf(stderr, "; %d calls answered from the cache for free\n", s.cached)
	return s, nil
}

// printEvent shows the run's progress on stderr.
func printEvent(w io.Writer, e agent.Event) {
	switch e.Kind {
	case agent.EventAssistant:
		if len(e.Message.ToolCalls) > 0 && e.Message.Content != "" {
			fmt.Fprintf(w, "[turn %d] model: %s\n", e.Turn, oneLine(e.Message.Content, 160))
		}
	case agent.EventToolResult:
		fmt.Fprintf(w, "[turn %d] %s %s\n", e.Turn, e.Call.Function.Name, oneLine(e.Call.Function.Arguments, 120))
		fmt.Fprintf(w, "         -> %s\n", summarize(e))
	case agent.EventHalt:
		fmt.Fprintf(w, "[turn %d] budget halt: %s\n", e.Turn, e.Halt.Code)
	case agent.EventWrapUp:
		fmt.Fprintf(w, "[turn %d] asking for a final answer without tools (%s)\n", e.Turn, e.Reason)
	}
}

// summarize says in one line what a tool call gave the model.
func summarize(e agent.Event) string {
	if e.NotRun {
		return "not run: an earlier call of this turn was halted"
	}
	if e.Result.IsError {
		a := e.Result.Advice
		return fmt.Sprintf("%s (%s): %s", a.Code, a.Source, oneLine(a.Action, 140))
	}
	if v, ok := e.Result.Structured.(*tools.BudgetView); ok && v.Budget != nil {
		parts := []string{fmt.Sprintf("run spent %d", v.Budget.RunSpent)}
		if v.Budget.RunCap != nil {
			parts[0] += fmt.Sprintf("/%d", *v.Budget.RunCap)
		}
		if v.Budget.CreditsRemaining != nil {
			parts = append(parts, fmt.Sprintf("workspace balance %d", *v.Budget.CreditsRemaining))
		}
		return strings.Join(parts, ", ")
	}
	s, ok := e.Result.Structured.(*tools.Success)
	if !ok {
		return "ok"
	}
	var parts []string
	var rows []json.RawMessage
	switch p := s.Pagination; {
	case p != nil:
		parts = append(parts, fmt.Sprintf("%d of %d rows", p.Returned, p.Total))
	case json.Unmarshal(s.Data, &rows) == nil:
		parts = append(parts, fmt.Sprintf("%d rows", len(rows)))
	default:
		parts = append(parts, "ok")
	}
	if m := s.Metering; m != nil && m.Cost != nil {
		parts = append(parts, fmt.Sprintf("cost %d", *m.Cost))
	}
	if b := s.Budget; b != nil && b.RunCap != nil {
		parts = append(parts, fmt.Sprintf("run spent %d/%d", b.RunSpent, *b.RunCap))
	}
	if len(s.Notes) > 0 {
		parts = append(parts, "note: "+oneLine(s.Notes[0], 100))
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
