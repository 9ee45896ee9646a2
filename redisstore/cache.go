package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/cache"
)

// DefaultCachePrefix starts every key of a Redis cache.
const DefaultCachePrefix = DefaultPrefix + "cache:"

// CacheOptions configures a CacheBackend. Zero values mean the documented
// defaults.
type CacheOptions struct {
	// Prefix starts every key; "" means DefaultCachePrefix. It must not
	// contain '{' or '}'.
	Prefix string
	// Name is the cache's namespace inside Prefix (a Redis Cluster hash
	// tag, so that all its keys live on one node); "" means "default".
	// Processes that share a cache use the same Prefix and Name.
	Name string
	// MaxBytes bounds the keys and values the cache holds in Redis; 0
	// means cache.DefaultMaxBytes. Every process sharing the cache should
	// use the same bound (each enforces its own when it stores).
	MaxBytes int64
	// Timeout bounds one operation of OpenCacheBackend's client; 0 means
	// DefaultTimeout.
	Timeout time.Duration
}

// CacheBackend is a cache.Backend kept in Redis, so that the tollgate
// processes of a team (MCP servers, batch jobs) share their answers: what
// one paid for, the others read for free.
//
// Each entry is a string key with the entry's TTL (SET PX), under a name
// that holds its group's generation; a group's generation is a counter
// that Bump increments, so an invalidation is one INCR and the entries of
// older generations are no longer found. The byte bound is kept by a
// sorted set of entry keys ordered by last use and a hash of their sizes:
// a store that takes the total past MaxBytes evicts the least recently
// used entries until it fits. Load and Save are Lua scripts, so each is
// one atomic round trip: a Save checks the generation it was given and
// evicts in the same step. Expired entries keep their bytes counted until
// the eviction reaches them (they are the least recently used), so the
// total errs high, never low. A Redis that is down makes every operation
// fail, which the cache takes as misses (cache.Config.BackendRetry).
type CacheBackend struct {
	client redis.UniversalClient
	owns   bool
	max    int64

	ns      string // Prefix + "{" + Name + "}:"
	lru     string
	sizes   string
	total   string
	tick    string
	genPref string
	entPref string
}

var (
	_ cache.Backend = (*CacheBackend)(nil)
	_ cache.Sizer   = (*CacheBackend)(nil)
)

// NewCacheBackend returns a Redis cache backend using client (the
// client of a Budget will do). It makes no request; Close does not close
// client.
func NewCacheBackend(client redis.UniversalClient, opts CacheOptions) (*CacheBackend, error) {
	if client == nil {
		return nil, errors.New("redisstore: NewCacheBackend needs a Redis client")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultCachePrefix
	}
	if opts.Name == "" {
		opts.Name = "default"
	}
	if err := validPrefix(opts.Prefix); err != nil {
		return nil, err
	}
	if err := validName(opts.Name); err != nil {
		return nil, err
	}
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("redisstore: invalid cache MaxBytes %d: it must be positive (0 means the default %d)", opts.MaxBytes, cache.DefaultMaxBytes)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = cache.DefaultMaxBytes
	}
	ns := opts.Prefix + "{" + opts.Name + "}:"
	return &CacheBackend{
		client: client, max: opts.MaxBytes, ns: ns,
		lru: ns + "lru", sizes: ns + "sizes", total: ns + "bytes", tick: ns + "tick",
		genPref: ns + "gen:", entPref: ns + "e:",
	}, nil
}

