package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"
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
	h.Set("X-RateLimit-Limit", strconv.Itoa(rl.Burst))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, int(math.Floor(tokens)))))
	h.Set("X-RateLimit-Reset", strconv.Itoa(ceilSeconds(time.Duration((float64(rl.Burst)-tokens)/rl.PerSecond*float64(time.Second)), 0)))
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
