// Package tollgate wires tollgate for a Go program in one call: the
// TrendTrack API client (package runtime), the credit budget that stops
// an agent before the API would answer 402 (package budget) and the tool
// catalogue with its one entry point, Toolbox.Call (package tools).
//
//	kit, err := tollgate.New(ctx, tollgate.Config{
//		APIKey:     os.Getenv("TRENDTRACK_API_KEY"),
//		MaxCredits: 200, // the most this program may spend
//		Reserve:    1000, // credits of the workspace never to touch
//	})
//	if err != nil {
//		return err
//	}
//	req.Tools = agent.Tools(kit.Tools)             // go-openai function definitions
//	msg, _ := agent.Dispatch(ctx, kit.Tools, call) // the role=tool message to append
//
// or hand kit.Tools to agent.Runner, or batch.Run. The same kit serves
// every face, so a model sees the same results and advice through each.
//
// To share the budget between processes, give Config.Store a
// redisstore.Budget; that import is the only one that compiles go-redis
// into a program.
package tollgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Config configures New. The zero value (with an APIKey) is a client of
// the production API with a budget of budget.DefaultMaxCredits kept in
// memory, offering every tool.
type Config struct {
	// APIKey is the TrendTrack API key (tt_live_...), sent as a bearer
	// token; it is never logged or returned in errors.
	APIKey string
	// BaseURL is the API; "" means runtime.DefaultBaseURL. Point it at a
	// sandbox (package sandbox) for demos and tests.
	BaseURL string
	// UserAgent is sent with every request; "" means "tollgate".
	UserAgent string
	// HTTPClient makes the requests; nil means runtime's default (a pool
	// sized for concurrent tool calls).
	HTTPClient *http.Client
	// ClientOptions are further options of the runtime client (a retry
	// policy, pacing with runtime.WithLimiter, a clock, observers),
	// applied after the ones above.
	ClientOptions []runtime.Option

	// MaxCredits, Reserve, MaxPerCall and WarnAt are the budget's limits;
	// see budget.Config (0 means the defaults: a cap of
	// budget.DefaultMaxCredits, no floor, no per-call limit, a warning at
	// 80 %; budget.Unlimited means no cap).
	MaxCredits int64
	Reserve    int64
	MaxPerCall int64
	WarnAt     float64
	// FreeCallsOnly makes the cap 0: free calls run, paid calls halt
	// (budget.Config.FreeCallsOnly).
	FreeCallsOnly bool
	// Store holds the budget's ledger; nil keeps it in this process. A
	// *redisstore.Budget shares it with every process using the same
	// Redis and name; closing it is the caller's.
	Store budget.Store

	// Catalogue is the tools to offer; nil loads them with tools.Load
	// from the API's OpenAPI document (cached under CacheDir when set,
	// built in when the API cannot be reached).
	Catalogue *tools.Catalogue
	// CacheDir keeps the last OpenAPI document fetched; "" keeps none.
	CacheDir string
	// Filter narrows the tools offered (toolsets, names, read-only).
	Filter tools.Filter
	// MaxResultBytes bounds a result's JSON; 0 means
	// tools.DefaultMaxResultBytes.
	MaxResultBytes int

	// NoCache turns off the cache of paid reads and the sharing of
	// identical calls made at the same time; both are on by default (a
	// repeated paid read costs 0 until the API's data is next refreshed).
	NoCache bool
	// CacheBackend keeps the cached answers; nil keeps them in this
	// process (cache.NewMemory, cache.DefaultMaxBytes). A
	// *redisstore.CacheBackend shares them with every process using the
	// same Redis; closing it is the caller's.
	CacheBackend cache.Backend
	// CacheTTL is the longest a cached answer is served; 0 means
	// cache.DefaultTTL. The API's freshness ends it sooner.
	CacheTTL time.Duration

	// Logger receives the logs of every part; nil discards them.
	Logger *slog.Logger
}

