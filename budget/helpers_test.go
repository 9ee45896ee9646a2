package budget_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// sandboxNow is the sandbox's (and most controllers') "now": the billing
// period then ends on 2026-12-01.
var sandboxNow = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

var sandboxRefill = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// fakeClock is the shared settable test clock.
type fakeClock = fakeclock.Clock

func newClock() *fakeClock { return fakeclock.New(sandboxNow) }

// noSleep is a runtime.Clock whose waits end at once, so retries in tests
// never really sleep.
type noSleep struct{ now func() time.Time }

func (c noSleep) Now() time.Time { return c.now() }

func (noSleep) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// env is a sandbox served over real HTTP, with a fixed clock and no rate
// limit.
type env struct {
	t     *testing.T
	srv   *sandbox.Server
	url   string
	clock *fakeClock // the sandbox's clock
}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, nil)
}

// newEnvWith starts a sandbox; wrap, if not nil, wraps its handler.
func newEnvWith(t *testing.T, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	clock := newClock()
	srv := sandbox.New(sandbox.Config{Now: clock.Now, RateLimit: sandbox.RateLimit{Disabled: true}})
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &env{t: t, srv: srv, url: ts.URL, clock: clock}
}

// client returns a runtime client for key that reports to observers.
func (e *env) client(key string, observers ...runtime.Observer) *runtime.Client {
	e.t.Helper()
	opts := []runtime.Option{
		// Keep a connection per goroutine alive: the default pool of two
		// idle connections makes 16 workers reconnect all the time.
		runtime.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}),
		runtime.WithBaseURL(e.url),
		runtime.WithAPIKey(key),
		runtime.WithClock(noSleep{now: e.clock.Now}),
		runtime.WithRand(func() float64 { return 0.5 }),
	}
	for _, o := range observers {
		opts = append(opts, runtime.WithObserver(o))
	}
	c, err := runtime.New(opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// total is a workspace's remaining credits.
func (e *env) total(key string) int64 {
	c := e.srv.Credits(key)
	return c.Recurring + c.Topup
}

// adIDs fetches n ad ids with a throwaway workspace, so that the
// workspace under test is not charged for them.
func (e *env) adIDs(n int) []string {
	e.t.Helper()
	c := e.client(e.srv.NewWorkspace(sandbox.Credits{}))
	resp, err := c.Do(context.Background(), &runtime.Request{Path: "/v1/ads",
		Query: url.Values{"search": {"the"}, "limit": {itoa(int64(n))}}})
	if err != nil {
		e.t.Fatal(err)
	}
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.Data, &rows); err != nil || len(rows) != n {
		e.t.Fatalf("want %d ad ids, got %d (%v)", n, len(rows), err)
	}
	ids := make([]string, n)
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// statusCounter is a second observer that counts responses by status and
// sums the costs they report.
type statusCounter struct {
	n402  atomic.Int64
	n2xx  atomic.Int64
	costs atomic.Int64
}

func (s *statusCounter) ObserveResponse(_ context.Context, _ *runtime.Request, status int, m runtime.Metering) {
	if status == http.StatusPaymentRequired {
		s.n402.Add(1)
	}
	if status >= 200 && status < 300 {
		s.n2xx.Add(1)
	}
	if c := m.Cost(); c.Present {
		s.costs.Add(c.Value)
	}
}

func (s *statusCounter) ObserveWait(context.Context, *runtime.Request, runtime.Wait) {}

// fakeUsage is a UsageSource with a settable balance; it makes no HTTP.
type fakeUsage struct {
	mu      sync.Mutex
	balance int64
	refill  string // billing.currentPeriodEnd; "" means unconfigured
	calls   int
	err     error
}

func (f *fakeUsage) set(balance int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.balance = balance
}

func (f *fakeUsage) Usage(context.Context) (*runtime.Usage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	u := &runtime.Usage{}
	u.Credits.TotalRemaining = f.balance
	if f.refill != "" {
		end := f.refill
		u.Billing.Configured = true
		u.Billing.CurrentPeriodEnd = &end
	}
	return u, nil
}

// newCtrl returns a controller; fix adjusts the config first.
func newCtrl(t testing.TB, cfg budget.Config) *budget.Controller {
	t.Helper()
	c, err := budget.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withBalance returns a controller whose balance is known to be balance,
// learnt through a fake GET /v1/usage.
func withBalance(t testing.TB, cfg budget.Config, balance int64) (*budget.Controller, *fakeUsage) {
	t.Helper()
	fu := &fakeUsage{balance: balance, refill: "2026-12-01T00:00:00.000Z"}
	cfg.Usage = fu
	c := newCtrl(t, cfg)
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, fu
}

// settle finishes r as a 2xx response with metering m would.
func settle(t testing.TB, r *budget.Reservation, m runtime.Metering) {
	t.Helper()
	if err := r.Finish(context.Background(), &runtime.Response{Status: 200, Metering: m}, nil); err != nil {
		t.Fatal(err)
	}
}

// status reads c's status; a store error fails t (without stopping it,
// so that workers may call it).
func status(t testing.TB, c *budget.Controller) budget.Status {
	t.Helper()
	st, err := c.Status(context.Background())
	if err != nil {
		t.Errorf("Status: %v", err)
	}
	return st
}

// mustHalt asserts err is a *HaltError with code.
func mustHalt(t *testing.T, err error, code string) *budget.HaltError {
	t.Helper()
	h, ok := budget.AsHalt(err)
	if !ok {
		t.Fatalf("want a halt %s, got %v", code, err)
	}
	if h.Code != code {
		t.Fatalf("halt code = %s, want %s (%v)", h.Code, code, h)
	}
	return h
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func isStatus(err error, status int) bool {
	var ae *runtime.APIError
	return errors.As(err, &ae) && ae.Status == status
}

func fmtPtr(p *int64) string {
	if p == nil {
		return "unknown"
	}
	return itoa(*p)
}
