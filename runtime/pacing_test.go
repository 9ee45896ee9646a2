package runtime_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tollgate-mcp/tollgate/internal/syncbuffer"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// knownPace is a Pace that has learnt a bucket of burst tokens at perSec.
func knownPace(perSec float64, burst int64) runtime.Pace {
	return runtime.Pace{Seen: true, Headers: true, Burst: burst, Rate: perSec, RateKnown: true}
}

func limitHeaders(limit, remaining int64) runtime.RateLimit {
	return runtime.RateLimit{Limit: runtime.Known(limit), Remaining: runtime.Known(remaining), Spelling: runtime.SpellingX}
}

// TestFirstRequestGoesAlone: before any answer, one request is a probe
// and the others wait for its answer.
func TestFirstRequestGoesAlone(t *testing.T) {
	t.Parallel()
	var p runtime.Pace
	first := p.Reserve(epoch)
	if !first.Reserved || !first.At.Equal(epoch) {
		t.Fatalf("first Reserve = %+v; want a slot now", first)
	}
	for i := range 15 {
		if d := p.Reserve(epoch); d.Reserved || !d.At.After(epoch) {
			t.Fatalf("caller %d before the first answer: %+v; want to wait", i+2, d)
		}
	}
	p.Observe(runtime.Observation{Seq: first.Seq, Sent: epoch, Received: epoch.Add(time.Millisecond), Status: 200, Limit: limitHeaders(2, 1)})
	now := epoch.Add(time.Millisecond)
	if d := p.Reserve(now); !d.Reserved {
		t.Errorf("after an answer with Remaining 1: %+v; want a slot", d)
	}
	if d := p.Reserve(now); d.Reserved {
		t.Errorf("with the bucket's last token taken: %+v; want to wait", d)
	}
}

// TestServerWithoutHeadersIsNotPaced: once an answer without rate-limit
// headers arrived, every caller goes at once.
func TestServerWithoutHeadersIsNotPaced(t *testing.T) {
	t.Parallel()
	var p runtime.Pace
	d := p.Reserve(epoch)
	p.Observe(runtime.Observation{Seq: d.Seq, Sent: epoch, Received: epoch, Status: 200})
	for i := range 50 {
		if d := p.Reserve(epoch); !d.Reserved || !d.At.Equal(epoch) {
			t.Fatalf("call %d: %+v; want a slot now", i, d)
		}
	}
}

// TestAfterA429CallersShareTheWakeUp: a 429 with Retry-After 1 s stops
// every caller until then, and from then on they go one by one at the
// server's pace (10/s here), not all at once.
func TestAfterA429CallersShareTheWakeUp(t *testing.T) {
	t.Parallel()
	p := knownPace(10, 2)
	d := p.Reserve(epoch)
	p.Observe(runtime.Observation{Seq: d.Seq, Sent: epoch, Received: epoch, Status: 429,
		Limit: limitHeaders(2, 0), RetryAfter: time.Second})
	wake := epoch.Add(time.Second)
	for i := range 16 {
		if d := p.Reserve(epoch.Add(time.Duration(i) * time.Millisecond)); d.Reserved || !d.At.Equal(wake) || d.Reason != runtime.CodeRateLimited {
			t.Fatalf("caller %d before the wake-up: %+v; want to wait until %v for rate_limited", i, d, wake)
		}
	}
	// Sixteen callers ask at every instant they are told; count the slots.
	var sent []time.Time
	now := wake
	for len(sent) < 16 {
		next := now.Add(time.Hour)
		for range 16 - len(sent) {
			d := p.Reserve(now)
			if d.Reserved {
				sent = append(sent, d.At)
				continue
			}
			if d.At.Before(next) {
				next = d.At
			}
		}
		now = next
	}
	if !sent[0].Equal(wake) {
		t.Errorf("first request after the wake-up at %v; want %v", sent[0], wake)
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap < 99*time.Millisecond {
			t.Errorf("requests %d and %d %v apart; want the server's 100ms", i-1, i, gap)
		}
	}
}

// TestRemainingCorrectsTheMirror: an answer showing spare tokens lets
// the next calls go at once; one showing fewer than believed holds them.
func TestRemainingCorrectsTheMirror(t *testing.T) {
	t.Parallel()
	p := knownPace(1, 10)
	for range 10 {
		if d := p.Reserve(epoch); !d.Reserved {
			t.Fatal("the mirror does not start full")
		}
	}
	if d := p.Reserve(epoch); d.Reserved {
		t.Fatal("the 11th call of a bucket of 10 went at once")
	}
	// The server says 5 are left after the 10th: there are spare tokens.
	p.Observe(runtime.Observation{Seq: 10, Sent: epoch, Received: epoch, Status: 200, Limit: limitHeaders(10, 5)})
	for i := range 5 {
		if d := p.Reserve(epoch); !d.Reserved {
			t.Fatalf("spare token %d not used", i+1)
		}
	}
	if d := p.Reserve(epoch); d.Reserved {
		t.Fatal("more than the spare tokens went")
	}

	q := knownPace(1, 10)
	q.Reserve(epoch)
	// Someone else emptied the bucket: nothing goes before a token is back.
	q.Observe(runtime.Observation{Seq: 1, Sent: epoch, Received: epoch, Status: 200, Limit: limitHeaders(10, 0)})
	if d := q.Reserve(epoch); d.Reserved || d.At.Sub(epoch) != time.Second {
		t.Errorf("after Remaining 0: %+v; want to wait 1s", d)
	}
}

