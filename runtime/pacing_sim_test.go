package runtime_test

import (
	"container/heap"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// simConfig is one pacing simulation: callers that share one Pace make
// calls against the real sandbox handler, in virtual time (no sockets, no
// sleeps), the way Client.Do uses a Pace.
type simConfig struct {
	rate     float64
	burst    int
	callers  int
	calls    int
	latency  time.Duration // request to answer; the server acts half way
	pace     func(*runtime.Pace)
	spelling func(h http.Header) http.Header // rewrites the sandbox's headers
}

type simResult struct {
	calls, requests, rejected int
	elapsed                   time.Duration
	pace                      runtime.Pace
}

// fraction is the achieved rate over the allowed one: the calls made
// over what the server would have accepted in the same time (the burst,
// then rate per second).
func (r simResult) fraction(c simConfig) float64 {
	return float64(r.calls) / (float64(c.burst) + c.rate*r.elapsed.Seconds())
}

type simEvent struct {
	at     time.Time
	caller int
	kind   int // 0 ask, 1 send, 2 answer
	seq    int64
	sent   time.Time
	status int
	header http.Header
	order  int
}

type simQueue []*simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].order < q[j].order
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

var simTrace = os.Getenv("SIMTRACE") != ""

func simulate(t testing.TB, c simConfig) simResult {
	t.Helper()
	now := epoch
	sb := sandbox.New(sandbox.Config{Now: func() time.Time { return now }, RateLimit: sandbox.RateLimit{PerSecond: c.rate, Burst: c.burst}})
	var p runtime.Pace
	if c.pace != nil {
		c.pace(&p)
	}
	policy := runtime.DefaultRetryPolicy()
	q := &simQueue{}
	order := 0
	push := func(e *simEvent) { order++; e.order = order; heap.Push(q, e) }
	started, done := 0, 0
	var res simResult
	for i := range min(c.callers, c.calls) {
		push(&simEvent{at: now, caller: i})
		started++
	}
	for q.Len() > 0 {
		e := heap.Pop(q).(*simEvent)
		now = e.at
		switch e.kind {
		case 0:
			d := p.Reserve(now)
			if !d.At.After(now) && !d.Reserved {
				t.Fatalf("Reserve at %v asks to come back at once: %+v", now, d)
			}
			if simTrace {
				t.Logf("%8.3f ask caller %d -> reserved %v seq %d at %.3f (next %.3f)", now.Sub(epoch).Seconds(), e.caller, d.Reserved, d.Seq, d.At.Sub(epoch).Seconds(), p.Next.Sub(epoch).Seconds())
			}
			if d.Reserved {
				push(&simEvent{at: d.At, caller: e.caller, kind: 1, seq: d.Seq})
			} else {
				push(&simEvent{at: d.At, caller: e.caller})
			}
		case 1:
			res.requests++
			now = e.at.Add(c.latency / 2)
			req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
			w := httptest.NewRecorder()
			sb.ServeHTTP(w, req)
			h := w.Result().Header
			if c.spelling != nil {
				h = c.spelling(h)
			}
			push(&simEvent{at: e.at.Add(c.latency), caller: e.caller, kind: 2, seq: e.seq, sent: e.at, status: w.Code, header: h})
		case 2:
			o := runtime.Observation{Seq: e.seq, Sent: e.sent, Received: now, Status: e.status, Limit: runtime.ParseRateLimit(e.header, now)}
			if e.status == http.StatusTooManyRequests {
				res.rejected++
				o.RetryAfter, _ = policy.Decide(runtime.Outcome{Status: 429, Header: e.header}, now, func() float64 { return 0.5 })
			}
			p.Observe(o)
			if simTrace {
				t.Logf("%8.3f answer seq %d sent %.3f status %d rem %v -> rate %.2f max %.2f next %.3f wake %.3f",
					now.Sub(epoch).Seconds(), e.seq, e.sent.Sub(epoch).Seconds(), e.status, o.Limit.Remaining, p.Rate, p.RateMax, p.Next.Sub(epoch).Seconds(), p.WakeAt.Sub(epoch).Seconds())
			}
			if e.status == http.StatusTooManyRequests {
				push(&simEvent{at: now, caller: e.caller}) // the retry asks again
				continue
			}
			done++
			if started < c.calls {
				started++
				push(&simEvent{at: now, caller: e.caller})
			}
		}
	}
	res.calls, res.elapsed, res.pace = done, now.Sub(epoch), p
	return res
}

