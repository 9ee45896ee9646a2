package tools_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// fakeFreshness stands in for GET /v1/system/freshness until the
// sandbox serves it: the ready date is set by the test.
type fakeFreshness struct {
	mu    sync.Mutex
	ready string
}

func (f *fakeFreshness) Freshness(context.Context) (cache.Freshness, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cache.Freshness{LatestReadyDate: f.ready, LatestScheduledDate: f.ready}, nil
}

func (f *fakeFreshness) set(d string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready = d
}

// cachedEnv is testenv.New with a memory cache on the env's fake clock.
func cachedEnv(t *testing.T, cfg testenv.Config, cc cache.Config) (*testenv.Env, *fakeFreshness) {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = testenv.NewFakeClock()
	}
	src := &fakeFreshness{ready: "2026-08-24"}
	cc.Now = cfg.Clock.Now
	if cc.Freshness == nil {
		cc.Freshness = src
	}
	if cc.Backend == nil {
		cc.Backend = cache.NewMemory(8 << 20).WithClock(cfg.Clock.Now)
	}
	c, err := cache.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Box.Cache = c
	return testenv.New(t, cfg), src
}

func metering(t *testing.T, sc map[string]any) map[string]any {
	t.Helper()
	return testenv.Obj(t, sc, "metering")
}

func TestARepeatedReadIsServedFromTheCacheForFree(t *testing.T) {
	e, _ := cachedEnv(t, testenv.Config{}, cache.Config{})
	args := map[string]any{"search": "coffee", "limit": 20, "sortBy": "reach"}
	first := callOK(t, e, "search_ads", args)
	if m := metering(t, first); m["cached"] != nil || testenv.Num(t, m, "cost") != 20 {
		t.Fatalf("first call metering = %s", testenv.MustJSON(m))
	}
	spent, requests := testenv.StatusOf(t, e.Ctrl).RunSpent, e.SB.Requests()

	// The same question in another form: arguments in another order,
	// the default platform made explicit, other fields.
	again := callOK(t, e, "search_ads", map[string]any{"sortBy": "reach", "limit": 20.0, "search": "coffee", "platform": "all",
		tools.ArgFields: []any{"*"}})
	m := metering(t, again)
	if m["cached"] != true || testenv.Num(t, m, "cost") != 0 || m["cachedAt"] != e.Clock.Now().Format(time.RFC3339Nano) {
		t.Errorf("repeat metering = %s; want cached, cost 0, cachedAt the first call's time", testenv.MustJSON(m))
	}
	if e.SB.Requests() != requests || testenv.StatusOf(t, e.Ctrl).RunSpent != spent {
		t.Errorf("a hit reached the API (%d requests) or was charged (%d spent)", e.SB.Requests()-requests, testenv.StatusOf(t, e.Ctrl).RunSpent-spent)
	}
	if len(testenv.Rows(t, again)) != 20 || testenv.MustJSON(testenv.Rows(t, again)[0].(map[string]any)["id"]) != testenv.MustJSON(testenv.Rows(t, first)[0].(map[string]any)["id"]) {
		t.Error("the cached answer is not the first one")
	}
	if _, full := testenv.Rows(t, again)[0].(map[string]any)["audience"].(map[string]any)["targetedCountries"]; !full {
		t.Error("a hit with fields [\"*\"] did not get every field: the stored answer should be the API's, before projection")
	}
	if testenv.Obj(t, again, "nextPage")["page"] != 2.0 || testenv.Obj(t, again, "pagination")["hasMore"] != true {
		t.Errorf("a hit lost its paging: %s", testenv.MustJSON(again["nextPage"]))
	}

	// fresh: true calls the API and charges; the next plain call is
	// served that new answer.
	fresh := callOK(t, e, "search_ads", with(args, tools.ArgFresh, true))
	if m := metering(t, fresh); m["cached"] != nil || testenv.Num(t, m, "cost") != 20 {
		t.Errorf("fresh call metering = %s", testenv.MustJSON(m))
	}
	if _, ok := testenv.Obj(t, fresh, "nextPage")[tools.ArgFresh]; ok {
		t.Error("nextPage of a fresh call repeats fresh: following pages would never be served from the cache")
	}
	after := callOK(t, e, "search_ads", args)
	if metering(t, after)["cached"] != true || testenv.StatusOf(t, e.Ctrl).RunSpent != spent+20 {
		t.Errorf("after a fresh call: %s, spent %d", testenv.MustJSON(after["metering"]), testenv.StatusOf(t, e.Ctrl).RunSpent-spent)
	}
	// A different question is a miss.
	if m := metering(t, callOK(t, e, "search_ads", with(args, "page", 2))); m["cached"] != nil {
		t.Error("page 2 was served page 1's answer")
	}
}

