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

// TestServerWithoutHeadersRampsUp: once an answer without rate-limit
// headers arrived, and until a 429, callers are not paced by rate but
// may have no more requests in flight than one more than the answers
// accepted so far: sixteen callers start two, then four, ..., not
// sixteen at once, and one caller never waits.
func TestServerWithoutHeadersRampsUp(t *testing.T) {
	t.Parallel()
	var p runtime.Pace
	now := epoch
	for i := range 50 {
		d := p.Reserve(now)
		if !d.Reserved || !d.At.Equal(now) {
			t.Fatalf("sequential call %d: %+v; want a slot now", i, d)
		}
		p.Observe(runtime.Observation{Seq: d.Seq, Done: d.Done, Sent: now, Received: now.Add(time.Millisecond), Status: 200})
		now = now.Add(time.Millisecond)
	}
	var q runtime.Pace
	probe := q.Reserve(epoch)
	q.Observe(runtime.Observation{Seq: probe.Seq, Done: probe.Done, Sent: epoch, Received: epoch, Status: 200})
	for round, want := range []int{2, 4, 8, 16} {
		var out []runtime.Decision
		for range 16 {
			if d := q.Reserve(epoch); d.Reserved {
				out = append(out, d)
			} else if !d.At.After(epoch) || d.Reason != runtime.ReasonPacing {
				t.Fatalf("round %d: %+v; want to wait for pacing", round, d)
			}
		}
		if len(out) != want {
			t.Fatalf("round %d: %d requests at once; want %d", round, len(out), want)
		}
		for _, d := range out {
			q.Observe(runtime.Observation{Seq: d.Seq, Done: d.Done, Sent: epoch, Received: epoch, Status: 200})
		}
	}
}

// sixteenCallers has sixteen callers reserve from start on, each asking
// again at the instant it is told, and returns when each was let go, in
// order; reserved, when set, is told of every slot (to answer it).
func sixteenCallers(p *runtime.Pace, start time.Time, reserved func(d runtime.Decision, now time.Time)) []time.Time {
	var sent []time.Time
	now := start
	for len(sent) < 16 {
		next := now.Add(time.Hour)
		for range 16 - len(sent) {
			d := p.Reserve(now)
			if d.Reserved {
				sent = append(sent, now)
				if reserved != nil {
					reserved(d, now)
				}
				continue
			}
			if d.At.Before(next) {
				next = d.At
			}
		}
		now = next
	}
	return sent
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
	sent := sixteenCallers(&p, wake, nil)
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
	// Someone else emptied the bucket: nothing goes before a token is
	// back, and the pace slows down (the key is shared, or the rate was
	// wrong).
	q.Observe(runtime.Observation{Seq: 1, Sent: epoch, Received: epoch, Status: 200, Limit: limitHeaders(10, 0)})
	if d := q.Reserve(epoch); d.Reserved || d.At.Sub(epoch) < time.Second {
		t.Errorf("after Remaining 0: %+v; want to wait at least 1s", d)
	}
	if q.Rate >= 1 {
		t.Errorf("pace %v/s after the server was found behind the mirror; want it slowed below 1/s", q.Rate)
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
	return bucketServer(t, clk, perSec, burst, true)
}

// bucketServer is a token bucket on the test's clock that states its
// policy in the IETF spelling and, when remaining is set, what is left.
func bucketServer(t *testing.T, clk *fakeClock, perSec float64, burst int, remaining bool) (*httptest.Server, *[]int) {
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
		if remaining {
			w.Header().Set("RateLimit", `"burst";r=`+strconv.Itoa(int(tokens))+`;t=1`)
		}
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

// TestServerWithoutHeadersIsPacedAfterA429: a server that sends no
// rate-limit headers is not paced until it answers 429; from its
// wake-up on, the callers go one at a time at the rate it evidently
// allowed, not all at once.
func TestServerWithoutHeadersIsPacedAfterA429(t *testing.T) {
	t.Parallel()
	var p runtime.Pace
	probe := p.Reserve(epoch)
	p.Observe(runtime.Observation{Seq: probe.Seq, Done: probe.Done, Sent: epoch, Received: epoch, Status: 200})
	a, b := p.Reserve(epoch), p.Reserve(epoch)
	if !a.Reserved || !b.Reserved {
		t.Fatalf("after one accepted answer: %+v, %+v; want two at once", a, b)
	}
	p.Observe(runtime.Observation{Seq: a.Seq, Done: a.Done, Sent: epoch, Received: epoch, Status: 200})
	p.Observe(runtime.Observation{Seq: b.Seq, Done: b.Done, Sent: epoch, Received: epoch, Status: 429, RetryAfter: time.Second})
	wake := epoch.Add(time.Second)
	if d := p.Reserve(epoch.Add(time.Millisecond)); d.Reserved || !d.At.Equal(wake) || d.Reason != runtime.CodeRateLimited {
		t.Fatalf("before the wake-up: %+v; want to wait until %v for rate_limited", d, wake)
	}
	// Sixteen callers from the wake-up on, every answer accepted at once.
	sent := sixteenCallers(&p, wake, func(d runtime.Decision, now time.Time) {
		p.Observe(runtime.Observation{Seq: d.Seq, Done: d.Done, Sent: now, Received: now, Status: 200})
	})
	if !sent[0].Equal(wake) {
		t.Errorf("first request after the wake-up at %v; want %v", sent[0], wake)
	}
	// Two accepted requests, then a wait of 1 s: 2/s from then on,
	// growing while callers wait (slow start, by slowStartGrowth an
	// answer).
	if gap := sent[1].Sub(sent[0]); gap < 400*time.Millisecond || gap > 600*time.Millisecond {
		t.Errorf("first two requests after the wake-up %v apart; want about 500ms (2/s)", gap)
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap <= 0 || gap > sent[i-1].Sub(sent[max(0, i-2)]) && i > 1 {
			t.Fatalf("requests %d and %d %v apart after the wake-up; want them spaced, closer and closer", i-1, i, gap)
		}
	}
	if span := sent[len(sent)-1].Sub(sent[0]); span < time.Second {
		t.Errorf("16 requests within %v of the wake-up; want them paced over more than a second", span)
	}
}

// TestRateLearntFrom429sAlone: one caller against the sandbox at 10/s
// (burst 2) sending no rate-limit headers, on the fake clock. Unpaced,
// every third request is refused (two go, the third meets the empty
// bucket and waits its second); paced by what the 429s teach, a few in
// a hundred calls are.
func TestRateLearntFrom429sAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 10, Burst: 2, Headers: sandbox.HeadersNone}})
	c := e.client()
	for i := range 100 {
		if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	refused := 0
	for _, s := range e.obs.Statuses() {
		if s == 429 {
			refused++
		}
	}
	elapsed := e.clock.Now().Sub(epoch)
	t.Logf("100 calls in %v, %d answered 429", elapsed, refused)
	if refused > 6 {
		t.Errorf("%d of %d requests answered 429; want at most 6", refused, len(e.obs.Statuses()))
	}
	if elapsed > 20*time.Second {
		t.Errorf("100 calls took %v; want well under 20 s (the server allows 10/s)", elapsed)
	}
}

