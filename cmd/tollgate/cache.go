package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/tools"
)

// addCacheFlags registers the response cache's flags (in the Budget
// group: they are about what calls cost).
func (f *stackFlags) addCacheFlags(cmd *cobra.Command) {
	f.cacheTTL, f.cacheBytes = cache.DefaultTTL, cache.DefaultMaxBytes
	addGroup(cmd, groupBudget, func(fs *pflag.FlagSet) {
		fs.BoolVar(&f.noCache, "no-cache", false, "call the API every time: no answers served from the cache, no sharing of identical calls made at the same time")
		fs.Var(&durationValue{p: &f.cacheTTL, want: "a duration such as 30m or 2h"},
			"cache-ttl", "the longest a cached answer is served; it ends sooner when the API's data is refreshed")
		fs.StringVar(&f.cacheRedis, "cache-redis", "", "share cached answers with every tollgate process using the Redis at `URL` (default: the --budget-redis URL; without either the cache is this process's own)")
		fs.Var(&intValue[int64]{p: &f.cacheBytes, min: 4096, want: "a number of bytes, 4096 or more", typ: "N"},
			"cache-max-bytes", "bound on the cache's size; the least recently used answers go first")
	})
}

// wireCache sets tc's cache from the flags: in memory, or in Redis with
// --cache-redis or --budget-redis.
func (f *stackFlags) wireCache(ctx context.Context, st *stack, tc *tools.Config, log *slog.Logger) error {
	if f.noCache {
		tc.NoDedupe = true
		return nil
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