func TestCachedAnswersEndWhenTheDataIsRefreshedOrTheTTLPasses(t *testing.T) {
	e, src := cachedEnv(t, testenv.Config{}, cache.Config{TTL: 2 * time.Hour, CheckEvery: time.Minute})
	args := map[string]any{"search": "coffee", "limit": 5}
	callOK(t, e, "search_ads", args)
	e.Clock.Advance(10 * time.Minute)
	if metering(t, callOK(t, e, "search_ads", args))["cached"] != true {
		t.Fatal("not cached ten minutes later with no refresh")
	}
	src.set("2026-08-25")
	e.Clock.Advance(time.Minute)
	if metering(t, callOK(t, e, "search_ads", args))["cached"] != nil {
		t.Fatal("an answer from before the data refresh was served")
	}
	hit := callOK(t, e, "search_ads", args)
	if metering(t, hit)["cached"] != true {
		t.Fatal("the answer after the refresh was not stored")
	}
	if notes := testenv.MustJSON(hit["notes"]); !strings.Contains(notes, "2026-08-25") || !strings.Contains(notes, "fresh: true") {
		t.Errorf("a hit's note does not say what data it holds and how to refresh it: %s", notes)
	}
	e.Clock.Advance(2 * time.Hour)
	if metering(t, callOK(t, e, "search_ads", args))["cached"] != nil {
		t.Error("served after its TTL")
	}
}

func TestWritesDropTheListsTheyChange(t *testing.T) {
	e, _ := cachedEnv(t, testenv.Config{}, cache.Config{})
	list := callOK(t, e, "list_brandtrackers", map[string]any{"limit": 100})
	total := testenv.Num(t, testenv.Obj(t, list, "pagination"), "total")
	bt := testenv.Rows(t, list)[0].(map[string]any)["id"].(string)
	callOK(t, e, "get_brandtracker", map[string]any{"brandtrackerId": bt})
	callOK(t, e, "search_ads", map[string]any{"search": "coffee", "limit": 1})
	if metering(t, callOK(t, e, "list_brandtrackers", map[string]any{"limit": 100}))["cached"] != true {
		t.Fatal("the list was not cached")
	}

	// Track a brand the workspace does not track yet.
	_, shops := e.Call(t, "search_shops", map[string]any{"search": "coffee", "limit": 32})
	created := false
	for _, r := range testenv.Rows(t, shops) {
		res, sc := e.Call(t, "create_brandtracker", map[string]any{"shopId": r.(map[string]any)["id"]})
		if res.IsError {
			t.Fatalf("create: %s", testenv.MustJSON(sc))
		}
		if sc["more"].(map[string]any)["created"] == true {
			created = true
			break
		}
	}
	if !created {
		t.Fatal("every coffee shop is tracked already")
	}
	after := callOK(t, e, "list_brandtrackers", map[string]any{"limit": 100})
	if metering(t, after)["cached"] != nil || testenv.Num(t, testenv.Obj(t, after, "pagination"), "total") != total+1 {
		t.Errorf("after a create the list is %s with total %v, want a new call with %d", testenv.MustJSON(after["metering"]), testenv.Obj(t, after, "pagination")["total"], total+1)
	}
	if metering(t, callOK(t, e, "search_ads", map[string]any{"search": "coffee", "limit": 1}))["cached"] != true {
		t.Error("a brandtracker write dropped cached ads, which it does not change")
	}

	callOK(t, e, "delete_brandtracker", map[string]any{"brandtrackerId": bt})
	res, sc := e.Call(t, "get_brandtracker", map[string]any{"brandtrackerId": bt})
	testenv.WantAdvice(t, res, sc, runtime.CodeNotFound, runtime.SourceAPI)
	if after := callOK(t, e, "list_brandtrackers", map[string]any{"limit": 100}); testenv.Num(t, testenv.Obj(t, after, "pagination"), "total") != total {
		t.Errorf("after the delete the list has total %v, want %d", testenv.Obj(t, after, "pagination")["total"], total)
	}
}

