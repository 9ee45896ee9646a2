package main

import (
	"context"
	"flag"
	"log/slog"
	"strings"

	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/tools"
)

// registerCache adds the response cache's flags.
func (f *stackFlags) registerCache(fs *flag.FlagSet) {
	fs.BoolVar(&f.noCache, "no-cache", false, "call the API every time: no answers served from the cache, no sharing of identical calls made at the same time")
	fs.DurationVar(&f.cacheTTL, "cache-ttl", cache.DefaultTTL, "the longest a cached answer is served; it ends sooner when the API's data is refreshed")
	fs.StringVar(&f.cacheRedis, "cache-redis", "", "share cached answers with every tollgate process using this Redis (default: the --budget-redis URL; without either the cache is this process's own)")
	fs.Int64Var(&f.cacheBytes, "cache-max-bytes", cache.DefaultMaxBytes, "bound on the cache's size; the least recently used answers go first")
}

// wireCache sets tc's cache from the flags: in memory, or in Redis with
// --cache-redis or --budget-redis.
func (f *stackFlags) wireCache(ctx context.Context, st *stack, tc *tools.Config, log *slog.Logger) error {
	if f.noCache {
		tc.NoDedupe = true
		return nil
	}
	if f.cacheTTL < 0 || f.cacheBytes < 0 {
		return usageErrorf("--cache-ttl and --cache-max-bytes must be positive (or use --no-cache)")
	}
	rawURL, flagName := strings.TrimSpace(f.cacheRedis), "--cache-redis"
	if rawURL == "" {
		rawURL, flagName = strings.TrimSpace(f.budgetRedis), "--budget-redis"
	}
	if rawURL == "" {
		rawURL, flagName = f.budgetRedisEnv, "--budget-redis (from $"+envBudgetRedis+")"
	}
	var backend cache.Backend = cache.NewMemory(f.cacheBytes)
	if rawURL != "" {
		rb, err := redisstore.OpenCacheBackend(ctx, rawURL, redisstore.CacheOptions{MaxBytes: f.cacheBytes})
		if err != nil {
			return usageErrorf("%s: %v", flagName, err)
		}
		st.cacheCloser = rb
		backend = rb
		log.Info("cached answers shared through Redis", "namespace", rb.Namespace())
	}
	c, err := cache.New(cache.Config{Backend: backend, TTL: f.cacheTTL, Freshness: tools.FreshnessSource(st.Client), Logger: log})
	if err != nil {
		return usageErrorf("%v", err)
	}
	tc.Cache = c
	if st.Usage != nil {
		tc.Workspace = st.Usage.Workspace.ID
	}
	return nil
}
