package runtime

import (
	"math"
	"net/http"
	"slices"
	"time"
)

// Pacing follows the server's own rate limit, so that the callers of a
// client (and every process sharing a PacingState) stay under it together
// instead of each sending until a 429.
//
// # Model
//
// The server is taken to be a token bucket of Burst tokens refilled at
// Rate per second (the sandbox's model, and what X-RateLimit-Reset as
// "seconds until the quota is whole" implies). tollgate keeps a mirror of
// that bucket as one time, Next, in the manner of the generic cell rate
// algorithm: the bucket holds Burst − (Next − t)·Rate tokens at time t, a
// request may go when that is at least one, and sending one moves Next
// on by 1/Rate. When the bucket runs low the requests are therefore
// spaced at the server's pace: tollgate slows down before the bucket is
// empty, never after.
//
// Every response that carries rate-limit headers corrects the mirror:
// Remaining says the server holds at least Remaining and fewer than
// Remaining+1 tokens, less the requests sent since. Where the mirror is
// more cautious than the server, the spare tokens are used at once; where
// it is bolder, it is pulled back.
//
// # Learning the rate
//
// The headers give the bucket's size (Limit) but, in the X-RateLimit
// spelling, not its rate: Remaining is whole tokens and Reset whole
// seconds. The rate is learnt from the readings themselves. Between two
// readings j and n, k accepted requests and a change of Remaining bound
// the refill: Rate ≥ (Remaining_n − (Remaining_j+1) + k) / (received_n −
// sent_j), whatever happened in between, and Rate < (Remaining_n + 1 −
// Remaining_j + k) / (sent_n − received_j) when the bucket cannot have
// overflowed in between. A reading of Remaining = Limit − 1 is exact (the
// bucket was full), which halves the uncertainty. tollgate paces at the
// best lower bound of the last Readings, so that a learnt rate is never
// above the server's; the spare tokens that caution leaves are found by
// the correction above. An IETF RateLimit-Policy (q per w) gives the rate
// outright. Until a bound is known, a rate is guessed from Reset (Limit −
// Remaining tokens by the reset time).
//
// # 429
//
// A 429 says when the server will take requests again (Retry-After). That
// wake-up time is shared: no caller sends before it, and from then on the
// callers go one by one at the server's pace, not all at once. The 429
// also bounds the rate from above.
//
// # Before the first answer
//
// Until a response has been seen, one request goes alone (a probe) and the
// others wait for its answer, so that sixteen callers do not start with
// sixteen requests against a bucket of two. A server that sends no
// rate-limit headers is not paced at all, except for the shared wake-up
// after a 429, after which one probe goes first again.
//
// # Purity
//
// Pace's methods decide and take the time as an argument; they neither
// sleep nor read a clock. A PacingState holds the Pace of one API key:
// in memory for one process (NewMemoryPacing), or in Redis for many
// (package redisstore). Client.Do is the only place that waits.

// Pacing defaults.
const (
	// MaxReadings is how many recent readings a Pace keeps to learn the
	// rate; one is kept per readingSpacing at most (and every 429 and
	// every full-bucket reading), so they cover at least 12 s.
	MaxReadings    = 48
	readingSpacing = 250 * time.Millisecond
	// minBoundSpan is the shortest time between two readings used to
	// bound the rate.
	minBoundSpan = 200 * time.Millisecond
	// probeLease is how long the others wait for a probe's answer at most.
	probeLease = 2 * time.Second
	// pollInterval is how soon a caller that could not reserve asks again
	// while a probe is out.
	pollInterval = 25 * time.Millisecond
	// defaultRate is the guess before any bound or reset is known.
	defaultRate = 1.0
	// maxRate bounds a learnt rate: beyond it, pacing is pointless.
	maxRate = 1e6
	// minRate bounds a learnt rate from below (one request a day).
	minRate = 1.0 / 86400
)

// Pace is what is known of the server's rate limit for one API key, and
// the pacing state built on it. It is a plain value (JSON-encodable) so
// that a PacingState can keep it anywhere; its methods are pure.
type Pace struct {
	// Seen is set once any response has been observed.
	Seen bool `json:"seen,omitempty"`
	// Headers is set once a response carried rate-limit headers.
	Headers bool `json:"headers,omitempty"`
	// Burst is the server's bucket size (its Limit); 0 when unknown.
	Burst int64 `json:"burst,omitempty"`
	// Rate is the pacing rate in requests per second: the best lower
	// bound of the server's rate learnt so far, or the policy's rate, or
	// a guess from Reset; 0 until the headers said anything.
	Rate float64 `json:"rate,omitempty"`
	// RateKnown is set when Rate is a learnt bound or the policy's rate,
	// not a guess.
	RateKnown bool `json:"rateKnown,omitempty"`
	// RateMax is the lowest upper bound of the server's rate the recent
	// readings prove; 0 when none.
	RateMax float64 `json:"rateMax,omitempty"`
	// Next is the bucket mirror: the bucket holds Burst − (Next − t)·Rate
	// tokens at time t (at most Burst).
	Next time.Time `json:"next,omitzero"`
	// WakeAt is the server's wake-up time after a 429: nothing is sent
	// before it.
	WakeAt time.Time `json:"wakeAt,omitzero"`
	// ProbeUntil is set while a probe is out: others wait for its answer
	// until then.
	ProbeUntil time.Time `json:"probeUntil,omitzero"`
	// Seq counts the reservations handed out.
	Seq int64 `json:"seq"`
	// Readings are the last MaxReadings responses with rate-limit
	// headers, in order of arrival.
	Readings []Reading `json:"readings,omitempty"`
	// Rejected counts 429s observed, Accepted the other answers with
	// rate-limit headers.
	Rejected int64 `json:"rejected,omitempty"`
	Accepted int64 `json:"accepted,omitempty"`
}