func TestFailuresAndIncompleteAnswersAreNotCached(t *testing.T) {
	t.Run("errors", func(t *testing.T) {
		e, _ := cachedEnv(t, testenv.Config{}, cache.Config{})
		for range 2 {
			res, sc := e.Call(t, "get_ad", map[string]any{"adId": "facebook_404"})
			testenv.WantAdvice(t, res, sc, runtime.CodeNotFound, runtime.SourceAPI)
		}
		if st := e.Box.CacheView(context.Background()); st.Stores != 0 || st.Hits != 0 {
			t.Errorf("a 404 was stored: %+v", st.Stats)
		}
	})
	t.Run("fitted to the budget", func(t *testing.T) {
		e, _ := cachedEnv(t, testenv.Config{Budget: &budget.Config{MaxCredits: 25}}, cache.Config{})
		callOK(t, e, "search_ads", map[string]any{"search": "coffee", "limit": 20})
		sc := callOK(t, e, "search_ads", map[string]any{"search": "coffee", "limit": 20, "page": 2})
		if len(testenv.Rows(t, sc)) != 5 {
			t.Fatalf("the second page was not fitted: %d rows", len(testenv.Rows(t, sc)))
		}
		if st := e.Box.CacheView(context.Background()); st.Stores != 1 {
			t.Errorf("stores = %d; the fitted page (5 of 20 rows) must not be stored as page 2", st.Stores)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		e, _ := cachedEnv(t, testenv.Config{Box: tools.Config{MaxResultBytes: 4096}}, cache.Config{})
		args := map[string]any{"search": "coffee", "limit": 20, tools.ArgFields: []any{"*"}}
		if sc := callOK(t, e, "search_ads", args); sc["truncated"] == nil {
			t.Fatal("not truncated")
		}
		if metering(t, callOK(t, e, "search_ads", args))["cached"] != nil {
			t.Error("a truncated answer was stored")
		}
	})
}

func TestCachedAnswersStayInTheirWorkspace(t *testing.T) {
	clk := testenv.NewFakeClock()
	c, err := cache.New(cache.Config{Now: clk.Now, Backend: cache.NewMemory(1 << 20).WithClock(clk.Now)})
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	box := func(key string) *tools.Toolbox {
		cl, _ := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(key))
		b, err := tools.NewToolbox(tools.Config{Catalogue: testenv.BuiltIn(), Client: cl, Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := box(sb.NewWorkspace(sandbox.Credits{})), box(sb.NewWorkspace(sandbox.Credits{}))
	args := map[string]any{"limit": 5}
	if r := a.Call(context.Background(), "list_brandtrackers", args); r.IsError {
		t.Fatal(string(r.JSON()))
	}
	r := b.Call(context.Background(), "list_brandtrackers", args)
	if s, ok := r.Structured.(*tools.Success); !ok || s.Metering.Cached {
		t.Errorf("another workspace was served the first one's brandtrackers: %s", r.JSON())
	}
}

// gate holds requests to one path until opened, counting them.
type gate struct {
	next    http.Handler
	path    string
	open    chan struct{}
	once    sync.Once
	arrived atomic.Int64
}

// newGate serves next through a gate on path; when the test ends the
// gate opens before the server closes, so a failed test cannot hang.
func newGate(t *testing.T, next http.Handler, path string) (*gate, *httptest.Server) {
	g := &gate{next: next, path: path, open: make(chan struct{})}
	ts := httptest.NewServer(g)
	t.Cleanup(func() { g.release(); ts.Close() })
	return g, ts
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == g.path {
		g.arrived.Add(1)
		<-g.open
	}
	g.next.ServeHTTP(w, r)
}

// TestConcurrentIdenticalCallsMakeOneRequest runs 16 identical calls at
// once (under -race in CI): one API request, one reservation, one
// charge, and every caller gets the answer.
func TestConcurrentIdenticalCallsMakeOneRequest(t *testing.T) {
	for _, withCache := range []bool{false, true} {
		name := map[bool]string{false: "dedupe alone", true: "with the cache"}[withCache]
		t.Run(name, func(t *testing.T) {
			sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
			g, ts := newGate(t, sb, "/v1/ads")
			key := sb.NewWorkspace(sandbox.Credits{})
			var cl *runtime.Client
			ctrl, _ := budget.New(budget.Config{MaxCredits: 1000, Usage: budget.UsageFunc(func(ctx context.Context) (*runtime.Usage, error) { return cl.Usage(ctx) })})
			cl, _ = runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(key), runtime.WithObserver(ctrl))
			cfg := tools.Config{Catalogue: testenv.BuiltIn(), Client: cl, Budget: ctrl}
			if withCache {
				cfg.Cache, _ = cache.New(cache.Config{})
			}
			box, err := tools.NewToolbox(cfg)
			if err != nil {
				t.Fatal(err)
			}
			const n = 16
			results := make(chan *tools.Result, n)
			for i := range n {
				go func() {
					args := map[string]any{"search": "coffee", "limit": 10}
					if i%2 == 1 {
						args[tools.ArgFields] = []any{"id"} // another view of the same call
					}
					results <- box.Call(context.Background(), "search_ads", args)
				}()
			}
			waitUntil(t, "one request at the API and 15 callers waiting", func() bool {
				return g.arrived.Load() == 1 && box.CacheView(context.Background()).Waiting == n-1
			})
			if st := testenv.StatusOf(t, ctrl); st.InFlight != 10 {
				t.Errorf("in flight while the call runs: %d credits, want one reservation of 10", st.InFlight)
			}
			g.release()
			shared := 0
			for range n {
				r := <-results
				s, ok := r.Structured.(*tools.Success)
				if !ok {
					t.Fatalf("a caller failed: %s", r.JSON())
				}
				if countData(r) != 10 {
					t.Errorf("a caller got %d rows", countData(r))
				}
				if s.Metering.Shared {
					shared++
					if *s.Metering.Cost != 0 {
						t.Errorf("a shared answer says it cost %d", *s.Metering.Cost)
					}
				}
			}
			if g.arrived.Load() != 1 || shared != n-1 {
				t.Errorf("%d API requests, %d shared answers; want 1 and %d", g.arrived.Load(), shared, n-1)
			}
			if st := testenv.StatusOf(t, ctrl); st.RunSpent != 10 || st.InFlight != 0 || sb.Spent(key) != 10 {
				t.Errorf("spent %d (sandbox %d), in flight %d; want one charge of 10", st.RunSpent, sb.Spent(key), st.InFlight)
			}
		})
	}
}

func TestEstimateAndBudgetKnowTheCache(t *testing.T) {
	e, _ := cachedEnv(t, testenv.Config{}, cache.Config{})
	args := map[string]any{"search": "coffee", "limit": 20}
	est := callOK(t, e, "estimate_cost", map[string]any{"tool": "search_ads", "arguments": args})
	if est["cached"] != nil || testenv.Num(t, est, "worstCase") != 20 {
		t.Fatalf("before the call: %s", testenv.MustJSON(est))
	}
	callOK(t, e, "search_ads", args)
	est = callOK(t, e, "estimate_cost", map[string]any{"tool": "search_ads", "arguments": with(args, tools.ArgFields, []any{"id"})})
	if est["cached"] != true || testenv.Num(t, est, "worstCase") != 0 || est["allowed"] != true || est["cachedAt"] == nil {
		t.Errorf("a call the cache answers is estimated %s; want 0 and cached", testenv.MustJSON(est))
	}
	est = callOK(t, e, "estimate_cost", map[string]any{"tool": "search_ads", "arguments": with(args, tools.ArgFresh, true)})
	if est["cached"] != nil || testenv.Num(t, est, "worstCase") != 20 {
		t.Errorf("a fresh call is estimated %s; want its worst case", testenv.MustJSON(est))
	}
	callOK(t, e, "search_ads", args)
	view := callOK(t, e, "get_budget", nil)
	c := testenv.Obj(t, view, "cache")
	if c["enabled"] != true || testenv.Num(t, c, "hits") != 1 || testenv.Num(t, c, "creditsSaved") != 20 || testenv.Num(t, c, "entries") != 1 {
		t.Errorf("get_budget cache = %s", testenv.MustJSON(c))
	}
	// Without a cache the estimate is the worst case, and get_budget says
	// there is no cache.
	plain := testenv.New(t, testenv.Config{})
	if est := callOK(t, plain, "estimate_cost", map[string]any{"tool": "search_ads", "arguments": args}); est["cached"] != nil {
		t.Errorf("no cache, yet %s", testenv.MustJSON(est))
	}
	if c := testenv.Obj(t, callOK(t, plain, "get_budget", nil), "cache"); c["enabled"] != false || c["dedupe"] != true {
		t.Errorf("get_budget without a cache: %s", testenv.MustJSON(c))
	}
}

// waitUntil polls cond (yielding a millisecond at a time) until it holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestAWaitingCallerOutlivesTheCallerWhoseCallItShares: the first caller
// cancels while the API holds its request; the one waiting for the same
// answer makes the call itself and gets it.
func TestAWaitingCallerOutlivesTheCallerWhoseCallItShares(t *testing.T) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	g, ts := newGate(t, sb, "/v1/ads")
	cl, _ := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(sb.NewWorkspace(sandbox.Credits{})))
	box, err := tools.NewToolbox(tools.Config{Catalogue: testenv.BuiltIn(), Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"search": "coffee", "limit": 3}
	first, cancel := context.WithCancel(context.Background())
	gone := make(chan *tools.Result, 1)
	go func() { gone <- box.Call(first, "search_ads", args) }()
	waitUntil(t, "the first call at the API", func() bool { return g.arrived.Load() == 1 })
	second := make(chan *tools.Result, 1)
	go func() { second <- box.Call(context.Background(), "search_ads", args) }()
	waitUntil(t, "the second caller to wait", func() bool { return box.CacheView(context.Background()).Waiting == 1 })
	cancel()
	if r := <-gone; !r.IsError || r.Advice.Code != runtime.CodeCanceled {
		t.Fatalf("the cancelled caller got %s", r.JSON())
	}
	waitUntil(t, "the second caller's own request", func() bool { return g.arrived.Load() == 2 })
	g.release()
	r := <-second
	if r.IsError || countData(r) != 3 {
		t.Fatalf("the caller that stayed got %s", r.JSON())
	}
	if r.Structured.(*tools.Success).Metering.Shared {
		t.Error("its answer says shared, but it made the call")
	}
}

// TestAnUnreachableCacheNeverFailsACall keeps the cache in a Redis that
// nobody runs: every call goes to the API and succeeds, and the cache
// counts the failures.
func TestAnUnreachableCacheNeverFailsACall(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: redistest.FreeAddr(t), MaxRetries: -1, DialTimeout: time.Second})
	defer rc.Close()
	backend, err := redisstore.NewCacheBackend(rc, redisstore.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := cachedEnv(t, testenv.Config{}, cache.Config{Backend: backend})
	args := map[string]any{"search": "coffee", "limit": 2}
	for range 2 {
		sc := callOK(t, e, "search_ads", args)
		if m := metering(t, sc); m["cached"] != nil || testenv.Num(t, m, "cost") != 2 {
			t.Errorf("metering = %s; want a paid call", testenv.MustJSON(m))
		}
	}
	if v := e.Box.CacheView(context.Background()); v.Errors < 1 || v.Hits != 0 || v.Misses != 2 {
		t.Errorf("cache view = %+v", v.Stats)
	}
}

