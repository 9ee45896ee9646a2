package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/tollgate-mcp/tollgate"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Environment variables tollgate reads.
const (
	envAPIKey    = "TRENDTRACK_API_KEY"
	envBaseURL   = "TRENDTRACK_BASE_URL"
	envHTTPToken = "TOLLGATE_HTTP_TOKEN"
	// envBudgetRedis is the default of --budget-redis. Read from the
	// environment rather than shown as a flag default: the URL may carry
	// a password.
	envBudgetRedis = "TOLLGATE_BUDGET_REDIS"
	// envBudgetLease overrides how long a process's holds on a shared
	// budget outlive its last word (a Go duration; default
	// redisstore.DefaultLeaseTTL). Hidden, for tests that kill
	// processes: with the default they would wait 30 s for a dead
	// process's holds to count as spent.
	envBudgetLease = "TOLLGATE_BUDGET_LEASE_TTL"
)

// errUsage marks a command-line or configuration mistake (exit code 2).
var errUsage = errors.New("usage")

// usageErrorf returns an error that makes the command exit with code 2.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// stackFlags are the flags shared by every command that talks to the API:
// where the API is, and the budget. flags.go registers them and checks
// their values as they are parsed.
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
	// budgetRedis and budgetName share the budget through Redis;
	// budgetRedisEnv is $TOLLGATE_BUDGET_REDIS, read by addStackFlags.
	budgetRedis    string
	budgetRedisEnv string
	budgetName     string
	// The response cache (cache.go): off, TTL, Redis URL, memory bound.
	noCache    bool
	cacheTTL   time.Duration
	cacheRedis string
	cacheBytes int64
	// noTools skips loading the catalogue (tollgate usage).
	noTools bool
	// allTools offers every tool, not the core, when neither --toolsets
	// nor --tools is given (dynamic mode, batch jobs).
	allTools bool
	// getenv reads the environment; nil means os.Getenv.
	getenv func(string) string
	// sandboxRate and sandboxBurst are the embedded sandbox's rate limit
	// per key; 0 means the sandbox's defaults.
	sandboxRate  float64
	sandboxBurst int
}

// stack is everything a command needs to call tools.
type stack struct {
	Client  *runtime.Client
	Budget  *budget.Controller
	Box     *tools.Toolbox
	Sandbox *sandbox.Running // nil against the real API
	BaseURL string
	// Store is the shared budget's store with --budget-redis, else nil.
	Store *redisstore.Budget
	// cacheCloser closes the Redis cache backend, if any.
	cacheCloser io.Closer
	log         *slog.Logger
	// Usage is the first usage answer, nil when it failed (UsageErr).
	Usage    *runtime.Usage
	UsageErr error
	// Start is the budget at start; StartErr says why it could not be
	// read (a shared budget whose Redis does not answer).
	Start    budget.Status
	StartErr error
}

// Close writes what the shared budget kept for later and gives back this
// process's share of it, and stops the embedded sandbox, if any. Charges
// that could not be written are reported at Error, so that they show
// whatever the log level.
func (s *stack) Close() {
	if s.cacheCloser != nil {
		_ = s.cacheCloser.Close()
	}
	if s.Store != nil {
		if err := s.Store.Close(); err != nil && s.log != nil {
			if _, ok := errors.AsType[*redisstore.UnrecordedError](err); ok {
				s.log.Error("charges of this process were not recorded in the shared budget", "err", err)
			} else {
				s.log.Warn("could not give back this process's share of the shared budget", "err", err)
			}
		}
	}
	if s.Sandbox != nil {
		_ = s.Sandbox.Close()
	}
}