// TestFirstRequestCountsInTheMirror: the probe goes before the mirror
// has a rate; once an answer gives one (here a policy of 2 per second
// with no Remaining), the probe is counted as spent: one more request
// may go at once, not two.
func TestFirstRequestCountsInTheMirror(t *testing.T) {
	t.Parallel()
	var p runtime.Pace
	probe := p.Reserve(epoch)
	p.Observe(runtime.Observation{Seq: probe.Seq, Done: probe.Done, Sent: epoch, Received: epoch, Status: 200, Limit: runtime.RateLimit{
		Limit: runtime.Known(2), Window: time.Second, Spelling: runtime.SpellingIETF}})
	if d := p.Reserve(epoch); !d.Reserved {
		t.Fatalf("second request: %+v; want it at once (the bucket holds 2)", d)
	}
	if d := p.Reserve(epoch); d.Reserved {
		t.Errorf("third request at once: %+v; want it to wait, the probe took a token", d)
	}
}

// policyBucket is ietfBucket stating its policy (RateLimit-Policy) but
// not what is left, like the API the cmd test runs two batch jobs
// against.
func policyBucket(t *testing.T, clk *fakeClock, perSec float64, burst int) (*httptest.Server, *[]int) {
	return bucketServer(t, clk, perSec, burst, false)
}