// TestCachedAnswersLastUntilTheSandboxRefreshesItsData runs the cache
// against the sandbox's own GET /v1/system/freshness, both on one fake
// clock: answers are served until the sandbox's data turns over at
// NextDataRefresh, then the next call is the API's new answer.
func TestCachedAnswersLastUntilTheSandboxRefreshesItsData(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 8, 25, 5, 0, 0, 0, time.UTC)) // an hour before the data turns over
	sb := sandbox.New(sandbox.Config{Now: clk.Now, RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	t.Cleanup(ts.Close)
	var e *testenv.Env
	c, err := cache.New(cache.Config{Now: clk.Now, TTL: 24 * time.Hour, CheckEvery: time.Minute,
		Backend: cache.NewMemory(1 << 20).WithClock(clk.Now),
		Freshness: cache.FreshnessFunc(func(ctx context.Context) (cache.Freshness, error) {
			return tools.FreshnessSource(e.Client).Freshness(ctx)
		})})
	if err != nil {
		t.Fatal(err)
	}
	e = testenv.New(t, testenv.Config{Key: sb.NewWorkspace(sandbox.Credits{}), BaseURL: ts.URL, Clock: clk, Box: tools.Config{Cache: c}})
	args := map[string]any{"search": "coffee", "limit": 3, tools.ArgFields: []any{"lastSeenAt"}}
	first := callOK(t, e, "search_ads", args)
	ready := sandbox.LatestReadyDate(clk.Now()).Format(time.DateOnly)
	clk.Advance(59 * time.Minute) // 05:59, the same data
	hit := callOK(t, e, "search_ads", args)
	if m := metering(t, hit); m["cached"] != true {
		t.Fatalf("not served from the cache before the refresh: %s", testenv.MustJSON(m))
	}
	if notes := testenv.MustJSON(hit["notes"]); !strings.Contains(notes, "data as of "+ready) {
		t.Errorf("notes %s do not name the data's date %s", notes, ready)
	}
	spent := testenv.StatusOf(t, e.Ctrl).RunSpent
	clk.Advance(sandbox.NextDataRefresh(clk.Now()).Sub(clk.Now()) + time.Minute) // 06:01: refreshed, and checked
	after := callOK(t, e, "search_ads", args)
	if m := metering(t, after); m["cached"] != nil || testenv.StatusOf(t, e.Ctrl).RunSpent != spent+3 {
		t.Fatalf("after the refresh: %s, %d spent; want a new, paid call", testenv.MustJSON(m), testenv.StatusOf(t, e.Ctrl).RunSpent-spent)
	}
	if testenv.MustJSON(after["data"]) == testenv.MustJSON(first["data"]) {
		t.Errorf("the new snapshot's answer is the old one: %s", testenv.MustJSON(after["data"]))
	}
	if v := e.Box.CacheView(context.Background()); v.DataVersion != sandbox.LatestReadyDate(clk.Now()).Format(time.DateOnly) {
		t.Errorf("data version %q", v.DataVersion)
	}
}

// TestToolboxesMadeFromOneConfigShareCallsInFlight: a face's per-client
// toolboxes (NewToolbox of a Toolbox's Config, with a budget of their
// own) make one API request for identical calls made at the same time.
func TestToolboxesMadeFromOneConfigShareCallsInFlight(t *testing.T) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	g, ts := newGate(t, sb, "/v1/ads")
	cl, _ := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(sb.NewWorkspace(sandbox.Credits{})))
	first, err := tools.NewToolbox(tools.Config{Catalogue: testenv.BuiltIn(), Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	cfg := first.Config()
	cfg.Budget, _ = budget.New(budget.Config{MaxCredits: 50})
	second, err := tools.NewToolbox(cfg)
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"search": "coffee", "limit": 3}
	out := make(chan *tools.Result, 2)
	go func() { out <- first.Call(context.Background(), "search_ads", args) }()
	waitUntil(t, "the first call at the API", func() bool { return g.arrived.Load() == 1 })
	go func() { out <- second.Call(context.Background(), "search_ads", args) }()
	waitUntil(t, "the second toolbox's caller to wait", func() bool { return first.CacheView(context.Background()).Waiting == 1 })
	g.release()
	for range 2 {
		if r := <-out; r.IsError || countData(r) != 3 {
			t.Fatalf("a caller got %s", r.JSON())
		}
	}
	if g.arrived.Load() != 1 {
		t.Errorf("%d API requests for two identical calls at once", g.arrived.Load())
	}
}