// Kit is a wired tollgate: use Tools for tool calls; Client and Budget
// are there for what Tools does not do.
type Kit struct {
	// Client calls the API.
	Client *runtime.Client
	// Budget is the credit controller every paid call of Tools asks.
	Budget *budget.Controller
	// Tools is the catalogue and its entry point, Tools.Call.
	Tools *tools.Toolbox
	// Cache keeps the answers of paid reads; nil with Config.NoCache.
	Cache *cache.Cache
	// Usage is the GET /v1/usage New made to learn the balance and the
	// refill date; nil when it failed, and UsageErr says why (the budget
	// then learns the balance from the first paid response).
	Usage    *runtime.Usage
	UsageErr error
}

// ConfigError is New's answer to a Config it cannot use. The message
// names the field to fix.
type ConfigError struct {
	Err error
}

// Error describes the problem, naming the field.
func (e *ConfigError) Error() string { return "tollgate: invalid config: " + e.Err.Error() }

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// New wires a client, a budget and a catalogue from cfg and reads the
// balance once (GET /v1/usage, free). Its only errors are a
// *ConfigError; a balance that cannot be read is reported in
// Kit.UsageErr, since the budget still works without it.
func New(ctx context.Context, cfg Config) (*Kit, error) {
	opts := []runtime.Option{runtime.WithAPIKey(cfg.APIKey), runtime.WithLogger(cfg.Logger)}
	if cfg.BaseURL != "" {
		opts = append(opts, runtime.WithBaseURL(cfg.BaseURL))
	}
	if cfg.UserAgent != "" {
		opts = append(opts, runtime.WithUserAgent(cfg.UserAgent))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, runtime.WithHTTPClient(cfg.HTTPClient))
	}
	client, err := runtime.New(append(opts, cfg.ClientOptions...)...)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("BaseURL: %w", err)}
	}
	ctrl, err := budget.New(budget.Config{
		MaxCredits: cfg.MaxCredits, FreeCallsOnly: cfg.FreeCallsOnly, Reserve: cfg.Reserve, MaxPerCall: cfg.MaxPerCall, WarnAt: cfg.WarnAt,
		Store: cfg.Store, Usage: client, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, &ConfigError{err}
	}
	kit := &Kit{Client: client, Budget: ctrl}
	// The API's document is fetched while the balance is read: the two
	// free calls of a start take one round trip, not two.
	cat := cfg.Catalogue
	var loaded chan *tools.Catalogue
	if cat == nil {
		loaded = make(chan *tools.Catalogue, 1)
		go func() {
			loaded <- tools.Load(ctx, client, tools.LoadOptions{CacheDir: cfg.CacheDir, Logger: cfg.Logger})
		}()
	}
	kit.Usage, kit.UsageErr = ctrl.Refresh(ctx)
	if _, ok := errors.AsType[*budget.StoreError](kit.UsageErr); ok {
		// The shared budget is unreachable; the balance still tells.
		if u, err := client.Usage(ctx); err == nil {
			kit.Usage = u
		}
	}
	if loaded != nil {
		cat = <-loaded
	}
	if cat, err = cat.Select(cfg.Filter); err != nil {
		return nil, &ConfigError{err}
	}
	tc := tools.Config{Catalogue: cat, Client: client, Budget: ctrl, MaxResultBytes: cfg.MaxResultBytes, Logger: cfg.Logger, NoDedupe: cfg.NoCache}
	if !cfg.NoCache {
		kit.Cache, err = cache.New(cache.Config{Backend: cfg.CacheBackend, TTL: cfg.CacheTTL, Freshness: tools.FreshnessSource(client), Logger: cfg.Logger})
		if err != nil {
			return nil, &ConfigError{fmt.Errorf("CacheTTL: %w", err)}
		}
		tc.Cache = kit.Cache
		if kit.Usage != nil {
			tc.Workspace = kit.Usage.Workspace.ID // scopes the cached answers
		}
	}
	box, err := tools.NewToolbox(tc)
	if err != nil {
		return nil, &ConfigError{err}
	}
	kit.Tools = box
	return kit, nil
}
