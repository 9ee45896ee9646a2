package main

import (
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate"
	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/redisstore"
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

// wireCache sets cfg's cache from the flags: in memory, or in Redis with
// --cache-redis or --budget-redis; --no-cache turns it off.
func (f *stackFlags) wireCache(st *stack, cfg *tollgate.Config, log *slog.Logger) error {
	cfg.NoCache, cfg.CacheTTL = f.noCache, f.cacheTTL
	if f.noCache {
		return nil
	}
	rawURL, flagName := strings.TrimSpace(f.cacheRedis), "--cache-redis"
	if rawURL == "" {
		rawURL, flagName = strings.TrimSpace(f.budgetRedis), "--budget-redis"
	}
	if rawURL == "" {
		rawURL, flagName = f.budgetRedisEnv, "--budget-redis (from $"+envBudgetRedis+")"
	}
	if rawURL == "" {
		cfg.CacheBackend = cache.NewMemory(f.cacheBytes)
		return nil
	}
	opts := redisstore.CacheOptions{MaxBytes: f.cacheBytes}
	var rb *redisstore.CacheBackend
	var err error
	if st.Store != nil && flagName != "--cache-redis" {
		// The budget's Redis: share its connections.
		rb, err = redisstore.NewCacheBackend(st.Store.Client(), opts)
	} else {
		rb, err = redisstore.OpenCacheBackend(rawURL, opts)
	}
	if err != nil {
		return usageErrorf("%s: %v", flagName, err)
	}
	st.cacheCloser, cfg.CacheBackend = rb, rb
	log.Info("cached answers shared through Redis", "namespace", rb.Namespace())
	return nil
}