// TestACallerDoesNotTakeAnotherCallersDecline has the first of two
// identical calls wait for its user's approval and be declined: the
// second caller, who needs no approval, joined it meanwhile and makes
// its own request rather than share a decline that was not its own.
func TestACallerDoesNotTakeAnotherCallersDecline(t *testing.T) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	g, ts := newGate(t, sb, "/v1/ads")
	g.release()
	cl, _ := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(sb.NewWorkspace(sandbox.Credits{})))
	box, err := tools.NewToolbox(tools.Config{Catalogue: testenv.BuiltIn(), Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"search": "coffee", "limit": 10}
	asked, answer := make(chan struct{}), make(chan struct{})
	ctx := tools.WithApproval(context.Background(), tools.Approval{Above: 5, Approver: tools.ApproverFunc(
		func(ctx context.Context, q tools.SpendQuestion) error {
			close(asked)
			<-answer
			return q.Decline(tools.DeclinedByUser, "")
		})})
	first := make(chan *tools.Result, 1)
	go func() { first <- box.Call(ctx, "search_ads", args) }()
	<-asked
	second := make(chan *tools.Result, 1)
	go func() { second <- box.Call(context.Background(), "search_ads", args) }()
	waitUntil(t, "the second caller to wait", func() bool { return box.CacheView(context.Background()).Waiting == 1 })
	close(answer)
	if r := <-first; !r.IsError || r.Advice.Code != tools.CodeSpendDeclined {
		t.Fatalf("the declined caller got %s", r.JSON())
	}
	r := <-second
	if r.IsError || countData(r) != 10 {
		t.Fatalf("the caller that needed no approval got %s", r.JSON())
	}
	if r.Structured.(*tools.Success).Metering.Shared || g.arrived.Load() != 1 {
		t.Errorf("shared %v, %d requests; want its own request, the only one", r.Structured.(*tools.Success).Metering.Shared, g.arrived.Load())
	}
}

