package runtime_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// checkWaits asserts the fake clock slept exactly want and that every
// sleep was announced to the observer first, with the attempt, reason and
// status that caused it.
func checkWaits(t *testing.T, e *env, want []time.Duration, reason string, status int) {
	t.Helper()
	if got := e.clock.Sleeps(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("slept %v; want %v", got, want)
	}
	waits := e.obs.Waits()
	if len(waits) != len(want) {
		t.Fatalf("observed %d waits %+v; want %d", len(waits), waits, len(want))
	}
	for i, w := range waits {
		if w.Attempt != i+1 || w.Delay != want[i] || w.Reason != reason || w.Status != status {
			t.Errorf("wait %d = %+v; want attempt %d, delay %v, reason %s, status %d", i, w, i+1, want[i], reason, status)
		}
	}
}

func TestRetryAfterDeltaSeconds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "7", Count: 2})
	resp, err := e.client().Do(context.Background(), get("/v1/me"))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Attempts != 3 || e.sb.Requests() != 3 {
		t.Errorf("Attempts = %d, requests = %d; want 3", resp.Attempts, e.sb.Requests())
	}
	checkWaits(t, e, []time.Duration{7 * time.Second, 7 * time.Second}, runtime.CodeRateLimited, 429)
	if got := e.obs.Statuses(); !reflect.DeepEqual(got, []int{429, 429, 200}) {
		t.Errorf("observed statuses %v; want [429 429 200]", got)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   time.Duration
	}{
		{"future date", epoch.Add(9 * time.Second).Format(http.TimeFormat), 9 * time.Second},
		{"RFC 850 date", epoch.Add(3 * time.Second).Format(time.RFC850), 3 * time.Second},
		{"past date", epoch.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: tt.header})
			resp, err := e.client().Do(context.Background(), get("/v1/me"))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Attempts != 2 {
				t.Errorf("Attempts = %d; want 2", resp.Attempts)
			}
			checkWaits(t, e, []time.Duration{tt.want}, runtime.CodeRateLimited, 429)
		})
	}
}

// TestRateLimitedBySandboxBucket uses the sandbox's own token bucket, on
// the clock the client sleeps on, without pacing: the 429's Retry-After
// is exactly what it takes for a token to come back, so the single retry
// succeeds.
func TestRateLimitedBySandboxBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 0.125, Burst: 1}})
	c := e.client(runtime.WithPacing(nil))
	for i := range 2 {
		resp, err := c.Do(context.Background(), get("/v1/me"))
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if want := i + 1; resp.Attempts != want {
			t.Errorf("call %d: Attempts = %d; want %d", i+1, resp.Attempts, want)
		}
	}
	checkWaits(t, e, []time.Duration{8 * time.Second}, runtime.CodeRateLimited, 429)
}

// TestPacedBySandboxBucket: the same with pacing (the default). The first
// answer says the bucket is empty and refills in 8 s, so the second call
// waits those 8 s before it is sent, and is not refused.
func TestPacedBySandboxBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 0.125, Burst: 1}})
	c := e.client()
	for i := range 2 {
		resp, err := c.Do(context.Background(), get("/v1/me"))
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if resp.Attempts != 1 {
			t.Errorf("call %d: Attempts = %d; want 1", i+1, resp.Attempts)
		}
	}
	if got := e.clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{8 * time.Second}) {
		t.Errorf("slept %v; want [8s]", got)
	}
	waits := e.obs.Waits()
	if len(waits) != 1 || waits[0] != (runtime.Wait{Attempt: 0, Delay: 8 * time.Second, Reason: runtime.ReasonPacing}) {
		t.Errorf("observed waits %+v; want one pacing wait of 8s before the first attempt", waits)
	}
	if st := e.obs.Statuses(); !reflect.DeepEqual(st, []int{200, 200}) {
		t.Errorf("statuses %v; want two 200s and no 429", st)
	}
}

func TestRetryAfterAbsentIsJittered(t *testing.T) {
	t.Parallel()
	p := runtime.DefaultRetryPolicy()
	for _, j := range []float64{0, 0.25, 0.999999} {
		e := newEnv(t, sandbox.Config{})
		e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited})
		if _, err := e.client(runtime.WithRand(constant(j))).Do(context.Background(), get("/v1/me")); err != nil {
			t.Fatalf("jitter %v: %v", j, err)
		}
		half := p.RateLimitWait / 2
		want := half + time.Duration(j*float64(half))
		checkWaits(t, e, []time.Duration{want}, runtime.CodeRateLimited, 429)
		if want < half || want >= p.RateLimitWait {
			t.Errorf("jitter %v: wait %v outside [%v, %v)", j, want, half, p.RateLimitWait)
		}
	}
}

func TestRetryAfterOverMaxWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header  string
		retried bool
	}{
		{"60", true}, // MaxWait itself is waited out
		{"61", false},
		{epoch.Add(10 * time.Minute).Format(http.TimeFormat), false},
		{"9223372036854775807", false}, // clamped to the longest Duration
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: tt.header})
			_, err := e.client().Do(context.Background(), get("/v1/me"))
			if tt.retried {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				checkWaits(t, e, []time.Duration{60 * time.Second}, runtime.CodeRateLimited, 429)
				return
			}
			ae := mustAPIError(t, err)
			if ae.Code != runtime.CodeRateLimited || ae.Attempts != 1 || !ae.HasRetryAfter || ae.RetryAfter <= time.Minute {
				t.Errorf("got %s after %d attempts, RetryAfter %v (%v); want rate_limited after 1 with RetryAfter > 1m",
					ae.Code, ae.Attempts, ae.RetryAfter, ae.HasRetryAfter)
			}
			checkWaits(t, e, nil, "", 0)
			if a := runtime.Advise(err); a.RetryAfterSeconds == nil || *a.RetryAfterSeconds <= 60 {
				t.Errorf("Advice.RetryAfterSeconds = %v; want the server's long wait", a.RetryAfterSeconds)
			}
		})
	}
}

func TestMaxRateLimitRetries(t *testing.T) {
	t.Parallel()
	for _, max := range []int{0, 1, 3} {
		e := newEnv(t, sandbox.Config{})
		e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "1", Count: 10})
		p := runtime.DefaultRetryPolicy()
		p.MaxRateLimitRetries = max
		_, err := e.client(runtime.WithRetryPolicy(p)).Do(context.Background(), get("/v1/me"))
		ae := mustAPIError(t, err)
		if ae.Attempts != max+1 || e.sb.Requests() != int64(max+1) {
			t.Errorf("MaxRateLimitRetries %d: Attempts = %d, requests = %d; want %d", max, ae.Attempts, e.sb.Requests(), max+1)
		}
		if got := len(e.clock.Sleeps()); got != max {
			t.Errorf("MaxRateLimitRetries %d: slept %d times", max, got)
		}
	}
}

// TestServerFaultsRetriedWithBackoff: 500, 502, 503, 504 and dropped
// connections are retried MaxRetries times with full-jitter backoff. With
// the jitter fixed at 0.5 the waits are exactly half the ceilings.
func TestServerFaultsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault  sandbox.Fault
		status int
		code   string
	}{
		{sandbox.Fault{Kind: sandbox.FaultInternalError}, 500, "internal_error"},
		{sandbox.Fault{Kind: sandbox.FaultBadGateway}, 502, "bad_gateway"},
		{sandbox.Fault{Kind: sandbox.FaultHTML}, 503, "service_unavailable"},
		{sandbox.Fault{Kind: sandbox.FaultHTML, Status: 504}, 504, "gateway_timeout"},
		{sandbox.Fault{Kind: sandbox.FaultEmpty, Status: 500}, 500, "internal_error"},
		{sandbox.Fault{Kind: sandbox.FaultDrop}, 0, runtime.CodeNetwork},
	}
	p := runtime.DefaultRetryPolicy()
	halves := []time.Duration{p.BaseDelay / 2, p.BaseDelay} // 0.5·base·2^0, 0.5·base·2^1
	for _, tt := range tests {
		t.Run(tt.code+"/recovers", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			f := tt.fault
			f.Count = p.MaxRetries
			e.sb.Inject(f)
			resp, err := e.client(freshConns(e.ts)).Do(context.Background(), get("/v1/me"))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Attempts != 3 || e.sb.Requests() != 3 {
				t.Errorf("Attempts = %d, requests = %d; want 3", resp.Attempts, e.sb.Requests())
			}
			checkWaits(t, e, halves, tt.code, tt.status)
		})
		t.Run(tt.code+"/gives up", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			f := tt.fault
			f.Count = 10
			e.sb.Inject(f)
			_, err := e.client(freshConns(e.ts)).Do(context.Background(), get("/v1/me"))
			if err == nil {
				t.Fatal("Do succeeded; want the last failure")
			}
			attempts := 0
			if ae, ok := runtime.AsAPIError(err); ok {
				attempts = ae.Attempts
				if ae.Status != tt.status || ae.Code != tt.code {
					t.Errorf("got %d %s; want %d %s", ae.Status, ae.Code, tt.status, tt.code)
				}
			} else if te := (*runtime.TransportError)(nil); errors.As(err, &te) {
				attempts = te.Attempts
			} else {
				t.Fatalf("error %T %v", err, err)
			}
			if attempts != 3 || e.sb.Requests() != 3 {
				t.Errorf("attempts = %d, requests = %d; want 1 + MaxRetries = 3", attempts, e.sb.Requests())
			}
			if got := runtime.Advise(err); got.Code != tt.code || !got.Retryable {
				t.Errorf("Advise = %+v; want retryable %s", got, tt.code)
			}
		})
	}
}