// TestPacingFollowsTheSandbox is the pacing goal in virtual time: 16
// callers, 200 calls, a sandbox at 10 requests/s with burst 2 and nothing
// configured on the client. At least 95 % of the allowed rate, under 1 %
// of requests answered 429.
func TestPacingFollowsTheSandbox(t *testing.T) {
	t.Parallel()
	for _, lat := range []time.Duration{time.Millisecond, 20 * time.Millisecond, 150 * time.Millisecond} {
		c := simConfig{rate: 10, burst: 2, callers: 16, calls: 200, latency: lat}
		r := simulate(t, c)
		t.Logf("latency %v: %d calls in %v: %.1f %% of the rate, %d of %d requests 429; learnt rate %.2f (max %.2f)",
			lat, r.calls, r.elapsed, 100*r.fraction(c), r.rejected, r.requests, r.pace.Rate, r.pace.RateMax)
		if r.calls != c.calls {
			t.Errorf("latency %v: %d calls done; want %d", lat, r.calls, c.calls)
		}
		if f := r.fraction(c); f < 0.95 {
			t.Errorf("latency %v: %.1f %% of the allowed rate; want at least 95 %%", lat, 100*f)
		}
		if frac := float64(r.rejected) / float64(r.requests); frac >= 0.01 {
			t.Errorf("latency %v: %.1f %% of requests answered 429; want under 1 %%", lat, 100*frac)
		}
	}
}

// TestPacingFollowsOtherBuckets: the same in virtual time for other
// buckets, caller counts and latencies: no 429 at all, and most of the
// allowed rate once the first seconds are learnt.
func TestPacingFollowsOtherBuckets(t *testing.T) {
	t.Parallel()
	for _, c := range []simConfig{
		{rate: 20, burst: 40, callers: 16, calls: 400, latency: 5 * time.Millisecond}, // the sandbox's default
		{rate: 1, burst: 1, callers: 4, calls: 30, latency: 5 * time.Millisecond},
		{rate: 0.125, burst: 1, callers: 3, calls: 10, latency: 5 * time.Millisecond},
		{rate: 50, burst: 5, callers: 16, calls: 500, latency: 5 * time.Millisecond},
		{rate: 100, burst: 100, callers: 32, calls: 2000, latency: 30 * time.Millisecond},
		{rate: 5, burst: 10, callers: 16, calls: 200, latency: 80 * time.Millisecond},
		{rate: 10, burst: 2, callers: 2, calls: 200, latency: time.Millisecond},
		{rate: 10, burst: 2, callers: 64, calls: 400, latency: time.Millisecond},
	} {
		r := simulate(t, c)
		name := fmt.Sprintf("%g/s burst %d, %d callers, %v", c.rate, c.burst, c.callers, c.latency)
		t.Logf("%s: %.1f %% of the rate, %d of %d requests 429, learnt %.3f/s", name, 100*r.fraction(c), r.rejected, r.requests, r.pace.Rate)
		if r.rejected != 0 || r.fraction(c) < 0.9 || r.calls != c.calls {
			t.Errorf("%s: %d calls, %.1f %% of the rate, %d × 429; want %d, at least 90 %%, none", name, r.calls, 100*r.fraction(c), r.rejected, c.calls)
		}
		if r.pace.Rate > c.rate*1.01 {
			t.Errorf("%s: learnt rate %.3f above the server's", name, r.pace.Rate)
		}
	}
}