// TestPolicyGivesTheRate: the IETF policy (q per w) is the rate.
func TestPolicyGivesTheRate(t *testing.T) {
	t.Parallel()
	var p runtime.Pace
	d := p.Reserve(epoch)
	p.Observe(runtime.Observation{Seq: d.Seq, Sent: epoch, Received: epoch, Status: 200, Limit: runtime.RateLimit{
		Limit: runtime.Known(4), Remaining: runtime.Known(3), Window: 2 * time.Second, Spelling: runtime.SpellingIETF}})
	if p.Rate != 2 || !p.RateKnown || p.Burst != 4 {
		t.Errorf("rate %v (known %v), burst %d; want 2/s from q=4;w=2, burst 4", p.Rate, p.RateKnown, p.Burst)
	}
}

// ietfBucket is an API of our own that limits like a token bucket on the
// test's clock and speaks only the IETF spelling.
func ietfBucket(t *testing.T, clk *fakeClock, perSec float64, burst int) (*httptest.Server, *[]int) {
	t.Helper()
	var mu sync.Mutex
	lim := rate.NewLimiter(rate.Limit(perSec), burst)
	var statuses []int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		now := clk.Now()
		ok := lim.AllowN(now, 1)
		tokens := lim.TokensAt(now)
		w.Header().Set("RateLimit-Policy", `"burst";q=`+strconv.Itoa(burst)+`;w=`+strconv.Itoa(int(float64(burst)/perSec)))
		w.Header().Set("RateLimit", `"burst";r=`+strconv.Itoa(int(tokens))+`;t=1`)
		if !ok {
			statuses = append(statuses, 429)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down"}}`))
			return
		}
		statuses = append(statuses, 200)
		_, _ = w.Write([]byte(`{"data":{}}`))
	}))
	t.Cleanup(ts.Close)
	return ts, &statuses
}

// TestPacesByTheIETFHeaders: against a server that speaks only
// RateLimit / RateLimit-Policy (2 per second, burst 2), ten calls go
// without a 429, the burst at once and the rest 0.5 s apart.
func TestPacesByTheIETFHeaders(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	ts, statuses := ietfBucket(t, clk, 2, 2)
	c := newClient(t, ts, clk)
	for i := range 10 {
		if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	for i, s := range *statuses {
		if s != 200 {
			t.Errorf("request %d answered %d", i+1, s)
		}
	}
	var total time.Duration
	for _, d := range clk.Sleeps() {
		total += d
	}
	if total != 4*time.Second {
		t.Errorf("waited %v in all (%v); want 4s: 8 calls after the burst at 2/s", total, clk.Sleeps())
	}
}

// TestUserLimiterNeverBurstsAboveTheServer: a --rate of 100/s with burst
// 50 is cut to the sandbox's bucket of 2 by the first answer.
func TestUserLimiterNeverBurstsAboveTheServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 10, Burst: 2}})
	lim := rate.NewLimiter(100, 50)
	c := e.client(runtime.WithLimiter(lim))
	if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
		t.Fatal(err)
	}
	if lim.Burst() != 2 {
		t.Errorf("limiter burst %d after the first answer; want the server's 2", lim.Burst())
	}
	if lim.Limit() > 100 {
		t.Errorf("limiter rate %v raised above the user's 100", lim.Limit())
	}
}

type failingPacing struct{}

func (failingPacing) Update(context.Context, func(*runtime.Pace)) (runtime.Pace, error) {
	return runtime.Pace{}, errors.New("redis: connection refused")
}

// TestPacingStateOutage: when the shared state fails, calls still go,
// paced by the process alone, and the outage is logged once.
func TestPacingStateOutage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 0.125, Burst: 1}})
	var logs syncbuffer.Buffer
	c := e.client(runtime.WithPacing(failingPacing{}), runtime.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for i := range 3 {
		resp, err := c.Do(context.Background(), get("/v1/me"))
		if err != nil || resp.Attempts != 1 {
			t.Fatalf("call %d: %v (%v); want success at once", i+1, err, resp)
		}
	}
	if n := strings.Count(logs.String(), "shared pacing state unavailable"); n != 1 {
		t.Errorf("outage logged %d times; want once:\n%s", n, logs.String())
	}
	if got := e.clock.Sleeps(); len(got) != 2 || got[0] != 8*time.Second {
		t.Errorf("slept %v; want two 8s waits paced by the process alone", got)
	}
}