// TestBackoffWaitsWithinBounds runs many retries with a random jitter and
// checks every wait lies in [0, min(MaxDelay, BaseDelay·2^n)).
func TestBackoffWaitsWithinBounds(t *testing.T) {
	t.Parallel()
	p := runtime.RetryPolicy{MaxRetries: 8, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	e := newEnv(t, sandbox.Config{})
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 20})
	rng := rand.New(rand.NewPCG(1, 2))
	_, err := e.client(runtime.WithRetryPolicy(p), runtime.WithRand(rng.Float64)).Do(context.Background(), get("/v1/me"))
	if ae := mustAPIError(t, err); ae.Attempts != 9 {
		t.Errorf("Attempts = %d; want 9", ae.Attempts)
	}
	sleeps := e.clock.Sleeps()
	if len(sleeps) != 8 {
		t.Fatalf("slept %d times; want 8", len(sleeps))
	}
	distinct := map[time.Duration]bool{}
	for n, d := range sleeps {
		ceiling := min(p.MaxDelay, p.BaseDelay<<n)
		if d < 0 || d >= ceiling {
			t.Errorf("wait %d = %v; want in [0, %v)", n, d, ceiling)
		}
		distinct[d] = true
	}
	if len(distinct) < 2 {
		t.Errorf("waits %v are not jittered", sleeps)
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	p := runtime.DefaultRetryPolicy()
	almostOne := constant(1 - 1e-9)
	for _, n := range []int{0, 1, 2, 3, 4, 5, 10, 62, 63, 64, 1000, 1 << 30} {
		ceiling := p.MaxDelay
		if n < 5 {
			ceiling = min(p.MaxDelay, p.BaseDelay<<n)
		}
		if got := p.Backoff(n, constant(0)); got != 0 {
			t.Errorf("Backoff(%d, jitter 0) = %v; want 0", n, got)
		}
		got := p.Backoff(n, almostOne)
		if got >= ceiling || got < ceiling-ceiling/1000 {
			t.Errorf("Backoff(%d, jitter ~1) = %v; want just under %v", n, got, ceiling)
		}
		if half := p.Backoff(n, constant(0.5)); half != ceiling/2 {
			t.Errorf("Backoff(%d, jitter 0.5) = %v; want %v", n, half, ceiling/2)
		}
	}
	if got := (runtime.RetryPolicy{}).Backoff(3, constant(0.9)); got != 0 {
		t.Errorf("zero policy Backoff = %v; want 0", got)
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	p := runtime.DefaultRetryPolicy()
	ra := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name  string
		o     runtime.Outcome
		wait  time.Duration
		retry bool
	}{
		{"429 with seconds", runtime.Outcome{Status: 429, Header: ra("5"), SafeToRetry: true}, 5 * time.Second, true},
		{"429 on an unsafe write", runtime.Outcome{Status: 429, Header: ra("5")}, 5 * time.Second, true},
		{"429 over MaxWait", runtime.Outcome{Status: 429, Header: ra("61"), SafeToRetry: true}, 61 * time.Second, false},
		{"429 retries used up", runtime.Outcome{Status: 429, Header: ra("1"), SafeToRetry: true, Retries: 3}, 0, false},
		{"429 without header", runtime.Outcome{Status: 429, SafeToRetry: true}, 750 * time.Millisecond, true},
		{"429 with garbage header", runtime.Outcome{Status: 429, Header: ra("soon")}, 750 * time.Millisecond, true},
		{"429 with negative header", runtime.Outcome{Status: 429, Header: ra("-5")}, 750 * time.Millisecond, true},
		{"500 safe", runtime.Outcome{Status: 500, SafeToRetry: true}, 250 * time.Millisecond, true},
		{"503 second retry", runtime.Outcome{Status: 503, SafeToRetry: true, Retries: 1}, 500 * time.Millisecond, true},
		{"504 retries used up", runtime.Outcome{Status: 504, SafeToRetry: true, Retries: 2}, 0, false},
		{"500 unsafe", runtime.Outcome{Status: 500}, 0, false},
		{"transport safe", runtime.Outcome{Transport: true, SafeToRetry: true}, 250 * time.Millisecond, true},
		{"transport unsafe", runtime.Outcome{Transport: true}, 0, false},
		{"501", runtime.Outcome{Status: 501, SafeToRetry: true}, 0, false},
		{"400", runtime.Outcome{Status: 400, SafeToRetry: true, Header: ra("1")}, 0, false},
		{"401", runtime.Outcome{Status: 401, SafeToRetry: true}, 0, false},
		{"402", runtime.Outcome{Status: 402, SafeToRetry: true}, 0, false},
		{"403", runtime.Outcome{Status: 403, SafeToRetry: true}, 0, false},
		{"404", runtime.Outcome{Status: 404, SafeToRetry: true}, 0, false},
	}
	for _, tt := range tests {
		wait, retry := p.Decide(tt.o, epoch, constant(0.5))
		if wait != tt.wait || retry != tt.retry {
			t.Errorf("%s: Decide = %v, %v; want %v, %v", tt.name, wait, retry, tt.wait, tt.retry)
		}
	}
	if _, retry := runtime.NoRetries().Decide(runtime.Outcome{Status: 500, SafeToRetry: true}, epoch, constant(0)); retry {
		t.Error("NoRetries retried a 500")
	}
	if _, retry := runtime.NoRetries().Decide(runtime.Outcome{Status: 429, Header: ra("1")}, epoch, constant(0)); retry {
		t.Error("NoRetries retried a 429")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v  string
		d  time.Duration
		ok bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 12 ", 12 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
		{"9223372036854775807", time.Duration(1<<63-1) / time.Second * time.Second, true},
		{epoch.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{epoch.Add(-time.Second).Format(http.TimeFormat), 0, true},
		{"Fri, 20 Nov 2026 10:31:00 GMT", time.Minute, true},
		{"Friday, 20-Nov-26 10:30:05 GMT", 5 * time.Second, true},
		{"Fri Nov 20 10:30:10 2026", 10 * time.Second, true},
	}
	for _, tt := range tests {
		d, ok := runtime.ParseRetryAfter(tt.v, epoch)
		if d != tt.d || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.v, d, ok, tt.d, tt.ok)
		}
	}
}

