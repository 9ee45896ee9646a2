package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

var epoch = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

// newRedis returns a client of the test's Redis (one per "process").
func newRedis(t *testing.T, url string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newPacing(t *testing.T, c redis.UniversalClient, name string) *redisstore.Pacing {
	t.Helper()
	p, err := redisstore.NewPacing(c, name, redisstore.PacingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPacingIsShared: what one process learns (a 429's wake-up time, the
// bucket) the other process's state shows.
func TestPacingIsShared(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	a, b := newPacing(t, newRedis(t, url), "team"), newPacing(t, newRedis(t, url), "team")
	ctx := context.Background()
	var d runtime.Decision
	if _, err := a.Update(ctx, func(p *runtime.Pace) { d = p.Reserve(epoch) }); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Update(ctx, func(p *runtime.Pace) {
		p.Observe(runtime.Observation{Seq: d.Seq, Sent: epoch, Received: epoch, Status: 429, RetryAfter: 3 * time.Second,
			Limit: runtime.RateLimit{Limit: runtime.Known(2), Remaining: runtime.Known(0), Spelling: runtime.SpellingX}})
	}); err != nil {
		t.Fatal(err)
	}
	var got runtime.Decision
	p, err := b.Update(ctx, func(p *runtime.Pace) { got = p.Reserve(epoch.Add(time.Second)) })
	if err != nil {
		t.Fatal(err)
	}
	if got.Reserved || !got.At.Equal(epoch.Add(3*time.Second)) || p.Burst != 2 {
		t.Errorf("the other process: %+v, burst %d; want to wait for the shared wake-up at +3s, burst 2", got, p.Burst)
	}
	other := newPacing(t, newRedis(t, url), "another-key")
	if p, _ := other.Update(ctx, func(*runtime.Pace) {}); p.Seen {
		t.Error("a state of another name is not fresh")
	}
}

// TestPacingUpdatesAreAtomic: two processes, eight goroutines each,
// taking slots of an unpaced state: none is lost.
func TestPacingUpdatesAreAtomic(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	states := []*redisstore.Pacing{newPacing(t, newRedis(t, url), "k"), newPacing(t, newRedis(t, url), "k")}
	ctx := context.Background()
	// A server whose headers gave no rate yet: every Reserve takes a slot.
	if _, err := states[0].Update(ctx, func(p *runtime.Pace) { p.Seen, p.Headers = true, true }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		s := states[i%2]
		wg.Go(func() {
			for range 25 {
				if _, err := s.Update(ctx, func(p *runtime.Pace) { p.Reserve(epoch) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	p, err := states[1].Update(ctx, func(*runtime.Pace) {})
	if err != nil || p.Seq != 400 {
		t.Errorf("Seq = %d (%v); want 400 slots taken", p.Seq, err)
	}
}

// TestTwoClientsShareThePace: two clients (two processes) on one key and
// one Redis, against a sandbox of one request per 8 s. What the first
// learns makes the second wait its turn instead of being refused.
func TestTwoClientsShareThePace(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	clk := fakeclock.New(epoch)
	sb := sandbox.New(sandbox.Config{Now: clk.Now, RateLimit: sandbox.RateLimit{PerSecond: 0.125, Burst: 1}})
	ts := httptest.NewServer(sb)
	t.Cleanup(ts.Close)
	var statuses []int
	var mu sync.Mutex
	obs := runtime.ObserverFuncs{Response: func(_ context.Context, _ *runtime.Request, status int, _ runtime.Metering) {
		mu.Lock()
		defer mu.Unlock()
		statuses = append(statuses, status)
	}}
	client := func() *runtime.Client {
		c, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithHTTPClient(ts.Client()), runtime.WithAPIKey(sandbox.DemoKey),
			runtime.WithClock(clk), runtime.WithObserver(obs), runtime.WithPacing(newPacing(t, newRedis(t, url), "demo")))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := client(), client()
	for i, c := range []*runtime.Client{a, b, a, b} {
		if _, err := c.Do(context.Background(), &runtime.Request{Method: http.MethodGet, Path: "/v1/me"}); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d answered %d; want every call paced, none refused", i+1, s)
		}
	}
	if got := clk.Sleeps(); len(got) != 3 {
		t.Errorf("slept %v; want three waits of about 8s, one before each later call", got)
	}
}

// TestPacingRedisDown: with Redis gone, Update fails with an error that
// names the key; the client then paces the process alone (runtime).
func TestPacingRedisDown(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: redistest.FreeAddr(t), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	s := newPacing(t, c, "down")
	_, err := s.Update(context.Background(), func(*runtime.Pace) {})
	if err == nil || errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("Update against no Redis: %v; want a connection error", err)
	}
	if want := s.Key(); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the key %q", err, want)
	}
}

func TestNewPacingRejectsBadNames(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = c.Close() })
	for _, name := range []string{"", "has space", "{tag}"} {
		if _, err := redisstore.NewPacing(c, name, redisstore.PacingOptions{}); !errors.Is(err, redisstore.ErrInvalidPacingName) {
			t.Errorf("NewPacing(%q): %v; want ErrInvalidPacingName", name, err)
		}
	}
}
