package redisstore_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/cache/cachetest"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
)

var ctx = context.Background()

// redisClient returns a client of the test's Redis, closed when t ends.
func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// freshName returns a cache name no other test uses; its keys are
// deleted when t ends.
func freshName(t *testing.T, c *redis.Client) string {
	t.Helper()
	var b [4]byte
	_, _ = crand.Read(b[:])
	name := "t-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if keys, _ := c.Keys(context.Background(), redisstore.DefaultCachePrefix+"{"+name+"}*").Result(); len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
	})
	return name
}

func TestCacheBackendKeepsTheBackendContract(t *testing.T) {
	url := redistest.URL(t)
	raw := redisClient(t, url)
	cachetest.Run(t, func(t *testing.T, maxBytes int64) (cache.Backend, func(time.Duration)) {
		b, err := redisstore.NewCacheBackend(raw, redisstore.CacheOptions{Name: freshName(t, raw), MaxBytes: maxBytes})
		if err != nil {
			t.Fatal(err)
		}
		return b, nil
	})
}

// TestTwoProcessesShareEntriesAndGenerations uses two clients, as two
// processes would: what one stores the other finds, and an invalidation
// by one stops an answer the other had in flight.
func TestTwoProcessesShareEntriesAndGenerations(t *testing.T) {
	url := redistest.URL(t)
	raw := redisClient(t, url)
	name := freshName(t, raw)
	open := func() *redisstore.CacheBackend {
		b, err := redisstore.OpenCacheBackend(url, redisstore.CacheOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	a, b := open(), open()
	if err := a.Save(ctx, "ws/ads", "k", 0, []byte("paid once"), time.Hour); err != nil {
		t.Fatal(err)
	}
	v, gen, ok, err := b.Load(ctx, "ws/ads", "k")
	if err != nil || !ok || string(v) != "paid once" || gen != 0 {
		t.Fatalf("the other process loaded %q gen %d found %v (%v)", v, gen, ok, err)
	}
	// b has a call in flight (looked up at gen 0) when a invalidates.
	if err := a.Bump(ctx, "ws/ads"); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "ws/ads", "k2", gen, []byte("stale"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := a.Load(ctx, "ws/ads", "k2"); ok {
		t.Error("an answer looked up before another process's invalidation was stored")
	}
	if _, _, ok, _ := a.Load(ctx, "ws/ads", "k"); ok {
		t.Error("an invalidated entry is still found")
	}
	// The entry carries its TTL in Redis.
	keys := raw.Keys(ctx, a.Namespace()+"e:*").Val()
	if len(keys) != 1 {
		t.Fatalf("entry keys = %v", keys)
	}
	if ttl := raw.PTTL(ctx, keys[0]).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("PTTL = %v, want about an hour", ttl)
	}
}

func TestTheBoundHoldsAcrossProcesses(t *testing.T) {
	url := redistest.URL(t)
	raw := redisClient(t, url)
	name := freshName(t, raw)
	const max = 8 << 10
	var procs []*redisstore.CacheBackend
	for range 3 {
		b, err := redisstore.NewCacheBackend(raw, redisstore.CacheOptions{Name: name, MaxBytes: max})
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, b)
	}
	value := bytes.Repeat([]byte("v"), 500)
	for i := range 60 {
		p := procs[i%3]
		if err := p.Save(ctx, "g", strings.Repeat("k", i+1), 0, value, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	n, used, bound, err := procs[0].Size(ctx)
	if err != nil || used > max || bound != max || n == 0 || n > 16 {
		t.Errorf("Size = %d entries, %d bytes (bound %d, %v); want at most %d bytes", n, used, bound, err, max)
	}
	if got := raw.DBSize(ctx).Val(); got > 40 {
		t.Errorf("%d keys in Redis after eviction; evicted entries were left behind", got)
	}
}

func TestOpenCacheBackendErrors(t *testing.T) {
	_, err := redisstore.OpenCacheBackend("http://:hunter2@localhost:6379", redisstore.CacheOptions{})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "invalid Redis URL") {
		t.Errorf("bad scheme: %v", err)
	}
	// Nobody listening is not an error yet: the cache starts, and misses.
	b, err := redisstore.OpenCacheBackend("redis://:hunter2@"+redistest.FreeAddr(t), redisstore.CacheOptions{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("open with Redis down: %v", err)
	}
	defer b.Close()
	if _, _, _, err := b.Load(ctx, "g", "k"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Load with Redis down: %v", err)
	}
	unused := redis.NewClient(&redis.Options{Addr: redistest.FreeAddr(t)})
	defer unused.Close()
	if _, err := redisstore.NewCacheBackend(unused, redisstore.CacheOptions{Name: "a{b}"}); !errors.Is(err, redisstore.ErrInvalidName) {
		t.Errorf("a name with a hash tag brace: %v", err)
	}
}

func TestAnUnreachableRedisIsAMissForTheCache(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: redistest.FreeAddr(t), MaxRetries: -1, DialTimeout: time.Second})
	defer client.Close()
	b, err := redisstore.NewCacheBackend(client, redisstore.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Config{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	_, tk, found, err := c.Lookup(ctx, "g", "k")
	if found || err == nil {
		t.Fatalf("Lookup against a dead Redis = %v, %v; want a miss with the error", found, err)
	}
	if err := c.Store(ctx, tk, []byte("v"), 1); err != nil {
		t.Errorf("Store after a failed lookup = %v; want nothing done", err)
	}
}
