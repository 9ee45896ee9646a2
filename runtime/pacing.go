package runtime

import (
	"math"
	"net/http"
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
// # Learning the rate from headers
//
// The headers give the bucket's size (Limit) but, in the X-RateLimit
// spelling, not its rate: Remaining is whole tokens and Reset whole
// seconds. The rate is bracketed by what the readings prove (RateMin,
// RateMax; see rateBounds):
//
//   - Between two readings j and n, the tokens the server gained are
//     what Remaining went up by plus the requests it accepted in between.
//     Which requests those were is not certain when latency varies, so
//     the proof counts only the requests certainly in between for the
//     lower bound (and every request possibly in between for the upper
//     one), over the longest time the two could be apart (or the
//     shortest). The uncertainty is a few requests at each end, so the
//     readings of the last half minute or so are combined: over a long
//     span it is a small share of the count.
//   - Reset is whole seconds, rounded up: the bucket is full within
//     Reset, and not within Reset − 1. Each reading therefore brackets
//     the rate too, tightly for a large bucket and not at all for a small
//     one (two tokens at 20/s are always "1 s" away).
//   - An IETF RateLimit-Policy (q per w) gives the rate, w being whole
//     seconds too: at least q/w, and below q/(w−1).
//
// tollgate paces at no less than the proven lower bound. A client paced
// at a bound it has proven proves no more than it sends: the bucket stays
// full, and a full bucket says only that its tokens went unused. So while
// the answers show a full bucket and callers are waiting, the pace
// probes upward (a few per cent a second, see probeGrowth), and the first
// answer that shows the server behind the mirror brings it back to the
// proven bound. Until a bound is known, a rate is guessed from Reset
// (Limit − Remaining tokens by the reset time).
//
// # 429
//
// A 429 says when the server will take requests again (Retry-After). That
// wake-up time is shared: no caller sends before it, and from then on the
// callers go one by one at the server's pace, not all at once. The 429
// also bounds the rate from above.
//
// # A server without rate-limit headers
//
// Until its first 429 it is not paced by rate (it may have no limit at
// all), but callers ramp up: no more requests in flight than one more
// than the answers it accepted (for probeLease at most without an
// answer), so that one caller never waits and sixteen start one, two,
// four, ... The first 429 sets the pace to what the server accepted until
// then over that time and the wait it asks for. The pace grows while
// callers wait, fast until the second 429 (slow start), which cuts it to
// half, then slowly; a later 429 cuts it to 90 %, or to what the server
// accepted since its last wake-up if that is less (see the learn429
// constants). 429s of requests sent before a cut are the same event and
// do not cut it twice. A 429 found the bucket with less than one token,
// so every later answer proves a lower bound of the rate (see
// headerlessBound) that the pace never falls below.
//
// # Before the first answer
//
// Until a response has been seen, one request goes alone (a probe) and the
// others wait for its answer, so that sixteen callers do not start with
// sixteen requests against a bucket of two. Requests that go before the
// mirror has a rate (the probe, or a headerless server before its first
// 429) are counted as spent once it has one, so that the next requests
// of every process sharing the state take their turn after them.
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
	// rate; one is kept per readingSpacing at most (every 429, and a
	// full bucket per fullSpacing), so they cover up to half a minute.
	MaxReadings    = 48
	readingSpacing = 600 * time.Millisecond
	fullSpacing    = 100 * time.Millisecond
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
	// pressedFor is how recently a caller must have been held for the
	// pace for the pace to grow: a pace nobody waits for proves nothing.
	pressedFor = time.Second
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
	// Rate is the pacing rate in requests per second: at least RateMin
	// (above it while probing), or the policy's rate, or a guess from
	// Reset, or what 429s taught of a server without headers; 0 until
	// anything is known.
	Rate float64 `json:"rate,omitempty"`
	// RateKnown is set when Rate rests on a bound, the policy or 429s,
	// not a guess.
	RateKnown bool `json:"rateKnown,omitempty"`
	// RateMin is the best lower bound of the server's rate the readings
	// prove; 0 when none.
	RateMin float64 `json:"rateMin,omitempty"`
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
	// Held is the last time a caller was told to wait for the pace (not
	// for a wake-up): the pace only grows while someone waits for it.
	Held time.Time `json:"held,omitzero"`
	// Drained is when an answer last found the bucket empty (or a 429):
	// the pace does not probe upward for probeQuiet after it.
	Drained time.Time `json:"drained,omitzero"`
	// Seq counts the reservations handed out.
	Seq int64 `json:"seq"`
	// Done counts the answers (and transport failures) observed; Seq −
	// Done requests are in flight.
	Done int64 `json:"done,omitempty"`
	// Unpaced counts the reservations handed out while the mirror had no
	// rate; the mirror counts them as spent once it has one.
	Unpaced int64 `json:"unpaced,omitempty"`
	// Readings are the last MaxReadings responses the rate is learnt
	// from, in order of arrival.
	Readings []Reading `json:"readings,omitempty"`
	// Spread is the spread of the readings' round trips (longest less
	// shortest).
	Spread time.Duration `json:"spread,omitempty"`
	// Rejected counts 429s observed, Accepted the other answers the rate
	// is learnt from.
	Rejected int64 `json:"rejected,omitempty"`
	Accepted int64 `json:"accepted,omitempty"`
	// CutAt is when the rate was last cut after a 429: 429s of requests
	// sent before it are the same event.
	CutAt time.Time `json:"cutAt,omitzero"`
	// Cruising is set once the pace was found too fast: it then probes
	// upward slowly.
	Cruising bool `json:"cruising,omitempty"`
	// Cuts counts, for a server without headers, the times its pace was
	// cut after a 429.
	Cuts int64 `json:"cuts,omitempty"`
	// StretchAt is when the last stretch of pacing a server without
	// headers began (its first answer, or the wake-up after a 429), and
	// WokeCount Accepted then.
	StretchAt time.Time `json:"stretchAt,omitzero"`
	WokeCount int64     `json:"wokeCount,omitempty"`
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
	// Flight is how many requests were in flight once it arrived; Overlap
	// how many answers arrived while it was. Both bound how far the
	// order of answers may differ from the server's order.
	Flight  int64 `json:"fl,omitempty"`
	Overlap int64 `json:"ov,omitempty"`
	// Capped is set when a full-bucket reading came after this one and
	// was not kept: the bucket overflowed between it and the next kept.
	Capped bool `json:"cp,omitempty"`
}

