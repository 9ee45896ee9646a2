package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/time/rate"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Environment variables tollgate reads.
const (
	envAPIKey    = "TRENDTRACK_API_KEY"
	envBaseURL   = "TRENDTRACK_BASE_URL"
	envHTTPToken = "TOLLGATE_HTTP_TOKEN"
)

// errUsage marks a command-line or configuration mistake (exit code 2).
var errUsage = errors.New("usage")

// usageErrorf returns an error that makes the command exit with code 2.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// stackFlags are the flags shared by every command that talks to the API:
// where the API is, and the budget.
type stackFlags struct {
	sandbox    bool
	credits    int64
	maxCredits int64
	reserve    int64
	maxPerCall int64
	warnAt     float64
	rate       float64
	toolsets   string
	tools      string
	readOnly   bool
	maxResult  int
	// noTools skips loading the catalogue (tollgate usage).
	noTools bool
	// getenv reads the environment; nil means os.Getenv.
	getenv func(string) string
}

func (f *stackFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.sandbox, "sandbox", false, "use the embedded API simulator instead of the real API (no key needed)")
	fs.Int64Var(&f.credits, "sandbox-credits", 10000, "with --sandbox: the demo workspace's starting balance")
	fs.Int64Var(&f.maxCredits, "max-credits", budget.DefaultMaxCredits, "the most credits this process may spend (-1: no cap)")
	fs.Int64Var(&f.reserve, "reserve", 0, "credits of the workspace never to spend (left for other users)")
	fs.Int64Var(&f.maxPerCall, "max-per-call", 0, "the most credits one call may reserve (0: no limit)")
	fs.Float64Var(&f.warnAt, "warn-at", budget.DefaultWarnAt, "fraction of --max-credits after which results carry a warning")
	fs.Float64Var(&f.rate, "rate", 0, "client-side pacing in requests per second (0: none; the API's own limit still applies)")
	fs.StringVar(&f.toolsets, "toolsets", "", "comma-separated toolsets to offer (default all)")
	fs.StringVar(&f.tools, "tools", "", "comma-separated tool names to offer (default all)")
	fs.BoolVar(&f.readOnly, "read-only", false, "offer only tools that change nothing")
	fs.IntVar(&f.maxResult, "max-result-bytes", tools.DefaultMaxResultBytes, "cut results larger than this many bytes of JSON")
}

// stack is everything a command needs to call tools.
type stack struct {
	Client  *runtime.Client
	Budget  *budget.Controller
	Box     *tools.Toolbox
	Sandbox *sandbox.Running // nil against the real API
	BaseURL string
	// Balance is the first usage answer, nil when it failed.
	Usage    *runtime.Usage
	UsageErr error
}

// Close stops the embedded sandbox, if any.
func (s *stack) Close() {
	if s.Sandbox != nil {
		_ = s.Sandbox.Close()
	}
}

// build wires runtime, budget and tools from flags and environment.
func (f *stackFlags) build(ctx context.Context, log *slog.Logger, userAgent string) (*stack, error) {
	st := &stack{}
	getenv := f.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var key string
	if f.sandbox {
		sb, err := sandbox.Start("127.0.0.1:0", sandbox.Config{DemoCredits: sandbox.Credits{Recurring: f.credits}})
		if err != nil {
			return nil, fmt.Errorf("start the embedded sandbox: %w", err)
		}
		if f.credits == 0 {
			sb.SetCredits(sandbox.DemoKey, sandbox.Credits{})
		}
		st.Sandbox, st.BaseURL, key = sb, sb.URL, sandbox.DemoKey
	} else {
		key = strings.TrimSpace(getenv(envAPIKey))
		if key == "" {
			return nil, usageErrorf("%s is not set: export your TrendTrack API key (tt_live_...), or pass --sandbox to use the embedded simulator", envAPIKey)
		}
		st.BaseURL = getenv(envBaseURL)
		if st.BaseURL == "" {
			st.BaseURL = runtime.DefaultBaseURL
		}
	}
	if f.maxCredits == 0 {
		st.Close()
		return nil, usageErrorf("--max-credits 0 would forbid every paid call; pass a positive cap, or -1 for no cap")
	}
	// The controller observes the client's responses and reads usage
	// through the same client: tie the knot with a usage source that
	// looks the client up when called.
	var client *runtime.Client
	ctrl, err := budget.New(budget.Config{
		MaxCredits: f.maxCredits, Reserve: f.reserve, MaxPerCall: f.maxPerCall, WarnAt: f.warnAt, Logger: log,
		Usage: budget.UsageFunc(func(ctx context.Context) (*runtime.Usage, error) { return client.Usage(ctx) }),
	})
	if err != nil {
		st.Close()
		return nil, usageErrorf("%v", err)
	}
	opts := []runtime.Option{
		runtime.WithBaseURL(st.BaseURL), runtime.WithAPIKey(key),
		runtime.WithObserver(ctrl), runtime.WithLogger(log), runtime.WithUserAgent(userAgent),
	}
	if f.rate > 0 {
		opts = append(opts, runtime.WithLimiter(rate.NewLimiter(rate.Limit(f.rate), max(1, int(f.rate)))))
	}
	if client, err = runtime.New(opts...); err != nil {
		st.Close()
		return nil, usageErrorf("%v", err)
	}
	st.Client, st.Budget = client, ctrl
	st.Usage, st.UsageErr = ctrl.Refresh(ctx)
	if st.UsageErr != nil {
		log.Warn("could not read the balance at start; the budget learns it from the first paid call", "advice", runtime.Advise(st.UsageErr).Action, "err", st.UsageErr)
	}

	if f.noTools {
		return st, nil
	}
	cacheDir := ""
	if dir, err := os.UserCacheDir(); err == nil && !f.sandbox {
		cacheDir = filepath.Join(dir, "tollgate")
	}
	cat := tools.Load(ctx, client, tools.LoadOptions{CacheDir: cacheDir, Logger: log})
	filter := tools.Filter{Toolsets: splitList(f.toolsets), Tools: splitList(f.tools), ReadOnly: f.readOnly}
	if cat, err = cat.Select(filter); err != nil {
		st.Close()
		return nil, usageErrorf("%v", err)
	}
	box, err := tools.NewToolbox(tools.Config{Catalogue: cat, Client: client, Budget: ctrl, MaxResultBytes: f.maxResult, Logger: log})
	if err != nil {
		st.Close()
		return nil, usageErrorf("%v", err)
	}
	st.Box = box
	return st, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