// TestClientErrorsNotRetried: 4xx answers are final, even with a
// Retry-After header.
func TestClientErrorsNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 402, 403, 404, 405, 409, 422} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			ts, n := plainServer(t, reply(status, map[string]string{"Retry-After": "1", "Content-Type": "application/json"},
				`{"error":{"code":"some_code","message":"no","requestId":"req_1"}}`))
			clk := newFakeClock()
			_, err := newClient(t, ts, clk).Do(context.Background(), get("/v1/me"))
			ae := mustAPIError(t, err)
			if ae.Status != status || ae.Attempts != 1 || n.Load() != 1 || len(clk.Sleeps()) != 0 {
				t.Errorf("status %d: Attempts %d, %d requests, sleeps %v; want one attempt, no wait",
					ae.Status, ae.Attempts, n.Load(), clk.Sleeps())
			}
			if ae.Retryable() {
				t.Errorf("an unknown code on %d is Retryable", status)
			}
		})
	}
}

// TestUnsafeWritesNotRetried: a POST that is not marked Idempotent is sent
// once on a 5xx or a dropped connection (the API may have acted on it), is
// retried when marked Idempotent, and is retried on 429 either way (a 429
// means the request was not processed).
func TestUnsafeWritesNotRetried(t *testing.T) {
	t.Parallel()
	query := func(idempotent bool) *runtime.Request {
		return &runtime.Request{Method: "POST", Path: "/v1/ads/query", Body: map[string]any{"limit": 2}, Idempotent: idempotent, Operation: "queryAds"}
	}
	tests := []struct {
		name       string
		fault      sandbox.Fault
		idempotent bool
		attempts   int
		ok         bool
	}{
		{"500 unsafe", sandbox.Fault{Kind: sandbox.FaultInternalError}, false, 1, false},
		{"502 unsafe", sandbox.Fault{Kind: sandbox.FaultBadGateway}, false, 1, false},
		{"drop unsafe", sandbox.Fault{Kind: sandbox.FaultDrop}, false, 1, false},
		{"500 idempotent", sandbox.Fault{Kind: sandbox.FaultInternalError}, true, 2, true},
		{"drop idempotent", sandbox.Fault{Kind: sandbox.FaultDrop}, true, 2, true},
		{"429 unsafe", sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "2"}, false, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			e.sb.Inject(tt.fault)
			resp, err := e.client(freshConns(e.ts)).Do(context.Background(), query(tt.idempotent))
			if e.sb.Requests() != int64(tt.attempts) {
				t.Errorf("the sandbox got %d requests; want %d", e.sb.Requests(), tt.attempts)
			}
			if !tt.ok {
				if err == nil {
					t.Fatal("Do succeeded; want the first failure")
				}
				if len(e.clock.Sleeps()) != 0 {
					t.Errorf("slept %v before giving up", e.clock.Sleeps())
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Attempts != tt.attempts {
				t.Errorf("Attempts = %d; want %d", resp.Attempts, tt.attempts)
			}
		})
	}
}

