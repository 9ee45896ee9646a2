package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer is the thin outer layer of pacing: it asks the PacingState (and
// the user's limiter) for a turn, waits through the client's Clock, and
// reports every wait to the observers. The decisions are Pace's.
type pacer struct {
	state PacingState // nil: no server pacing
	local PacingState // used while state fails (a Redis outage)

	limiter   *rate.Limiter // the user's --rate; nil when unset
	userLimit rate.Limit
	userBurst int

	warnMu   sync.Mutex
	warnedAt time.Time
}

// errPacingDeadline is wrapped (with context.DeadlineExceeded) when a
// turn would come after the call's deadline.
var errPacingDeadline = errors.New("the turn would come after the call's deadline")

// turn waits until the call may send attempt: first the user's limiter,
// then the server's pace. retry, when not nil, is the wait the retry
// policy chose after a 429: the first pacing wait is reported as it
// (the server's wake-up time is part of the pace). It returns the
// reservation, to be passed back to observePace.
func (c *Client) turn(ctx context.Context, r *Request, observers []Observer, attempt int, retry *Wait) (Decision, error) {
	p := c.pacer
	if p.limiter != nil {
		now := c.clock.Now()
		res := p.limiter.ReserveN(now, 1)
		if !res.OK() {
			return Decision{}, fmt.Errorf("%w: the rate limiter allows no request at all (burst 0)", context.DeadlineExceeded)
		}
		if d := res.DelayFrom(now); d > 0 {
			if err := c.waitFor(ctx, r, observers, Wait{Attempt: attempt - 1, Delay: d, Reason: ReasonPacing}); err != nil {
				res.CancelAt(c.clock.Now())
				return Decision{}, err
			}
		}
	}
	if p.state == nil {
		if retry != nil {
			return Decision{}, c.waitFor(ctx, r, observers, *retry)
		}
		return Decision{}, nil
	}
	for {
		now := c.clock.Now()
		var d Decision
		state := p.state
		if _, err := state.Update(ctx, func(pc *Pace) { d = pc.Reserve(now) }); err != nil {
			if ctx.Err() != nil {
				return Decision{}, ctx.Err()
			}
			p.warn(ctx, c.logger, err)
			state = p.local
			_, _ = state.Update(ctx, func(pc *Pace) { d = pc.Reserve(now) })
		}
		delay := d.At.Sub(now)
		if d.Reserved && delay <= 0 {
			if retry != nil {
				// The server's wake-up time has already passed: the retry
				// waits no more (but is reported, as every retry is).
				retry.Delay = 0
				if err := c.waitFor(ctx, r, observers, *retry); err != nil {
					return Decision{}, err
				}
			}
			return d, nil
		}
		w := Wait{Attempt: attempt - 1, Delay: delay, Reason: d.Reason}
		if retry != nil {
			w, retry = *retry, nil
			w.Delay = delay
		}
		if err := c.waitFor(ctx, r, observers, w); err != nil {
			return Decision{}, err
		}
	}
}

// waitFor reports w and waits it out, or fails at once when ctx's
// deadline would pass first.
func (c *Client) waitFor(ctx context.Context, r *Request, observers []Observer, w Wait) error {
	if dl, ok := ctx.Deadline(); ok && w.Delay > time.Until(dl) {
		return fmt.Errorf("%w: %w (%v)", context.DeadlineExceeded, errPacingDeadline, w.Delay)
	}
	for _, o := range observers {
		o.ObserveWait(ctx, r, w)
	}
	if w.Reason != ReasonPacing {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "retrying TrendTrack call",
			slog.String("op", r.Operation), slog.String("path", r.Path), slog.String("reason", w.Reason),
			slog.Int("attempt", w.Attempt), slog.Duration("wait", w.Delay))
	} else {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "pacing TrendTrack call",
			slog.String("op", r.Operation), slog.Duration("wait", w.Delay))
	}
	return c.clock.Sleep(ctx, w.Delay)
}

// observePace tells the pacing state what an attempt's answer (or its
// failure, status 0) said, and keeps the user's limiter within what the
// server allows.
func (c *Client) observePace(ctx context.Context, slot Decision, sent time.Time, status int, h http.Header, retryAfter time.Duration) {
	p := c.pacer
	if p.state == nil && p.limiter == nil {
		return
	}
	now := c.clock.Now()
	o := Observation{Seq: slot.Seq, Done: slot.Done, Sent: sent, Received: now, Status: status, RetryAfter: retryAfter}
	if h != nil {
		o.Limit = ParseRateLimit(h, now)
	}
	var learnt Pace
	if p.state != nil {
		var err error
		if learnt, err = p.state.Update(ctx, func(pc *Pace) { pc.Observe(o) }); err != nil {
			p.warn(ctx, c.logger, err)
			learnt, _ = p.local.Update(ctx, func(pc *Pace) { pc.Observe(o) })
		}
	} else {
		learnt.Observe(o)
	}
	if p.limiter == nil {
		return
	}
	// The user's limiter never bursts above the server's bucket, nor
	// paces faster than the server's learnt rate.
	burst := p.userBurst
	if learnt.Burst > 0 && int64(burst) > learnt.Burst {
		burst = int(learnt.Burst)
	}
	limit := p.userLimit
	if learnt.RateKnown && learnt.Rate > 0 && rate.Limit(learnt.Rate) < limit {
		limit = rate.Limit(learnt.Rate)
	}
	if p.limiter.Burst() != burst {
		p.limiter.SetBurstAt(now, burst)
	}
	if p.limiter.Limit() != limit {
		p.limiter.SetLimitAt(now, limit)
	}
}

// warn logs a failing pacing state at most once a minute.
func (p *pacer) warn(ctx context.Context, log *slog.Logger, err error) {
	p.warnMu.Lock()
	now := time.Now()
	quiet := now.Sub(p.warnedAt) < time.Minute
	if !quiet {
		p.warnedAt = now
	}
	p.warnMu.Unlock()
	if !quiet {
		log.LogAttrs(ctx, slog.LevelWarn, "shared pacing state unavailable; pacing this process alone until it is back", slog.Any("err", err))
	}
}
