package cache_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/cache/cachetest"
	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/internal/syncbuffer"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var ctx = context.Background()

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 8, 25, 12, 0, 0, 0, time.UTC)) }

// freshness is a fake GET /v1/system/freshness: it answers the ready
// date it is set to, or fails, and counts the questions.
type freshness struct {
	mu    sync.Mutex
	ready string
	err   error
	asked int
}

func (f *freshness) Freshness(context.Context) (cache.Freshness, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	if f.err != nil {
		return cache.Freshness{}, f.err
	}
	return cache.Freshness{LatestReadyDate: f.ready, LatestScheduledDate: f.ready + "+1", DataFreshnessLagDays: 1}, nil
}

func (f *freshness) set(ready string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready, f.err = ready, err
}

func (f *freshness) questions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked
}

func newCache(t *testing.T, clk *fakeclock.Clock, src cache.FreshnessSource, cfg cache.Config) *cache.Cache {
	t.Helper()
	cfg.Now = clk.Now
	if src != nil {
		cfg.Freshness = src
	}
	if cfg.Backend == nil {
		cfg.Backend = cache.NewMemory(1 << 20).WithClock(clk.Now)
	}
	c, err := cache.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// put looks key up (a miss) and stores value with the ticket.
func put(t *testing.T, c *cache.Cache, group, key, value string, cost int64) {
	t.Helper()
	_, tk, found, err := c.Lookup(ctx, group, key)
	if err != nil || found {
		t.Fatalf("Lookup before Store: found=%v err=%v", found, err)
	}
	if err := c.Store(ctx, tk, []byte(value), cost); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c *cache.Cache, group, key string) (cache.Entry, bool) {
	t.Helper()
	e, _, found, err := c.Lookup(ctx, group, key)
	if err != nil {
		t.Fatal(err)
	}
	return e, found
}

func TestEntryValidity(t *testing.T) {
	at := time.Date(2026, 8, 25, 12, 0, 0, 0, time.UTC)
	e := cache.Entry{StoredAt: at, Expires: at.Add(time.Hour), Version: "2026-08-24"}
	for _, tt := range []struct {
		name    string
		now     time.Time
		current string
		want    bool
	}{
		{"same version, within the TTL", at.Add(59 * time.Minute), "2026-08-24", true},
		{"at the expiry", at.Add(time.Hour), "2026-08-24", false},
		{"after a refresh", at.Add(time.Minute), "2026-08-25", false},
		{"version unknown now", at.Add(time.Minute), "", true},
		{"this process has not seen the refresh the entry was stored after", at, "2026-08-23", true},
	} {
		if got := e.ValidAt(tt.now, tt.current); got != tt.want {
			t.Errorf("%s: ValidAt = %v, want %v", tt.name, got, tt.want)
		}
	}
	unknown := cache.Entry{StoredAt: at, Expires: at.Add(time.Hour)}
	if unknown.ValidAt(at, "2026-08-24") {
		t.Error("an entry of unknown version is served once the version is known; it may predate a refresh")
	}
	if !unknown.ValidAt(at, "") {
		t.Error("with no freshness at all, the TTL alone should bound an entry")
	}
}

func TestHitsUntilTheDataIsRefreshed(t *testing.T) {
	clk, src := newClock(), &freshness{ready: "2026-08-24"}
	c := newCache(t, clk, src, cache.Config{TTL: 6 * time.Hour, CheckEvery: time.Minute})
	put(t, c, "ws/ads", "k", `{"rows":20}`, 20)
	e, found := get(t, c, "ws/ads", "k")
	if !found || string(e.Value) != `{"rows":20}` || e.Cost != 20 || !e.StoredAt.Equal(clk.Now()) {
		t.Fatalf("hit = %+v, %v", e, found)
	}
	// The source is asked at most once a minute, however many lookups.
	for range 5 {
		get(t, c, "ws/ads", "k")
	}
	if n := src.questions(); n != 1 {
		t.Errorf("freshness asked %d times within a minute, want 1", n)
	}
	// The API refreshes its data; within CheckEvery the cache has not
	// asked yet, then it has and the entry is gone.
	src.set("2026-08-25", nil)
	clk.Advance(30 * time.Second)
	if _, found := get(t, c, "ws/ads", "k"); !found {
		t.Error("a check was made before CheckEvery passed")
	}
	clk.Advance(30 * time.Second)
	if _, found := get(t, c, "ws/ads", "k"); found {
		t.Fatal("an answer of the previous snapshot was served after the refresh was learnt")
	}
	put(t, c, "ws/ads", "k", `{"rows":19}`, 19)
	if e, found := get(t, c, "ws/ads", "k"); !found || string(e.Value) != `{"rows":19}` {
		t.Errorf("after the refresh: %q, %v", e.Value, found)
	}
	st := c.Stats(ctx)
	if st.Hits != 8 || st.Misses != 3 || st.Stores != 2 || st.CreditsSaved != 7*20+19 || st.DataVersion != "2026-08-25" {
		t.Errorf("stats = %+v", st)
	}
}

func TestTheTTLEndsAnEntryWhenNoRefreshDoes(t *testing.T) {
	clk, src := newClock(), &freshness{ready: "2026-08-24"}
	c := newCache(t, clk, src, cache.Config{TTL: 10 * time.Minute})
	put(t, c, "g", "k", "v", 1)
	clk.Advance(10*time.Minute - time.Second)
	if _, found := get(t, c, "g", "k"); !found {
		t.Fatal("expired before its TTL")
	}
	clk.Advance(time.Second)
	if _, found := get(t, c, "g", "k"); found {
		t.Fatal("served after its TTL")
	}
}

func TestWithoutFreshnessTheTTLAloneBoundsEntries(t *testing.T) {
	logs := &syncbuffer.Buffer{}
	clk, src := newClock(), &freshness{err: errors.New("404 not_found")}
	c := newCache(t, clk, src, cache.Config{TTL: time.Hour, CheckEvery: time.Minute,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	put(t, c, "g", "k", "v", 1)
	for range 3 {
		clk.Advance(time.Minute)
		if _, found := get(t, c, "g", "k"); !found {
			t.Fatal("a source that fails should leave the TTL in charge, not disable the cache")
		}
	}
	if n := strings.Count(logs.String(), "cannot learn the data's freshness"); n != 1 {
		t.Errorf("warned %d times about the failing source, want once:\n%s", n, logs)
	}
	// Once the source answers, an entry of unknown version may predate a
	// refresh: it is not served.
	src.set("2026-08-24", nil)
	clk.Advance(time.Minute)
	if _, found := get(t, c, "g", "k"); found {
		t.Error("an entry stored while the version was unknown was served once it was known")
	}
}

func TestInvalidateDropsTheGroupAndAnswersInFlight(t *testing.T) {
	clk := newClock()
	c := newCache(t, clk, nil, cache.Config{})
	put(t, c, "ws1/brandtrackers", "list", "v", 20)
	put(t, c, "ws1/ads", "search", "v", 20)
	put(t, c, "ws2/brandtrackers", "list", "v", 20)
	// A list call is in flight when a create lands.
	_, inFlight, _, _ := c.Lookup(ctx, "ws1/brandtrackers", "page2")
	if err := c.Invalidate(ctx, "ws1/brandtrackers"); err != nil {
		t.Fatal(err)
	}
	if _, found := get(t, c, "ws1/brandtrackers", "list"); found {
		t.Error("the invalidated group still answers")
	}
	if err := c.Store(ctx, inFlight, []byte("made before the write"), 20); err != nil {
		t.Fatal(err)
	}
	if _, found := get(t, c, "ws1/brandtrackers", "page2"); found {
		t.Error("an answer whose call was in flight during the invalidation was stored")
	}
	for _, g := range []string{"ws1/ads", "ws2/brandtrackers"} {
		if _, found := get(t, c, g, map[string]string{"ws1/ads": "search", "ws2/brandtrackers": "list"}[g]); !found {
			t.Errorf("invalidating ws1/brandtrackers lost %s", g)
		}
	}
	put(t, c, "ws1/brandtrackers", "list", "after", 20)
	if e, found := get(t, c, "ws1/brandtrackers", "list"); !found || string(e.Value) != "after" {
		t.Error("the group does not store again after the invalidation")
	}
}

func TestPeekCountsNothing(t *testing.T) {
	c := newCache(t, newClock(), nil, cache.Config{})
	put(t, c, "g", "k", "v", 3)
	before := c.Stats(ctx)
	if e, ok := c.Peek(ctx, "g", "k"); !ok || e.Cost != 3 {
		t.Fatalf("Peek = %+v, %v", e, ok)
	}
	if _, ok := c.Peek(ctx, "g", "absent"); ok {
		t.Fatal("Peek found an absent key")
	}
	if after := c.Stats(ctx); after.Hits != before.Hits || after.Misses != before.Misses || after.CreditsSaved != before.CreditsSaved {
		t.Errorf("Peek counted: before %+v after %+v", before, after)
	}
}

// broken is a backend that cannot be reached; it counts the attempts.
type broken struct{ calls atomic.Int64 }

var errDown = errors.New("connection refused")

func (b *broken) Load(context.Context, string, string) ([]byte, uint64, bool, error) {
	b.calls.Add(1)
	return nil, 0, false, errDown
}
func (b *broken) Save(context.Context, string, string, uint64, []byte, time.Duration) error {
	b.calls.Add(1)
	return errDown
}
func (b *broken) Bump(context.Context, string) error { b.calls.Add(1); return errDown }

func TestABackendFailureIsAMissNotAFailure(t *testing.T) {
	logs := &syncbuffer.Buffer{}
	clk, b := newClock(), &broken{}
	c := newCache(t, clk, nil, cache.Config{Backend: b, BackendRetry: 10 * time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	lookup := func() error {
		t.Helper()
		_, tk, found, err := c.Lookup(ctx, "g", "k")
		if found || err == nil {
			t.Fatalf("Lookup = %v, %v; want a miss with an error", found, err)
		}
		if err := c.Store(ctx, tk, []byte("v"), 1); err != nil {
			t.Fatalf("Store with the ticket of a failed lookup = %v; want nothing done", err)
		}
		return err
	}
	if err := lookup(); !errors.Is(err, errDown) {
		t.Fatalf("first lookup: %v, want the backend's error", err)
	}
	// For BackendRetry the backend is not tried: a Redis that times out
	// must not add its timeout to every call.
	for range 3 {
		clk.Advance(time.Second)
		if err := lookup(); !errors.Is(err, cache.ErrBackendDown) {
			t.Fatalf("lookup while skipping: %v", err)
		}
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("the failed backend was tried %d times within BackendRetry, want once", n)
	}
	// An invalidation always tries: a write must not be forgotten.
	if err := c.Invalidate(ctx, "g"); !errors.Is(err, errDown) {
		t.Errorf("Invalidate = %v", err)
	}
	clk.Advance(10 * time.Second)
	if err := lookup(); !errors.Is(err, errDown) || b.calls.Load() != 3 {
		t.Errorf("after BackendRetry: %v, %d attempts; want the backend tried again", err, b.calls.Load())
	}
	if n := strings.Count(logs.String(), "the backend fails"); n != 1 {
		t.Errorf("warned %d times, want once until it works again:\n%s", n, logs)
	}
	if st := c.Stats(ctx); st.Errors != 3 || st.Skipped != 5 || st.Entries != -1 || st.Misses != 5 {
		t.Errorf("stats = %+v", st)
	}
}

func TestAStoreAfterTheTTLIsSkipped(t *testing.T) {
	clk := newClock()
	c := newCache(t, clk, nil, cache.Config{TTL: time.Minute})
	_, tk, _, _ := c.Lookup(ctx, "g", "k")
	clk.Advance(2 * time.Minute) // the call took longer than the TTL
	if err := c.Store(ctx, tk, []byte("v"), 1); err != nil {
		t.Fatal(err)
	}
	if _, found := get(t, c, "g", "k"); found {
		t.Error("an answer already past its TTL was stored")
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := cache.New(cache.Config{TTL: -time.Second, CheckEvery: -time.Second, BackendRetry: -1})
	if err == nil || !strings.Contains(err.Error(), "invalid TTL") || !strings.Contains(err.Error(), "invalid CheckEvery") || !strings.Contains(err.Error(), "invalid BackendRetry") {
		t.Fatalf("err = %v", err)
	}
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := c.Config(); cfg.TTL != cache.DefaultTTL || cfg.CheckEvery != cache.DefaultCheckEvery {
		t.Errorf("defaults = %+v", cfg)
	}
	if st := c.Stats(ctx); st.MaxBytes != cache.DefaultMaxBytes {
		t.Errorf("default backend bound = %d", st.MaxBytes)
	}
}

func TestKeyIgnoresMapOrder(t *testing.T) {
	a := map[string]any{"search": "coffee", "limit": 20.0, "page": 1.0}
	b := map[string]any{"page": 1.0, "search": "coffee", "limit": 20.0}
	ka, err := cache.Key("listAds", a)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := cache.Key("listAds", b)
	kc, _ := cache.Key("listAds", map[string]any{"search": "coffee", "limit": 21.0, "page": 1.0})
	if ka != kb || ka == kc || len(ka) != 32 {
		t.Errorf("keys %s %s %s", ka, kb, kc)
	}
	if _, err := cache.Key(func() {}); err == nil {
		t.Error("a value JSON cannot encode gave a key")
	}
}

func TestMemoryBackend(t *testing.T) {
	cachetest.Run(t, func(t *testing.T, maxBytes int64) (cache.Backend, func(time.Duration)) {
		clk := newClock()
		return cache.NewMemory(maxBytes).WithClock(clk.Now), clk.Advance
	})
}

func TestEntriesRoundTripThroughTheBackend(t *testing.T) {
	clk := newClock()
	mem := cache.NewMemory(1 << 20).WithClock(clk.Now)
	c := newCache(t, clk, &freshness{ready: "2026-08-24"}, cache.Config{Backend: mem})
	value := []byte("{\"a\":1}\n{\"b\":2}")
	_, tk, _, _ := c.Lookup(ctx, "g", "k")
	if err := c.Store(ctx, tk, value, 7); err != nil {
		t.Fatal(err)
	}
	e, found := get(t, c, "g", "k")
	if !found || !bytes.Equal(e.Value, value) || e.Cost != 7 || e.Version != "2026-08-24" || tk.Version() != e.Version {
		t.Errorf("entry = %+v", e)
	}
	// A value that is not an entry (another program's key) is a miss.
	_, gen, _, _ := mem.Load(ctx, "g", "junk")
	_ = mem.Save(ctx, "g", "junk", gen, []byte("not an entry"), time.Hour)
	if _, found := get(t, c, "g", "junk"); found {
		t.Error("a value without an entry header was served")
	}
}

func TestBeginStoresWithoutLooking(t *testing.T) {
	c := newCache(t, newClock(), nil, cache.Config{})
	put(t, c, "g", "k", "old", 1)
	tk, err := c.Begin(ctx, "g", "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Store(ctx, tk, []byte("fresh"), 2); err != nil {
		t.Fatal(err)
	}
	e, _ := get(t, c, "g", "k")
	if string(e.Value) != "fresh" {
		t.Errorf("after a fresh call the entry holds %q", e.Value)
	}
	if st := c.Stats(ctx); st.Hits != 1 || st.Misses != 1 {
		t.Errorf("Begin counted a lookup: %+v", st)
	}
}

func TestOnlyTheReadyDateVersionsTheData(t *testing.T) {
	a := cache.Freshness{LatestReadyDate: "2026-08-24", LatestScheduledDate: "2026-08-25"}
	b := cache.Freshness{LatestReadyDate: "2026-08-24", LatestScheduledDate: "2026-08-26"}
	if a.Version() != b.Version() || a.Version() != "2026-08-24" {
		t.Errorf("versions %q and %q: a new scheduled snapshot serves no new data", a.Version(), b.Version())
	}
	if (cache.Freshness{}).Version() != "" {
		t.Error("an empty answer has a version")
	}
}
