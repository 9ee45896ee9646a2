package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// RateLimitHeaders is the spelling of the rate-limit headers the sandbox
// sends (see the package documentation for what each one means).
type RateLimitHeaders int

// Rate-limit header spellings.
const (
	// HeadersXRateLimit sends X-RateLimit-Limit, X-RateLimit-Remaining
	// and X-RateLimit-Reset (the default).
	HeadersXRateLimit RateLimitHeaders = iota
	// HeadersIETF sends the IETF pair RateLimit-Policy and RateLimit.
	HeadersIETF
	// HeadersNone sends no rate-limit headers (Retry-After on 429 still).
	HeadersNone
)

// effective returns rl with defaults filled in.
func (rl RateLimit) effective() RateLimit {
	if rl.PerSecond <= 0 {
		rl.PerSecond = DefaultRatePerSecond
		if rl.Burst <= 0 {
			rl.Burst = DefaultRateBurst
		}
	}
	if rl.Burst <= 0 {
		rl.Burst = max(1, int(math.Ceil(2*rl.PerSecond)))
	}
	return rl
}

// rateLimit takes one token from key's bucket at now. It sets the
// X-RateLimit-* headers on h and returns a 429 rate_limited error when the
// bucket is empty.
func (s *Server) rateLimit(key string, now time.Time, h http.Header) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rl.Disabled {
		return nil
	}
	rl := s.rl.effective()
	lim := s.limiters[key]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(rl.PerSecond), rl.Burst)
		s.limiters[key] = lim
	}
	res := lim.ReserveN(now, 1)
	delay := res.DelayFrom(now)
	if delay > 0 {
		res.CancelAt(now)
	}
	tokens := lim.TokensAt(now)
	remaining := max(0, int(math.Floor(tokens)))
	reset := ceilSeconds(time.Duration((float64(rl.Burst)-tokens)/rl.PerSecond*float64(time.Second)), 0)
	switch rl.Headers {
	case HeadersXRateLimit:
		h.Set("X-RateLimit-Limit", strconv.Itoa(rl.Burst))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-RateLimit-Reset", strconv.Itoa(reset))
	case HeadersIETF:
		window := ceilSeconds(time.Duration(float64(rl.Burst)/rl.PerSecond*float64(time.Second)), 1)
		h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, rl.Burst, window))
		h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, remaining, reset))
	}
	if delay <= 0 {
		return nil
	}
	e := newError(http.StatusTooManyRequests, codeRateLimited,
		"Rate limit exceeded for this API key (%d requests burst, %g per second). Retry after the Retry-After interval.", rl.Burst, rl.PerSecond)
	e.header = http.Header{"Retry-After": {strconv.Itoa(ceilSeconds(delay, 1))}}
	return e
}

// ceilSeconds rounds d up to whole seconds, at least floor.
func ceilSeconds(d time.Duration, floor int) int {
	if d <= 0 {
		return floor
	}
	return max(floor, int((d+time.Second-1)/time.Second))
}
