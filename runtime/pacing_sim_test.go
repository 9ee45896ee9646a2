package runtime_test

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
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
	headers  sandbox.RateLimitHeaders        // the sandbox's spelling (X-RateLimit by default)
	jitter   float64                         // each way takes latency/2 × (1 − jitter/2 + jitter·U), U uniform in [0, 1)
	seed     uint64
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
	done   int64
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
	sb := sandbox.New(sandbox.Config{Now: func() time.Time { return now }, RateLimit: sandbox.RateLimit{PerSecond: c.rate, Burst: c.burst, Headers: c.headers}})
	var p runtime.Pace
	if c.pace != nil {
		c.pace(&p)
	}
	policy := runtime.DefaultRetryPolicy()
	rng := rand.New(rand.NewPCG(c.seed, 1))
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
				push(&simEvent{at: d.At, caller: e.caller, kind: 1, seq: d.Seq, done: d.Done})
			} else {
				push(&simEvent{at: d.At, caller: e.caller})
			}
		case 1:
			res.requests++
			up, down := c.latency/2, c.latency/2
			if c.jitter > 0 {
				up = time.Duration(float64(up) * (1 - c.jitter/2 + c.jitter*rng.Float64()))
				down = time.Duration(float64(down) * (1 - c.jitter/2 + c.jitter*rng.Float64()))
			}
			now = e.at.Add(up)
			req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
			w := httptest.NewRecorder()
			sb.ServeHTTP(w, req)
			h := w.Result().Header
			if c.spelling != nil {
				h = c.spelling(h)
			}
			push(&simEvent{at: now.Add(down), caller: e.caller, kind: 2, seq: e.seq, done: e.done, sent: e.at, status: w.Code, header: h})
		case 2:
			o := runtime.Observation{Seq: e.seq, Done: e.done, Sent: e.sent, Received: now, Status: e.status, Limit: runtime.ParseRateLimit(e.header, now)}
			if e.status == http.StatusTooManyRequests {
				res.rejected++
				o.RetryAfter, _ = policy.Decide(runtime.Outcome{Status: 429, Header: e.header}, now, func() float64 { return 0.5 })
			}
			p.Observe(o)
			if simTrace {
				t.Logf("%8.3f answer seq %d sent %.3f status %d rem %v -> rate %.2f min %.2f max %.2f next %.3f wake %.3f",
					now.Sub(epoch).Seconds(), e.seq, e.sent.Sub(epoch).Seconds(), e.status, o.Limit.Remaining, p.Rate, p.RateMin, p.RateMax, p.Next.Sub(epoch).Seconds(), p.WakeAt.Sub(epoch).Seconds())
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

// simSeeds runs c with seeds 0 to n−1 and returns the worst share of the
// rate, the highest share of requests answered 429, and whether a run
// learnt a rate above the server's.
func simSeeds(t *testing.T, c simConfig, n int) (worst, most429 float64, above bool) {
	t.Helper()
	worst = 1
	for seed := range uint64(n) {
		c.seed = seed
		r := simulate(t, c)
		if r.calls != c.calls {
			t.Errorf("%+v: %d calls done; want %d", c, r.calls, c.calls)
		}
		worst = min(worst, r.fraction(c))
		most429 = max(most429, float64(r.rejected)/float64(r.requests))
		above = above || r.pace.Rate > c.rate*1.01 && r.pace.Headers
	}
	return worst, most429, above
}

// TestPacingLearnsFrom429s: buckets sending no rate-limit headers, only
// Retry-After on a 429, 16 callers for a minute of calls, latencies up
// to 50 ms varying by ±50 %, three seeds. Ramped up by in-flight count
// until the first 429, then paced by what 429s teach: at least 85 % of
// the rate (measured 88.7–97 %) and at most 3.5 % of requests answered
// 429 (measured 0.2–3.3 %). Before: 58–96 % of the rate over 20 s with
// 1–13 % answered 429.
func TestPacingLearnsFrom429s(t *testing.T) {
	t.Parallel()
	for _, c := range []simConfig{
		{rate: 10, burst: 2, latency: time.Millisecond},
		{rate: 10, burst: 2, latency: 50 * time.Millisecond},
		{rate: 20, burst: 2, latency: 10 * time.Millisecond},
		{rate: 10, burst: 10, latency: 10 * time.Millisecond},
		{rate: 50, burst: 5, latency: 10 * time.Millisecond},
	} {
		c.headers, c.jitter, c.callers, c.calls = sandbox.HeadersNone, 1, 16, int(60*c.rate)
		worst, most429, _ := simSeeds(t, c, 3)
		name := fmt.Sprintf("%g/s burst %d, %v", c.rate, c.burst, c.latency)
		t.Logf("%s without headers: at least %.1f %% of the rate, at most %.1f %% answered 429", name, 100*worst, 100*most429)
		if worst < 0.85 || most429 > 0.035 {
			t.Errorf("%s without headers: %.1f %% of the rate, %.1f %% answered 429; want at least 85 %% and at most 3.5 %%", name, 100*worst, 100*most429)
		}
	}
}

// TestFirstRequestsWithoutHeadersArePaced: the first 16 calls of 16
// callers to a server that sends no rate-limit headers (10/s, burst 2)
// do not all go at once after the first answer (before: 14 of them were
// answered 429).
func TestFirstRequestsWithoutHeadersArePaced(t *testing.T) {
	t.Parallel()
	for _, lat := range []time.Duration{time.Millisecond, 50 * time.Millisecond} {
		c := simConfig{rate: 10, burst: 2, callers: 16, calls: 16, latency: lat, jitter: 1, headers: sandbox.HeadersNone}
		r := simulate(t, c)
		t.Logf("latency %v: %d requests for the first 16 calls, %d answered 429", lat, r.requests, r.rejected)
		if r.rejected > 3 {
			t.Errorf("latency %v: %d of the first %d requests answered 429; want at most 3", lat, r.rejected, r.requests)
		}
	}
}

// TestPacingWithVaryingLatency: each way of every request takes from
// half to one and a half times its share of the latency, so answers
// arrive out of the server's order and their Remaining out of date by a
// varying number of requests. The bounds allow for it: no rate above the
// server's, under 1 % answered 429, at least 90 % of the rate (before:
// 10/s with burst 10 at 50 ms had 6 % answered 429; 20/s with burst 2
// at 10 ms ran at 85 %). With the IETF headers, whose policy rounds the
// window up to whole seconds (q=2;w=1 for 10/s), the readings take the
// rate above the policy's (before: 39 % of the rate).
func TestPacingWithVaryingLatency(t *testing.T) {
	t.Parallel()
	for _, c := range []simConfig{
		{rate: 20, burst: 2, callers: 16, calls: 400, latency: 10 * time.Millisecond},
		{rate: 20, burst: 2, callers: 16, calls: 400, latency: 50 * time.Millisecond},
		{rate: 10, burst: 10, callers: 16, calls: 200, latency: 50 * time.Millisecond},
		{rate: 10, burst: 2, callers: 16, calls: 200, latency: 50 * time.Millisecond},
		{rate: 50, burst: 5, callers: 16, calls: 1000, latency: 50 * time.Millisecond},
		{rate: 10, burst: 2, callers: 16, calls: 200, latency: time.Millisecond, headers: sandbox.HeadersIETF},
		{rate: 20, burst: 2, callers: 16, calls: 400, latency: 10 * time.Millisecond, headers: sandbox.HeadersIETF},
	} {
		c.jitter = 1
		worst, most429, above := simSeeds(t, c, 4)
		name := fmt.Sprintf("%g/s burst %d, %v, headers %d", c.rate, c.burst, c.latency, c.headers)
		t.Logf("%s: at least %.1f %% of the rate, at most %.2f %% answered 429", name, 100*worst, 100*most429)
		if worst < 0.9 || most429 >= 0.01 || above {
			t.Errorf("%s: %.1f %% of the rate, %.2f %% answered 429, rate above the server's %v; want at least 90 %%, under 1 %%, no",
				name, 100*worst, 100*most429, above)
		}
	}
}
