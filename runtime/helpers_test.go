package runtime_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// epoch is the fake clocks' starting time: a whole second, so that an
// HTTP-date Retry-After converts to an exact wait.
var epoch = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

// fakeClock is the shared test clock: Sleep records, advances and
// returns at once (or blocks after Block).
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New(epoch) }

// observed is one ObserveResponse call.
type observed struct {
	op       string
	status   int
	metering runtime.Metering
}

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu        sync.Mutex
	responses []observed
	waits     []runtime.Wait
}

func (r *recorder) ObserveResponse(_ context.Context, req *runtime.Request, status int, m runtime.Metering) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.responses = append(r.responses, observed{op: req.Operation, status: status, metering: m})
}

func (r *recorder) ObserveWait(_ context.Context, _ *runtime.Request, w runtime.Wait) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, w)
}

func (r *recorder) Responses() []observed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.responses)
}

func (r *recorder) Waits() []runtime.Wait {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

func (r *recorder) Statuses() []int {
	var out []int
	for _, o := range r.Responses() {
		out = append(out, o.status)
	}
	return out
}

// env is a sandbox served over real HTTP, with a fake clock shared by the
// sandbox and the clients, and a log of the escaped paths the server got.
type env struct {
	t     *testing.T
	sb    *sandbox.Server
	ts    *httptest.Server
	clock *fakeClock
	obs   *recorder

	mu    sync.Mutex
	paths []string // escaped path and raw query of every request received
}

// newEnv starts a sandbox. Unless cfg says otherwise its clock is the fake
// clock and rate limiting is off.
func newEnv(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	e := &env{t: t, clock: newFakeClock(), obs: &recorder{}}
	if cfg.Now == nil {
		cfg.Now = e.clock.Now
	}
	if cfg.RateLimit == (sandbox.RateLimit{}) {
		cfg.RateLimit.Disabled = true
	}
	e.sb = sandbox.New(cfg)
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			p += "?" + r.URL.RawQuery
		}
		e.mu.Lock()
		e.paths = append(e.paths, p)
		e.mu.Unlock()
		e.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(e.ts.Close)
	return e
}

// Paths returns the escaped paths (with query) the server received.
func (e *env) Paths() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.paths)
}

// client returns a Client for the sandbox: the demo key, the fake clock,
// a constant jitter of 0.5 and the env's recorder. opts come last and so
// override any of these.
func (e *env) client(opts ...runtime.Option) *runtime.Client {
	e.t.Helper()
	return newClient(e.t, e.ts, e.clock, append([]runtime.Option{
		runtime.WithAPIKey(sandbox.DemoKey),
		runtime.WithObserver(e.obs),
	}, opts...)...)
}

// newClient returns a client of ts with the fake clock and a jitter of 0.5.
func newClient(t *testing.T, ts *httptest.Server, clk runtime.Clock, opts ...runtime.Option) *runtime.Client {
	t.Helper()
	c, err := runtime.New(append([]runtime.Option{
		runtime.WithBaseURL(ts.URL),
		runtime.WithHTTPClient(ts.Client()),
		runtime.WithClock(clk),
		runtime.WithRand(constant(0.5)),
	}, opts...)...)
	if err != nil {
		t.Fatalf("runtime.New: %v", err)
	}
	return c
}

// freshConns is an HTTP client of ts that never reuses a connection. A
// dropped connection is then always a fresh one, which net/http does not
// retry behind the runtime's back (it silently retries a GET whose reused
// keep-alive connection was closed), so request counts stay exact.
func freshConns(ts *httptest.Server) runtime.Option {
	tr := ts.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	return runtime.WithHTTPClient(&http.Client{Transport: tr})
}

func constant(v float64) func() float64 { return func() float64 { return v } }

// plainServer serves h and counts the requests it got.
func plainServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// reply returns a handler that always answers status, headers and body.
func reply(status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// get is a GET request of path.
func get(path string) *runtime.Request {
	return &runtime.Request{Method: http.MethodGet, Path: path, Operation: opName(path)}
}

func opName(path string) string {
	return "op:" + strings.TrimPrefix(path, "/v1/")
}

// mustAPIError returns err as an *APIError or fails the test.
func mustAPIError(t *testing.T, err error) *runtime.APIError {
	t.Helper()
	if err == nil {
		t.Fatal("Do succeeded; want an *APIError")
	}
	e, ok := runtime.AsAPIError(err)
	if !ok {
		t.Fatalf("error %T (%v) is not an *APIError", err, err)
	}
	return e
}
