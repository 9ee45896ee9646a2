package runtime

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says which failures are retried and how long to wait.
// The zero value retries nothing; start from DefaultRetryPolicy.
type RetryPolicy struct {
	// MaxRetries bounds retries of 5xx responses and transport faults.
	MaxRetries int
	// MaxRateLimitRetries bounds retries of 429 responses.
	MaxRateLimitRetries int
	// MaxWait is the longest Retry-After tollgate will wait out. A longer
	// one ends the call with the *APIError, so the caller can decide.
	MaxWait time.Duration
	// RateLimitWait is the wait after a 429 without a usable Retry-After;
	// the actual wait is jittered between half and all of it.
	RateLimitWait time.Duration
	// BaseDelay and MaxDelay shape the backoff for 5xx and transport faults:
	// attempt n waits a uniformly random time in [0, min(MaxDelay, BaseDelay·2^n)).
	BaseDelay, MaxDelay time.Duration
}

// DefaultRetryPolicy returns the defaults: 2 retries of 5xx and transport
// faults (backoff base 0.5 s, cap 8 s, full jitter), 3 retries of 429
// waiting Retry-After up to 60 s (1 s jittered when the header is absent).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxRetries:          2,
		MaxRateLimitRetries: 3,
		MaxWait:             60 * time.Second,
		RateLimitWait:       time.Second,
		BaseDelay:           500 * time.Millisecond,
		MaxDelay:            8 * time.Second,
	}
}

// NoRetries is a policy that never retries.
func NoRetries() RetryPolicy { return RetryPolicy{} }

// An Outcome is what one attempt produced, as the retry policy sees it.
type Outcome struct {
	Status      int         // HTTP status; 0 when there was no response
	Header      http.Header // response headers (nil without a response)
	Transport   bool        // the attempt got no response (connection error)
	SafeToRetry bool        // the request may be repeated (GET, or a documented idempotent write)
	Retries     int         // retries of this kind already made (429s, or 5xx+transport faults)
}

// Decide reports whether to retry after outcome, and how long to wait
// first. jitter returns values in [0, 1). Decide is pure: it neither sleeps
// nor reads the clock, so policies are tested without waiting.
func (p RetryPolicy) Decide(o Outcome, now time.Time, jitter func() float64) (wait time.Duration, retry bool) {
	switch {
	case o.Status == http.StatusTooManyRequests:
		if o.Retries >= p.MaxRateLimitRetries {
			return 0, false
		}
		if d, ok := ParseRetryAfter(o.Header.Get(HeaderRetryAfter), now); ok {
			if d > p.MaxWait {
				return d, false
			}
			return d, true
		}
		half := p.RateLimitWait / 2
		return half + time.Duration(jitter()*float64(p.RateLimitWait-half)), true
	case o.Transport || retryableStatus(o.Status):
		if !o.SafeToRetry || o.Retries >= p.MaxRetries {
			return 0, false
		}
		return p.Backoff(o.Retries, jitter), true
	}
	return 0, false
}

// Backoff is the capped exponential backoff with full jitter for the
// retry numbered n (0 for the first retry).
func (p RetryPolicy) Backoff(n int, jitter func() float64) time.Duration {
	ceiling := float64(p.BaseDelay) * math.Pow(2, float64(n))
	if ceiling > float64(p.MaxDelay) || math.IsInf(ceiling, 0) {
		ceiling = float64(p.MaxDelay)
	}
	return time.Duration(jitter() * ceiling)
}

func retryableStatus(s int) bool {
	switch s {
	case 500, 502, 503, 504:
		return true
	}
	return false
}

// ParseRetryAfter reads a Retry-After value: delta-seconds or an HTTP-date
// (RFC 9110 §10.2.3). A date in the past means zero. ok is false for an
// absent or unreadable value.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(math.MaxInt64/time.Second) {
			secs = int64(math.MaxInt64 / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// safeToRetry: GET and HEAD always; other methods only when marked.
func safeToRetry(r *Request) bool {
	switch strings.ToUpper(r.Method) {
	case "", http.MethodGet, http.MethodHead:
		return true
	}
	return r.Idempotent
}