// OpenCacheBackend returns a cache backend on the Redis at rawURL (see
// Dial), with a client of its own that Close closes. It does not wait
// for Redis: while it is down, the cache's lookups are misses.
func OpenCacheBackend(rawURL string, opts CacheOptions) (*CacheBackend, error) {
	client, err := Dial(rawURL, opts.Timeout)
	if err != nil {
		return nil, err
	}
	b, err := NewCacheBackend(client, opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	b.owns = true
	return b, nil
}

// Namespace is the start of every key of this cache, e.g.
// "tollgate:cache:{default}:".
func (b *CacheBackend) Namespace() string { return b.ns }

// Close closes the Redis connection if OpenCacheBackend made it.
func (b *CacheBackend) Close() error {
	if b.owns {
		return b.client.Close()
	}
	return nil
}

// loadScript returns {generation, value or false}, and marks the entry
// as just used.
var loadScript = sync.OnceValue(func() *redis.Script {
	return redis.NewScript(`
local gen = redis.call('GET', KEYS[1]) or '0'
local k = ARGV[1] .. gen .. ':' .. ARGV[2]
local v = redis.call('GET', k)
if v then
  redis.call('ZADD', KEYS[2], 'XX', redis.call('INCR', KEYS[3]), k)
end
return {gen, v}
`)
})

// saveScript stores the value if the group is still at the generation
// given, then evicts the least recently used entries until the total
// fits the bound. It returns 1 when stored.
var saveScript = sync.OnceValue(func() *redis.Script {
	return redis.NewScript(`
local cur = redis.call('GET', KEYS[1]) or '0'
if cur ~= ARGV[2] then return 0 end
local k = ARGV[1] .. ARGV[2] .. ':' .. ARGV[3]
local size = string.len(ARGV[4]) + string.len(k)
local max = tonumber(ARGV[6])
if size > max then return 0 end
local old = redis.call('HGET', KEYS[3], k)
if old then redis.call('DECRBY', KEYS[4], old) end
redis.call('SET', k, ARGV[4], 'PX', ARGV[5])
redis.call('HSET', KEYS[3], k, size)
local total = redis.call('INCRBY', KEYS[4], size)
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5]), k)
while total > max do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #oldest == 0 then
    redis.call('SET', KEYS[4], 0)
    break
  end
  local o = oldest[1]
  redis.call('ZREM', KEYS[2], o)
  local s = redis.call('HGET', KEYS[3], o)
  redis.call('HDEL', KEYS[3], o)
  redis.call('DEL', o)
  if s then total = redis.call('DECRBY', KEYS[4], s) end
end
return 1
`)
})

// Load implements cache.Backend.
func (b *CacheBackend) Load(ctx context.Context, group, key string) ([]byte, uint64, bool, error) {
	res, err := loadScript().Run(ctx, b.client, []string{b.genPref + group, b.lru, b.tick}, b.entPref+group+":", key).Slice()
	if err != nil {
		return nil, 0, false, fmt.Errorf("redisstore: cache load: %w", err)
	}
	if len(res) < 1 {
		return nil, 0, false, fmt.Errorf("redisstore: cache load: the script answered %d values", len(res))
	}
	gen, err := parseGen(res[0])
	if err != nil {
		return nil, 0, false, err
	}
	if len(res) < 2 || res[1] == nil {
		return nil, gen, false, nil
	}
	v, ok := res[1].(string)
	if !ok {
		return nil, gen, false, fmt.Errorf("redisstore: cache load: a value of type %T", res[1])
	}
	return []byte(v), gen, true, nil
}

func parseGen(v any) (uint64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("redisstore: cache load: a generation of type %T", v)
	}
	gen, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redisstore: cache load: generation %q: %w", s, err)
	}
	return gen, nil
}

// Save implements cache.Backend.
func (b *CacheBackend) Save(ctx context.Context, group, key string, gen uint64, value []byte, ttl time.Duration) error {
	ms := ttl.Milliseconds()
	if ms <= 0 {
		return nil
	}
	err := saveScript().Run(ctx, b.client, []string{b.genPref + group, b.lru, b.sizes, b.total, b.tick},
		b.entPref+group+":", strconv.FormatUint(gen, 10), key, value, ms, b.max).Err()
	if err != nil {
		return fmt.Errorf("redisstore: cache save: %w", err)
	}
	return nil
}

// Bump implements cache.Backend.
func (b *CacheBackend) Bump(ctx context.Context, group string) error {
	if err := b.client.Incr(ctx, b.genPref+group).Err(); err != nil {
		return fmt.Errorf("redisstore: cache invalidate: %w", err)
	}
	return nil
}

// Size implements cache.Sizer: the entries counted against the bound
// (expired ones included until evicted), their bytes and the bound.
func (b *CacheBackend) Size(ctx context.Context) (entries, bytes, maxBytes int64, err error) {
	pipe := b.client.Pipeline()
	n := pipe.ZCard(ctx, b.lru)
	t := pipe.Get(ctx, b.total)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, b.max, fmt.Errorf("redisstore: cache size: %w", err)
	}
	used, _ := t.Int64()
	return n.Val(), used, b.max, nil
}