// A Decision is Pace.Reserve's answer.
type Decision struct {
	// At is when to send (Reserved) or when to ask again (not Reserved).
	At time.Time
	// Reserved is set when a slot was taken: send at At.
	Reserved bool
	// Seq identifies the reservation; pass it back in the Observation.
	Seq int64
	// Done is Pace.Done when the slot was taken; pass it back in the
	// Observation.
	Done int64
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
	Done     int64     // Decision.Done of the request
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
		p.Unpaced++
		return p.take(now)
	case p.Rate <= 0:
		if now.Before(p.WakeAt) {
			return Decision{At: p.WakeAt, Reason: reason}
		}
		if !p.Headers {
			// A server without headers before its first 429: no more in
			// flight than one more than the answers it accepted, so that
			// callers ramp up instead of starting all at once; for
			// probeLease at most, as for a probe (a process that dies
			// with requests in flight does not hold the others).
			if p.Seq-p.Done > p.Accepted && now.Before(p.ProbeUntil) {
				return Decision{At: minTime(p.ProbeUntil, now.Add(pollInterval)), Reason: reason}
			}
			p.ProbeUntil = now.Add(probeLease)
		}
		p.Unpaced++
		return p.take(now)
	}
	interval := p.interval()
	earliest := p.Next.Add(-time.Duration(float64(p.burst()-1) * float64(interval)))
	if p.Headers && p.Burst == 1 {
		// A bucket of one has no room for a request that reaches the
		// server sooner after the last than it was sent: space them by
		// the spread of latency more.
		earliest = earliest.Add(p.Spread)
	}
	if earliest.Before(p.WakeAt) {
		earliest = p.WakeAt
	}
	if !earliest.After(now) {
		p.Next = maxTime(p.Next, now).Add(interval)
		return p.take(now)
	}
	if reason == ReasonPacing {
		p.Held = now
	}
	return Decision{At: earliest, Reason: reason}
}

func (p *Pace) take(at time.Time) Decision {
	p.Seq++
	return Decision{At: at, Reserved: true, Seq: p.Seq, Done: p.Done, Reason: ReasonPacing}
}

func (p *Pace) burst() int64 { return max(1, p.Burst) }

// interval is the time one token takes to come back at Rate.
func (p *Pace) interval() time.Duration {
	return time.Duration(float64(time.Second) / p.Rate)
}

// pressed reports whether a caller waited for the pace shortly before
// at: within pressedFor, or two intervals of a slow pace.
func (p *Pace) pressed(at time.Time) bool {
	within := pressedFor
	if p.Rate > 0 {
		within = max(within, 2*p.interval())
	}
	return !p.Held.IsZero() && at.Sub(p.Held) <= within
}