// TestAnAnswerFittedToOneBudgetIsNotHandedToAnother shares a call in
// flight between two toolboxes of one Config with their own budgets: the
// first had 4 credits left and asked for 4 rows of 10, so the second,
// with room for all 10, makes its own request; with the same budget it
// shares the fitted answer.
func TestAnAnswerFittedToOneBudgetIsNotHandedToAnother(t *testing.T) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	g, ts := newGate(t, sb, "/v1/ads")
	cl, _ := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(sb.NewWorkspace(sandbox.Credits{})))
	small, _ := budget.New(budget.Config{MaxCredits: 4})
	first, err := tools.NewToolbox(tools.Config{Catalogue: testenv.BuiltIn(), Client: cl, Budget: small})
	if err != nil {
		t.Fatal(err)
	}
	cfg := first.Config()
	cfg.Budget, _ = budget.New(budget.Config{MaxCredits: 1000})
	second, err := tools.NewToolbox(cfg)
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"search": "coffee", "limit": 10}
	out1, out2 := make(chan *tools.Result, 1), make(chan *tools.Result, 1)
	go func() { out1 <- first.Call(context.Background(), "search_ads", args) }()
	waitUntil(t, "the fitted call at the API", func() bool { return g.arrived.Load() == 1 })
	go func() { out2 <- second.Call(context.Background(), "search_ads", args) }()
	waitUntil(t, "the second toolbox's caller to wait", func() bool { return first.CacheView(context.Background()).Waiting == 1 })
	g.release()
	if r := <-out1; r.IsError || countData(r) != 4 {
		t.Fatalf("the caller with 4 credits got %s", r.JSON())
	}
	r := <-out2
	if r.IsError || countData(r) != 10 || r.Structured.(*tools.Success).Metering.Shared {
		t.Fatalf("the caller with room for 10 rows got %s", r.JSON())
	}
	if g.arrived.Load() != 2 {
		t.Errorf("%d API requests, want the fitted one and the full one", g.arrived.Load())
	}
}