// TestProcessesStartPacedTogether: two clients (two processes) sharing
// one pacing state start against a bucket of 2 at 2/s that states its
// policy only. Each one's first request (the balance, say) takes its turn
// like any other, so that the third request of the two waits for a token
// instead of meeting a 429.
func TestProcessesStartPacedTogether(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	ts, statuses := policyBucket(t, clk, 2, 2)
	shared := runtime.NewMemoryPacing()
	a := newClient(t, ts, clk, runtime.WithPacing(shared))
	b := newClient(t, ts, clk, runtime.WithPacing(shared))
	for i, c := range []*runtime.Client{a, b, a, b, a, b} {
		if _, err := c.Do(context.Background(), get("/v1/usage")); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	for i, s := range *statuses {
		if s != 200 {
			t.Errorf("request %d answered %d; want every one paced, none refused", i+1, s)
		}
	}
}

// TestA429WithoutHeadersLowersThePace: a server without rate-limit
// headers, paced at what a first 429 taught and grown while callers
// wait; a 429 with Retry-After 2 s and no headers stops every caller
// until then and lowers the pace.
func TestA429WithoutHeadersLowersThePace(t *testing.T) {
	t.Parallel()
	var p runtime.Pace
	now := epoch
	answer := func(d runtime.Decision, status int, retry time.Duration) {
		p.Observe(runtime.Observation{Seq: d.Seq, Done: d.Done, Sent: now, Received: now, Status: status, RetryAfter: retry})
	}
	answer(p.Reserve(now), 200, 0)
	answer(p.Reserve(now), 429, time.Second)
	now = now.Add(time.Second)
	// Ten seconds of calls from two callers: each answer is accepted.
	for now.Before(epoch.Add(11 * time.Second)) {
		d := p.Reserve(now)
		if !d.Reserved {
			p.Reserve(now) // the second caller is held too
			now = d.At
			continue
		}
		answer(d, 200, 0)
	}
	before := p.Rate
	if before <= 0 {
		t.Fatalf("no pace after a 429 and ten seconds of answers: %+v", p)
	}
	d := p.Reserve(now)
	for !d.Reserved {
		now = d.At
		d = p.Reserve(now)
	}
	answer(d, 429, 2*time.Second)
	if p.Rate >= before {
		t.Errorf("pace %.2f/s after a 429; want below %.2f/s", p.Rate, before)
	}
	if d := p.Reserve(now.Add(time.Second)); d.Reserved || !d.At.Equal(now.Add(2*time.Second)) || d.Reason != runtime.CodeRateLimited {
		t.Errorf("a second after the 429: %+v; want to wait for its Retry-After (rate_limited)", d)
	}
}

// TestSixteenCallersWithoutHeadersOverHTTP: sixteen goroutines share one
// Client (and its pacing state) against the sandbox over HTTP at 10/s,
// burst 2, sending no rate-limit headers, in virtual time (turnClock).
// Every call succeeds, few requests are answered 429 (measured 4 of
// 324; on fakeClock, where concurrent waits add up, 128 of 272) and the
// calls go at most of the server's rate.
func TestSixteenCallersWithoutHeadersOverHTTP(t *testing.T) {
	t.Parallel()
	const callers, calls = 16, 20
	clk := &turnClock{now: epoch, live: callers}
	e := newEnv(t, sandbox.Config{Now: clk.Now, RateLimit: sandbox.RateLimit{PerSecond: 10, Burst: 2, Headers: sandbox.HeadersNone}})
	c := e.client(runtime.WithPacing(runtime.NewMemoryPacing()), runtime.WithClock(clk))
	// A guard against a hang, never reached when the test passes.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, callers*calls)
	for range callers {
		wg.Go(func() {
			defer clk.leave()
			for range calls {
				if _, err := c.Do(ctx, get("/v1/me")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call: %v", err)
	}
	refused, total := 0, 0
	for _, s := range e.obs.Statuses() {
		total++
		if s == 429 {
			refused++
		}
	}
	t.Logf("%d calls in %v: %d requests, %d answered 429", callers*calls, clk.Now().Sub(epoch), total, refused)
	if total-refused != callers*calls || refused > total/20 {
		t.Errorf("%d requests, %d answered 429 for %d calls; want every call answered and at most 5 %% refused", total, refused, callers*calls)
	}
	// 320 calls at 10/s take 32 s of virtual time at best (measured 37 s).
	if elapsed := clk.Now().Sub(epoch); elapsed > 46*time.Second {
		t.Errorf("%d calls took %v of virtual time; want at least 70 %% of the server's 10/s", callers*calls, elapsed)
	}
}

// turnClock is virtual time for live goroutines that each call Sleep
// and, once done, leave: time stands still while any of them runs, and
// when all of them sleep it moves to the earliest wake-up and lets those
// sleepers go. Requests then take no time, and concurrent waits do not
// add up as they do on fakeClock.
type turnClock struct {
	mu       sync.Mutex
	now      time.Time
	live     int
	sleepers []*turnSleeper
}

type turnSleeper struct {
	at   time.Time
	wake chan struct{}
}

func (c *turnClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *turnClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	s := &turnSleeper{at: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.advance()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave says one goroutine is done.
func (c *turnClock) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live--
	c.advance()
}

// advance, with c.mu held, wakes the earliest sleepers once every live
// goroutine sleeps.
func (c *turnClock) advance() {
	if len(c.sleepers) == 0 || len(c.sleepers) < c.live {
		return
	}
	first := c.sleepers[0].at
	for _, s := range c.sleepers {
		if s.at.Before(first) {
			first = s.at
		}
	}
	if first.After(c.now) {
		c.now = first
	}
	kept := c.sleepers[:0]
	for _, s := range c.sleepers {
		if s.at.After(c.now) {
			kept = append(kept, s)
			continue
		}
		close(s.wake)
	}
	c.sleepers = kept
}