// Observe learns from one answer: the bucket's size and the rate from
// its headers (or from 429s alone, for a server without them), the
// server's wake-up time from a 429, and corrects the bucket mirror.
func (p *Pace) Observe(o Observation) {
	p.Done++
	if !p.Seen {
		// A probe's answer, or its failure: it need not hold the others.
		p.ProbeUntil = time.Time{}
	}
	if o.Status == 0 {
		return // no answer: nothing learnt
	}
	p.Seen = true
	l := o.Limit
	limited := o.Status == http.StatusTooManyRequests
	if limited {
		p.Rejected++
		wake := o.Received.Add(o.RetryAfter)
		if wake.After(p.WakeAt) {
			p.WakeAt = wake
		}
	}
	if !l.Present() || !l.Remaining.Present && !l.Limit.Present && l.Window == 0 {
		if !p.Headers {
			p.learn429(o, limited)
		}
		return
	}
	if !p.Headers {
		// The first answer with headers: whatever 429s alone taught is
		// superseded.
		p.Headers, p.Rate, p.RateKnown, p.Readings, p.Cruising = true, 0, false, nil, false
	}
	if l.Limit.Present && l.Limit.Value > 0 {
		p.Burst = l.Limit.Value
	} else if l.Remaining.Present && l.Remaining.Value+1 > p.Burst {
		p.Burst = l.Remaining.Value + 1
	}
	if !l.Remaining.Present {
		// The policy alone (or only a limit): the rate, if it says one,
		// and the mirror as it is.
		if lo, _ := policyBounds(l); lo > 0 && lo > p.Rate {
			p.Rate, p.RateKnown, p.RateMin = clampRate(lo), true, max(p.RateMin, clampRate(lo))
		}
		p.foldUnpaced(o.Received)
		return
	}
	rem := l.Remaining.Value
	if limited {
		rem = 0
	}
	r := p.readingOf(o, !limited)
	r.Remaining, r.Full = rem, !limited && p.Burst >= 1 && rem == p.Burst-1
	mid := o.Received
	if o.Sent.Before(o.Received) {
		mid = o.Sent.Add(o.Received.Sub(o.Sent) / 2)
	}
	after := max(0, p.Seq-o.Seq)
	owed := func() time.Duration {
		return time.Duration((float64(p.burst()) - float64(rem-after)) * float64(p.interval()))
	}
	// The server held rem (and fewer than rem+1) tokens when it answered,
	// half way between sending and receiving, less the reservations
	// handed out after this one. When the mirror holds more than a token
	// more (and more than the spread of latency can explain), the server
	// is behind it: the pace is at the server's rate or above (or others
	// spend on the key), and does not probe upward for a while.
	behind := p.Rate > 0 && p.Next.Before(mid.Add(owed()-p.interval()-p.Spread/2))
	if limited || behind {
		p.Drained = o.Received
	}
	p.learn(r, l, o)
	if p.Rate <= 0 {
		return
	}
	p.foldUnpaced(o.Received)
	// Correct the mirror: where it is more cautious than the server, the
	// spare tokens are used at once; where it is bolder, it is pulled
	// back, and a pace that is not yet cut for it is cut.
	switch cautious := mid.Add(owed()); {
	case p.Next.After(cautious):
		p.Next = cautious
	case behind:
		if !r.Full && !limited {
			p.slowToProven()
		}
		p.Next = mid.Add(owed())
	}
	interval := p.interval()
	if limited {
		// From the wake-up on, one token at a time.
		first := p.WakeAt.Add(time.Duration(float64(p.burst()-1) * float64(interval)))
		if first.After(p.Next) {
			p.Next = first
		}
	}
}

// readingOf is the reading of o's answer, accepted or not, as far as it
// does not depend on headers: when it was sent and received, and how many
// requests were in flight beside it.
func (p *Pace) readingOf(o Observation, accepted bool) Reading {
	return Reading{
		Seq: o.Seq, Sent: o.Sent, Received: o.Received, Accepted: accepted,
		Flight:  max(0, p.Seq-p.Done),
		Overlap: max(0, p.Done-o.Done-1),
	}
}

// foldUnpaced counts the reservations handed out while the mirror had
// no rate as spent at the latest at.
func (p *Pace) foldUnpaced(at time.Time) {
	if p.Unpaced <= 0 || p.Rate <= 0 {
		return
	}
	p.Next = maxTime(p.Next, at).Add(time.Duration(float64(p.Unpaced) * float64(p.interval())))
	p.Unpaced = 0
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