// TestCancelDuringWait: cancelling the context while the client waits to
// retry ends the call at once with the context's error, and nothing more
// reaches the server.
func TestCancelDuringWait(t *testing.T) {
	t.Parallel()
	for _, fault := range []sandbox.Fault{
		{Kind: sandbox.FaultInternalError, Count: 5},
		{Kind: sandbox.FaultRateLimited, RetryAfter: "30", Count: 5},
	} {
		t.Run(fault.Kind.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			entered := make(chan time.Duration, 1)
			e.clock.Block(entered)
			e.sb.Inject(fault)
			c := e.client()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := c.Do(ctx, get("/v1/me"))
				done <- err
			}()
			select {
			case <-entered:
			case err := <-done:
				t.Fatalf("Do returned %v before waiting to retry", err)
			case <-time.After(10 * time.Second):
				t.Fatal("the client never waited to retry")
			}
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Do did not return after cancel")
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v; want context.Canceled", err)
			}
			if a := runtime.Advise(err); a.Code != runtime.CodeCanceled || a.Retryable {
				t.Errorf("Advise = %+v; want a final canceled", a)
			}
			if e.sb.Requests() != 1 {
				t.Errorf("the sandbox got %d requests; want only the first", e.sb.Requests())
			}
		})
	}
}

func TestContextDoneBeforeCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := e.client().Do(ctx, get("/v1/me"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v; want context.DeadlineExceeded", err)
	}
	if a := runtime.Advise(err); a.Code != runtime.CodeTimeout {
		t.Errorf("Advise code %q; want timeout", a.Code)
	}
	if e.sb.Requests() != 0 || len(e.clock.Sleeps()) != 0 {
		t.Errorf("%d requests, sleeps %v; want none", e.sb.Requests(), e.clock.Sleeps())
	}
}

// TestCancelDuringRequest: the server is still working when the caller
// gives up; Do returns the context error and does not retry.
func TestCancelDuringRequest(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts, n := plainServer(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	clk := newFakeClock()
	_, err := newClient(t, ts, clk).Do(ctx, get("/v1/me"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v; want context.Canceled", err)
	}
	if n.Load() != 1 || len(clk.Sleeps()) != 0 {
		t.Errorf("%d requests, sleeps %v; want 1 and none", n.Load(), clk.Sleeps())
	}
}

func TestSystemClock(t *testing.T) {
	t.Parallel()
	clk := runtime.SystemClock()
	if d := time.Since(clk.Now()); d < 0 || d > time.Minute {
		t.Errorf("SystemClock().Now() is %v off", d)
	}
	if err := clk.Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	if err := clk.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := clk.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("Sleep on a cancelled context did not return at once")
	}
}