// A Reading is one response as the rate learner sees it.
type Reading struct {
	Seq       int64     `json:"q"`           // the reservation the request was sent on
	Sent      time.Time `json:"s"`           // when it was sent
	Received  time.Time `json:"r"`           // when the answer came
	Remaining int64     `json:"n"`           // Remaining after it (0 for a 429)
	Accepted  bool      `json:"a,omitempty"` // not a 429: it took a token
	Full      bool      `json:"f,omitempty"` // Remaining = Limit − 1: the bucket was full, the reading exact
	Count     int64     `json:"c"`           // accepted answers observed up to this one (Pace.Accepted)
}

// A Decision is Pace.Reserve's answer.
type Decision struct {
	// At is when to send (Reserved) or when to ask again (not Reserved).
	At time.Time
	// Reserved is set when a slot was taken: send at At.
	Reserved bool
	// Seq identifies the reservation; pass it back in the Observation.
	Seq int64
	// Reason says why a caller waits: ReasonPacing, or CodeRateLimited
	// while the server's wake-up time after a 429 is ahead.
	Reason string
}

// ReasonPacing is the Wait.Reason of a wait for the server's pace.
const ReasonPacing = "pacing"

// Observation is one response, or a transport failure, as Pace.Observe
// takes it.
type Observation struct {
	Seq      int64     // Decision.Seq of the request
	Sent     time.Time // when it was sent
	Received time.Time // when the answer came
	Status   int       // HTTP status; 0 for a transport failure
	Limit    RateLimit // the rate-limit headers (ParseRateLimit)
	// RetryAfter is how long the retry policy waits after a 429 (the
	// server's Retry-After, or the policy's default when absent).
	RetryAfter time.Duration
}

// Reserve decides, at now, whether a request may go now: it takes a slot
// (Reserved) or tells the caller when to ask again. Slots are never taken
// ahead of time, so that what later answers teach applies to every caller
// still waiting, and a slot is always spent at once.
func (p *Pace) Reserve(now time.Time) Decision {
	reason := ReasonPacing
	if now.Before(p.WakeAt) {
		reason = CodeRateLimited
	}
	switch {
	case !p.Seen:
		// A probe, alone until its answer or its lease.
		if !p.ProbeUntil.IsZero() && now.Before(p.ProbeUntil) {
			return Decision{At: minTime(p.ProbeUntil, now.Add(pollInterval)), Reason: reason}
		}
		if now.Before(p.WakeAt) {
			return Decision{At: p.WakeAt, Reason: reason}
		}
		p.ProbeUntil = now.Add(probeLease)
		return p.take(now)
	case !p.Headers || p.Rate <= 0:
		if now.Before(p.WakeAt) {
			return Decision{At: p.WakeAt, Reason: reason}
		}
		return p.take(now)
	}
	interval := p.interval()
	earliest := p.Next.Add(-time.Duration(float64(p.burst()-1) * float64(interval)))
	if earliest.Before(p.WakeAt) {
		earliest = p.WakeAt
	}
	if !earliest.After(now) {
		p.Next = maxTime(p.Next, now).Add(interval)
		return p.take(now)
	}
	return Decision{At: earliest, Reason: reason}
}

func (p *Pace) take(at time.Time) Decision {
	p.Seq++
	return Decision{At: at, Reserved: true, Seq: p.Seq, Reason: ReasonPacing}
}

func (p *Pace) burst() int64 { return max(1, p.Burst) }

// interval is the time one token takes to come back at Rate.
func (p *Pace) interval() time.Duration {
	return time.Duration(float64(time.Second) / p.Rate)
}