// build wires runtime, budget and tools from flags and environment, with
// tollgate.New.
func (f *stackFlags) build(ctx context.Context, log *slog.Logger, userAgent string) (*stack, error) {
	st := &stack{log: log}
	getenv := f.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var key string
	if f.sandbox {
		sb, err := sandbox.Start("127.0.0.1:0", sandbox.Config{DemoCredits: sandbox.Credits{Recurring: f.credits},
			RateLimit: sandbox.RateLimit{PerSecond: f.sandboxRate, Burst: f.sandboxBurst}})
		if err != nil {
			return nil, fmt.Errorf("start the embedded sandbox: %w", err)
		}
		if f.credits == 0 {
			sb.SetCredits(sandbox.DemoKey, sandbox.Credits{})
		}
		st.Sandbox, st.BaseURL, key = sb, sb.URL, sandbox.DemoKey
	} else {
		var err error
		if key, err = secretFromEnv(getenv, envAPIKey, log); err != nil {
			return nil, err
		}
		if strings.TrimSpace(key) == "" {
			return nil, usageErrorf("%s is not set: export your TrendTrack API key (tt_live_...) or name a file holding it in %s_FILE, or pass --sandbox to use the embedded simulator", envAPIKey, envAPIKey)
		}
		if err := checkAPIKey(key); err != nil {
			return nil, err
		}
		st.BaseURL = getenv(envBaseURL)
		if st.BaseURL == "" {
			st.BaseURL = runtime.DefaultBaseURL
		}
	}
	store, err := f.openStore(log)
	if err != nil {
		st.Close()
		return nil, err
	}
	cfg := tollgate.Config{
		APIKey: key, BaseURL: st.BaseURL, UserAgent: userAgent,
		MaxCredits: f.maxCredits, FreeCallsOnly: f.maxCredits == 0, Reserve: f.reserve, MaxPerCall: f.maxPerCall, WarnAt: f.warnAt,
		Filter:         tools.Filter{Toolsets: splitList(f.toolsets), Tools: splitList(f.tools), ReadOnly: f.readOnly},
		MaxResultBytes: f.maxResult, Logger: log,
	}
	if f.allTools && len(cfg.Filter.Toolsets) == 0 && len(cfg.Filter.Tools) == 0 {
		cfg.Filter.Toolsets = []string{tools.ToolsetAll}
	}
	if store != nil {
		st.Store, cfg.Store = store, store
		// Processes sharing the budget share one key, so they pace
		// together: the server's learnt rate and its wake-up after a 429.
		pacing, err := redisstore.NewPacing(store.Client(), f.budgetName, redisstore.PacingOptions{})
		if err != nil {
			st.Close()
			return nil, usageErrorf("--budget-name: %v", err)
		}
		cfg.ClientOptions = append(cfg.ClientOptions, runtime.WithPacing(pacing))
	}
	if f.rate > 0 {
		cfg.ClientOptions = append(cfg.ClientOptions, runtime.WithLimiter(rate.NewLimiter(rate.Limit(f.rate), max(1, int(f.rate)))))
	}
	switch {
	case f.noTools:
		cfg.Catalogue = tools.BuiltIn() // nothing to offer: no need to fetch the API's document
	case f.sandbox:
		// The embedded sandbox serves the built-in document: fetching it
		// would only make the sandbox render what tollgate has compiled.
		cfg.Catalogue = tools.BuiltIn()
	}
	if dir, err := os.UserCacheDir(); err == nil && cfg.Catalogue == nil {
		cfg.CacheDir = filepath.Join(dir, "tollgate")
	}
	if err := f.wireCache(st, &cfg, log); err != nil { // cache.go
		st.Close()
		return nil, err
	}
	kit, err := tollgate.New(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, usageErrorf("%v", errors.Unwrap(err))
	}
	st.Client, st.Budget, st.Box, st.Usage, st.UsageErr = kit.Client, kit.Budget, kit.Tools, kit.Usage, kit.UsageErr
	st.Start, st.StartErr = kit.Budget.Status(ctx)
	if _, shared := errors.AsType[*budget.StoreError](st.UsageErr); shared {
		st.UsageErr = nil // the balance was read all the same; the budget's trouble is StartErr
		if st.Usage == nil {
			st.UsageErr = kit.UsageErr
		}
	}
	switch {
	case st.StartErr != nil:
		log.Warn("the shared budget cannot be read at start; paid calls halt until its Redis answers (free calls work)",
			"budget", f.budgetName, "err", st.StartErr)
	case st.UsageErr != nil:
		log.Warn("could not read the balance at start; the budget learns it from the first paid call", "advice", runtime.Advise(st.UsageErr).Action, "err", st.UsageErr)
	}
	return st, nil
}

// sharedName is the name of the Redis-shared budget, or "" when the
// budget is this process's own.
func (f *stackFlags) sharedName() string {
	if strings.TrimSpace(f.budgetRedis) == "" && f.budgetRedisEnv == "" {
		return ""
	}
	return f.budgetName
}

// openStore opens the Redis budget of --budget-redis (or
// $TOLLGATE_BUDGET_REDIS) and --budget-name; nil when neither URL is set.
// A Redis that is down is no error: paid calls halt until it answers.
func (f *stackFlags) openStore(log *slog.Logger) (*redisstore.Budget, error) {
	rawURL, flagName := strings.TrimSpace(f.budgetRedis), "--budget-redis"
	if rawURL == "" {
		rawURL, flagName = f.budgetRedisEnv, "--budget-redis (from $"+envBudgetRedis+")"
	}
	if rawURL == "" {
		return nil, nil
	}
	// go-redis logs dial failures itself; send them through our logger
	// (stderr, leveled) instead of its own.
	redis.SetLogger(redisLogger{log})
	opts, err := f.budgetOptions(log)
	if err != nil {
		return nil, err
	}
	store, err := redisstore.OpenBudget(rawURL, f.budgetName, opts)
	switch {
	case errors.Is(err, redisstore.ErrInvalidName):
		return nil, usageErrorf("--budget-name: %v", err)
	case err != nil:
		return nil, usageErrorf("%s: %v", flagName, err)
	}
	log.Info("budget shared through Redis", "name", f.budgetName, "redis", redisstore.Redact(rawURL), "key", store.Key(), "process", store.ID())
	return store, nil
}

// budgetOptions are the options of every shared budget this process
// opens: its logger, and the lease of $TOLLGATE_BUDGET_LEASE_TTL.
func (f *stackFlags) budgetOptions(log *slog.Logger) (redisstore.BudgetOptions, error) {
	opts := redisstore.BudgetOptions{Logger: log}
	getenv := f.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := strings.TrimSpace(getenv(envBudgetLease)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 30*time.Millisecond {
			return opts, usageErrorf("%s=%q: want a duration of 30ms or more, such as 2s", envBudgetLease, v)
		}
		opts.LeaseTTL = d
	}
	return opts, nil
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

// redisLogger routes go-redis's internal messages to slog at debug level:
// the errors that matter reach the user through the store's own errors.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
