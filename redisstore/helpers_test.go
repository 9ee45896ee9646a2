package redisstore_test

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

var sandboxNow = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

// testName is a budget name of t's own.
func testName(t testing.TB) string {
	var b [4]byte
	_, _ = crand.Read(b[:])
	return "t-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + "-" + hex.EncodeToString(b[:])
}

// fastOptions are store options with short leases, so that tests about
// leases and rejoining take a fraction of a second.
func fastOptions() redisstore.BudgetOptions {
	return redisstore.BudgetOptions{LeaseTTL: 600 * time.Millisecond, Timeout: 250 * time.Millisecond, CloseTimeout: 2 * time.Second}
}

// open opens a store ("a process") of the budget name at url; t's
// cleanup closes it.
func open(t testing.TB, url, name string, opts redisstore.BudgetOptions) *redisstore.Budget {
	t.Helper()
	s, err := redisstore.OpenBudget(url, name, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rawClient is a plain client to look at the keys; closed when t ends.
func rawClient(t testing.TB, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// api is a sandbox served over real HTTP with a fixed clock and no rate
// limit, with one workspace of credits.
type api struct {
	srv *sandbox.Server
	url string
	key string
}

func newAPI(t testing.TB, credits int64) *api {
	t.Helper()
	srv := sandbox.New(sandbox.Config{Now: func() time.Time { return sandboxNow }, RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &api{srv: srv, url: ts.URL, key: srv.NewWorkspace(sandbox.Credits{Recurring: credits})}
}

// client is a runtime client of the workspace (with a key of its own,
// as another process would have) whose retries never sleep.
func (a *api) client(t testing.TB, observers ...runtime.Observer) *runtime.Client {
	t.Helper()
	opts := []runtime.Option{
		runtime.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}),
		runtime.WithBaseURL(a.url),
		runtime.WithAPIKey(a.srv.NewKey(a.key, sandbox.AccessFull)),
		runtime.WithClock(noSleep{}),
		runtime.WithRand(func() float64 { return 0.5 }),
	}
	for _, o := range observers {
		opts = append(opts, runtime.WithObserver(o))
	}
	c, err := runtime.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// spent is what the API charged the workspace.
func (a *api) spent() int64 { return a.srv.Spent(a.key) }

// noSleep is a runtime.Clock whose waits end at once.
type noSleep struct{}

func (noSleep) Now() time.Time { return sandboxNow }

func (noSleep) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// seedFor returns the seed of a randomised test: REDISSTORE_SEED if set
// (to replay a failure), else the clock. It is logged either way.
func seedFor(t testing.TB) uint64 {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("REDISSTORE_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("REDISSTORE_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("random seed %d (replay with REDISSTORE_SEED=%d)", seed, seed)
	return seed
}

// waitFor polls cond every 5 ms until it holds, failing t after d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newCtrl(t testing.TB, cfg budget.Config) *budget.Controller {
	t.Helper()
	c, err := budget.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// redisServer is the test's own Redis, or a skip when it cannot have
// one it may kill (a Redis named by $TOLLGATE_TEST_REDIS_URL is shared).
func redisServer(t testing.TB) *redistest.Server {
	t.Helper()
	if os.Getenv(redistest.EnvURL) != "" {
		t.Skipf("fault tests need a redis-server of their own; unset %s", redistest.EnvURL)
	}
	return redistest.Start(t)
}