// Observe learns from one answer: the bucket's size and the rate from
// its headers, the server's wake-up time from a 429, and corrects the
// bucket mirror.
func (p *Pace) Observe(o Observation) {
	if o.Status == 0 {
		// No answer: nothing learnt, but a probe need not hold the others.
		if !p.Seen {
			p.ProbeUntil = time.Time{}
		}
		return
	}
	p.Seen, p.ProbeUntil = true, time.Time{}
	l := o.Limit
	limited := o.Status == http.StatusTooManyRequests
	if limited {
		p.Rejected++
		wake := o.Received.Add(o.RetryAfter)
		if wake.After(p.WakeAt) {
			p.WakeAt = wake
		}
		if !p.Headers && !l.Present() {
			// A server without headers: after the wake-up one probe goes
			// first, the others wait for its answer.
			p.Seen = false
			return
		}
	}
	if !l.Present() || !l.Remaining.Present && !l.Limit.Present && l.Window == 0 {
		return
	}
	p.Headers = true
	if l.Limit.Present && l.Limit.Value > 0 {
		p.Burst = l.Limit.Value
	} else if l.Remaining.Present && l.Remaining.Value+1 > p.Burst {
		p.Burst = l.Remaining.Value + 1
	}
	if r := l.PolicyRate(); r > 0 {
		p.Rate, p.RateKnown, p.RateMax = clampRate(r), true, 0
	}
	if !l.Remaining.Present {
		return
	}
	rem := l.Remaining.Value
	if limited {
		rem = 0
	}
	p.learn(Reading{
		Seq: o.Seq, Sent: o.Sent, Received: o.Received, Remaining: rem, Accepted: !limited,
		Full: !limited && p.Burst >= 1 && rem == p.Burst-1,
	}, l)
	if p.Rate <= 0 {
		return
	}
	// Correct the mirror: the server held rem (and fewer than rem+1)
	// tokens when it answered, half way between sending and receiving,
	// less the reservations handed out after this one.
	interval := p.interval()
	after := max(0, p.Seq-o.Seq)
	tokens := float64(rem - after)
	answered := o.Received
	if o.Sent.Before(o.Received) {
		answered = o.Sent.Add(o.Received.Sub(o.Sent) / 2)
	}
	cautious := answered.Add(time.Duration((float64(p.burst()) - tokens) * float64(interval)))
	bold := cautious.Add(-interval)
	if p.Next.After(cautious) || p.Next.Before(bold) {
		p.Next = cautious
	}
	if limited {
		// From the wake-up on, one token at a time.
		first := p.WakeAt.Add(time.Duration(float64(p.burst()-1) * float64(interval)))
		if first.After(p.Next) {
			p.Next = first
		}
	}
}

// learn adds r to the readings and tightens the bounds of the rate.
func (p *Pace) learn(r Reading, l RateLimit) {
	if r.Accepted {
		p.Accepted++
	}
	r.Count = p.Accepted
	if p.RateKnown && l.PolicyRate() > 0 {
		return // the policy said it
	}
	lo, hi := rateBounds(p.Readings, r)
	keep := len(p.Readings) == 0 || r.Full || !r.Accepted ||
		r.Received.Sub(p.Readings[len(p.Readings)-1].Received) >= readingSpacing
	if keep {
		p.Readings = append(p.Readings, r)
		if len(p.Readings) > MaxReadings {
			p.Readings = slices.Delete(p.Readings, 0, len(p.Readings)-MaxReadings)
		}
	}
	if hi > 0 && (p.RateMax == 0 || hi < p.RateMax) {
		p.RateMax = hi
	}
	switch {
	case hi > 0 && p.Rate >= hi:
		// The server is slower than believed (or others share the key):
		// fall back below the proof.
		p.Rate, p.RateKnown = clampRate(0.95*hi), true
	case lo > p.Rate || lo > 0 && !p.RateKnown:
		p.Rate, p.RateKnown = clampRate(lo), true
		if p.RateMax > 0 && p.RateMax < p.Rate {
			p.RateMax = 0
		}
	case p.Rate <= 0 || !p.RateKnown:
		// A guess from Reset: Burst − Remaining tokens by then.
		if !l.ResetAt.IsZero() && l.ResetAt.After(r.Received) {
			guess := float64(p.burst()-r.Remaining) / l.ResetAt.Sub(r.Received).Seconds()
			if guess > 0 {
				p.Rate = clampRate(guess)
			}
		}
		if p.Rate <= 0 {
			p.Rate = defaultRate
		}
	}
}

// rateBounds returns the best lower and upper bounds of the refill rate
// that the pairs (j, n) of readings show, n being the newest; 0 when
// none. The requests between j and n are those whose answers arrived
// between them (Reading.Count), which holds while latency varies less
// than the time between requests; pairs less than minBoundSpan apart
// are not used.
func rateBounds(rs []Reading, n Reading) (lo, hi float64) {
	clean := !n.Full
	for j := len(rs) - 1; j >= 0; j-- {
		rj := rs[j]
		if j < len(rs)-1 && rs[j+1].Full {
			clean = false
		}
		span := n.Received.Sub(rj.Received).Seconds()
		k := float64(n.Count - rj.Count)
		if span < minBoundSpan.Seconds() || k < 0 {
			continue
		}
		hiJ := float64(rj.Remaining + 1)
		if rj.Full {
			hiJ = float64(rj.Remaining)
		}
		if b := (float64(n.Remaining) - hiJ + k) / span; b > lo {
			lo = b
		}
		if !clean {
			continue
		}
		top := float64(n.Remaining) + 1
		if !n.Accepted {
			top = 1 // it found less than one token
		}
		if b := (top - float64(rj.Remaining) + k) / span; b > 0 && (hi == 0 || b < hi) {
			hi = b
		}
	}
	return lo, hi
}

func clampRate(r float64) float64 {
	if math.IsNaN(r) || r <= 0 {
		return 0
	}
	return min(maxRate, max(minRate, r))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
