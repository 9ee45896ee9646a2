package sandbox_test

import (
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

func TestRateLimitAnswers429UntilTheClockAdvances(t *testing.T) {
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 0.5, Burst: 2}})
	key := e.s.NewWorkspace(sandbox.Credits{})
	other := e.s.NewKey(key, "full_access")

	for i, want := range []string{"1", "0"} {
		r := e.get("/v1/me", key)
		wantStatus(t, r, 200)
		if r.header.Get("X-RateLimit-Limit") != "2" || r.header.Get("X-RateLimit-Remaining") != want || r.header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("request %d: X-RateLimit-* = %q %q %q", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), r.header.Get("X-RateLimit-Reset"))
		}
	}
	r := e.get("/v1/me", key)
	wantStatus(t, r, 429)
	if c := r.errCode(t); c != "rate_limited" {
		t.Fatalf("code %q", c)
	}
	// One token per 2 s: the next one is 2 s away.
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2", got)
	}
	if r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 X-RateLimit-Remaining = %q", r.header.Get("X-RateLimit-Remaining"))
	}

	// Buckets are per key, even on one workspace.
	wantStatus(t, e.get("/v1/me", other), 200)
	// Unauthenticated routes are not limited.
	wantStatus(t, e.get("/v1/health", ""), 200)

	e.clock.Advance(1500 * time.Millisecond)
	r = e.get("/v1/me", key)
	wantStatus(t, r, 429)
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After after 1.5 s = %q, want 1 (rounded up)", got)
	}
	e.clock.Advance(500 * time.Millisecond)
	wantStatus(t, e.get("/v1/me", key), 200)
}

func TestRateLimitComesBeforeCreditsAndAfterAuth(t *testing.T) {
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 1, Burst: 1}})
	key := e.s.NewWorkspace(sandbox.Credits{})
	e.s.SetCredits(key, sandbox.Credits{})
	r := e.get("/v1/ads?search=shoes", key)
	wantStatus(t, r, 402)
	r = e.get("/v1/ads?search=shoes", key)
	wantStatus(t, r, 429)
	// Bad keys are rejected, not limited.
	for i := 0; i < 3; i++ {
		wantStatus(t, e.get("/v1/me", sandbox.KeyRevoked), 401)
	}
}

func TestDisabledRateLimitSendsNoHeaders(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	e.s.SetRateLimit(sandbox.RateLimit{Disabled: true})
	for i := 0; i < 60; i++ {
		r := e.get("/v1/me", sandbox.DemoKey)
		wantStatus(t, r, 200)
		if r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatal("disabled rate limit sent X-RateLimit-Limit")
		}
	}
}

func TestDefaultRateLimitAllowsABurstOf40(t *testing.T) {
	e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 0}})
	e.s.SetRateLimit(sandbox.RateLimit{})
	for i := 0; i < 40; i++ {
		wantStatus(t, e.get("/v1/me", sandbox.DemoKey), 200)
	}
	wantStatus(t, e.get("/v1/me", sandbox.DemoKey), 429)
}
