package runtime

import (
	"math"
	"slices"
	"time"
)

// How the pace grows and is cut (see Pace). A growth g makes the rate
// grow by the fraction g a second while every answer counts: each answer
// adds g requests/s, and at a rate of R there are R answers a second.
const (
	// probeGrowth and probeGrowthFirst are the growth while answers with
	// headers show a full bucket and callers wait: before the pace has
	// first been found too fast, and after.
	probeGrowthFirst = 0.5
	probeGrowth      = 0.05
	// A server without headers (see learn429): its pace grows by
	// slowStartGrowth from its first 429 to its second, which cuts it to
	// firstCut times the pace it came at (a slow start overshoots). A
	// later 429 cuts it to cut times, or to stretchFactor times what the
	// server accepted since the last wake-up if that is less, or to
	// deepCut times when it came within shortStretch accepted requests of
	// the wake-up (far too fast); never below what the 429s prove (see
	// headerlessBound). The pace grows by afterFirstGrowth until the
	// third 429, by cruiseGrowth after.
	slowStartGrowth  = 1.5
	afterFirstGrowth = 0.2
	cruiseGrowth     = 0.0025
	firstCut         = 0.5
	cut              = 0.9
	stretchFactor    = 0.97
	deepCut          = 0.5
	shortStretch     = 4
	// probeHeadroom and probeHeadroomFirst are how far above the proven
	// lower bound the pace may probe, after it was first found too fast
	// and before.
	probeHeadroomFirst = 1.0
	probeHeadroom      = 0.05
	// probeQuiet is how long no answer may have found the bucket empty
	// for the pace to probe upward.
	probeQuiet = time.Second
	// ceilingFactor keeps the pace under a proven upper bound.
	ceilingFactor = 0.97
	// cutBack is what a pace found too fast keeps (at least the proven
	// lower bound).
	cutBack = 0.8
)

// learn adds r, an answer with rate-limit headers l, to the readings,
// tightens the bounds of the rate and sets the pace.
func (p *Pace) learn(r Reading, l RateLimit, o Observation) {
	if r.Accepted {
		p.Accepted++
	}
	r.Count = p.Accepted
	lo, hi := rateBounds(p.Readings, r)
	proven := lo > 0
	if rlo, rhi := resetBounds(l, r, p.burst()); rlo > 0 || rhi > 0 {
		lo, hi = max(lo, rlo), minPositive(hi, rhi)
	}
	if plo, phi := policyBounds(l); plo > 0 || phi > 0 {
		lo, hi = max(lo, plo), minPositive(hi, phi)
		proven = true
	}
	p.keep(r, readingSpacing)
	if hi > 0 && (p.RateMax == 0 || hi < p.RateMax) {
		p.RateMax = hi
	}
	if lo > p.RateMin {
		p.RateMin = clampRate(lo)
	}
	if p.RateMax > 0 && p.RateMin >= p.RateMax {
		// The proofs disagree: the server slowed down, or others spend on
		// the key. Fall back below the upper one.
		p.RateMin = clampRate(0.95 * p.RateMax)
	}
	if proven {
		p.RateKnown = true
	}

	if !r.Accepted && !o.Sent.Before(p.CutAt) {
		// Too fast: back to what is proven, and probe slowly from now on.
		p.CutAt = o.Received
		p.slowToProven()
	}
	rate := p.Rate
	if !p.RateKnown {
		// Until the readings prove a rate over time, a guess from Reset:
		// Burst − Remaining tokens by then.
		rate = max(rate, resetGuess(l, r, p.burst()))
	}
	if r.Full && p.Burst >= 2 && p.pressed(r.Received) && r.Received.Sub(p.Drained) >= probeQuiet {
		// A full bucket of two or more had a token to spare, and none was
		// found empty for a while: probe.
		g := probeGrowthFirst
		if p.Cruising {
			g = probeGrowth
		}
		rate += g
	}
	if p.RateMin > 0 {
		// Never far above what is proven.
		h := probeHeadroomFirst
		if p.Cruising {
			h = probeHeadroom
		}
		rate = min(rate, p.RateMin*(1+h))
	}
	if p.RateMax > 0 && rate > ceilingFactor*p.RateMax {
		rate = ceilingFactor * p.RateMax
	}
	rate = max(rate, p.RateMin)
	if rate <= 0 {
		rate = defaultRate
	}
	p.Rate = clampRate(rate)
}

// slowToProven cuts the pace by cutBack, not below the proven lower
// bound, and slows the probing down from then on.
func (p *Pace) slowToProven() {
	p.Cruising = true
	if p.Rate > 0 {
		p.Rate = clampRate(max(p.RateMin, cutBack*p.Rate))
	}
}

// keep appends r to the readings when it is far enough from the last one
// kept (fullSpacing for a full bucket), or is a 429, and drops the oldest beyond
// MaxReadings. A full bucket between two kept readings marks the older.
func (p *Pace) keep(r Reading, spacing time.Duration) {
	n := len(p.Readings)
	since := time.Duration(math.MaxInt64)
	if n > 0 {
		since = r.Received.Sub(p.Readings[n-1].Received)
	}
	// Every 429 is kept (each bounds the rate from above), and a full
	// bucket more often than the others (each is exact).
	spaced := since >= spacing || !r.Accepted || r.Full && since >= fullSpacing
	if !spaced {
		if r.Full {
			p.Readings[n-1].Capped = true
		}
		return
	}
	p.Readings = append(p.Readings, r)
	if len(p.Readings) > MaxReadings {
		p.Readings = slices.Delete(p.Readings, 0, len(p.Readings)-MaxReadings)
	}
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	for _, r := range p.Readings {
		rtt := r.Received.Sub(r.Sent)
		lo, hi = min(lo, rtt), max(hi, rtt)
	}
	p.Spread = max(0, hi-lo)
}

// rateBounds returns the best lower and upper bounds of the refill rate
// that the pairs (j, n) of readings show, n being the newest; 0 when
// none.
//
// Between the server's answers to j and to n, the bucket went from
// fewer than Remaining_j+1 tokens (exactly Remaining_j when j found it
// full) to at least Remaining_n+1 before n took its own, and gave a
// token to each request it accepted in between: so Rate ≥ (Remaining_n
// − Remaining_j + K) / span when j was not full. The requests K are
// counted from the answers that arrived between j and n, less those
// that may have been answered by the server before j (at most the
// requests in flight when j arrived) or after n (at most the answers
// that arrived while n was in flight); span is the longest time the two
// answers can be apart, from j's sending to n's arrival. The upper bound
// is the mirror image (every request possibly in between, the shortest
// span) and holds only while the bucket did not overflow in between (no
// full-bucket reading). Pairs less than minBoundSpan apart are not used.
func rateBounds(rs []Reading, n Reading) (lo, hi float64) {
	clean := !n.Full
	// The tokens before n took its own: at least least, fewer than top.
	least, top := float64(n.Remaining)+1, float64(n.Remaining)+2
	if !n.Accepted {
		least, top = 0, 1 // it found less than one token
	}
	for j := len(rs) - 1; j >= 0; j-- {
		rj := rs[j]
		if rj.Capped || j < len(rs)-1 && rs[j+1].Full {
			clean = false
		}
		between := float64(n.Count - rj.Count)
		if n.Accepted {
			between-- // n's own token is in Remaining_n + 1
		}
		if between < 0 {
			continue
		}
		below := float64(rj.Remaining + 1) // tokens after j, at most
		if rj.Full {
			below = float64(rj.Remaining)
		}
		if long := n.Received.Sub(rj.Sent).Seconds(); long >= minBoundSpan.Seconds() {
			k := between - float64(rj.Flight) - float64(n.Overlap)
			if b := (least - below + k) / long; b > lo {
				lo = b
			}
		}
		if !clean {
			continue
		}
		short := n.Sent.Sub(rj.Received).Seconds()
		if short < minBoundSpan.Seconds() {
			continue
		}
		k := between + float64(rj.Overlap) + float64(n.Flight)
		if b := (top - float64(rj.Remaining) + k) / short; b > 0 && (hi == 0 || b < hi) {
			hi = b
		}
	}
	return lo, hi
}

// resetBounds returns the bounds of the rate that one reading's Reset
// proves, Reset being a whole number of seconds from the answer, rounded
// up, until the bucket of burst tokens is full again: the missing tokens
// (at least burst − Remaining − 1, at most burst − Remaining) come back
// within Reset and not within Reset − 1 s. 0 for a bound it does not
// give.
func resetBounds(l RateLimit, r Reading, burst int64) (lo, hi float64) {
	if !l.ResetRelative || !r.Accepted {
		return 0, 0
	}
	secs := l.ResetIn.Seconds()
	if secs <= 0 || secs != float64(int64(secs)) {
		return 0, 0
	}
	if missing := float64(burst - r.Remaining - 1); missing > 0 {
		lo = missing / secs
	}
	if secs >= 2 {
		hi = float64(burst-r.Remaining) / (secs - 1)
	}
	return lo, hi
}

// resetGuess is the rate at which Reset would see the bucket full if it
// were exact: burst − Remaining tokens by then; 0 without a reset.
func resetGuess(l RateLimit, r Reading, burst int64) float64 {
	if l.ResetAt.IsZero() || !l.ResetAt.After(r.Received) {
		return 0
	}
	return float64(burst-r.Remaining) / l.ResetAt.Sub(r.Received).Seconds()
}

// policyBounds returns the bounds of the rate an IETF policy (q per w)
// gives, w being whole seconds: at least q/w, and below q/(w − 1) when w
// is 2 s or more.
func policyBounds(l RateLimit) (lo, hi float64) {
	lo = l.PolicyRate()
	if lo <= 0 {
		return 0, 0
	}
	if w := l.Window.Seconds(); w >= 2 && w == float64(int64(w)) {
		hi = float64(l.Limit.Value) / (w - 1)
	}
	return lo, hi
}

func minPositive(a, b float64) float64 {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}

// learn429 learns the rate of a server that sends no rate-limit headers
// from its answers alone (see Pace). Until its first 429 it is not paced
// by rate, only by how many requests are in flight (see Reserve). The
// first 429 sets the pace to what the server gave until then, counting
// the wait it asks for; the pace then grows while callers wait, fast
// until the second 429 (slow start), and is cut by each new 429 (see
// the constants above). Every answer after a 429 proves a lower bound
// (see headerlessBound) the pace never falls below.
func (p *Pace) learn429(o Observation, limited bool) {
	if !limited {
		p.Accepted++
	}
	r := p.readingOf(o, !limited)
	r.Count = p.Accepted
	if lo := headerlessBound(p.Readings, r); lo > p.RateMin {
		p.RateMin = clampRate(lo)
	}
	if p.StretchAt.IsZero() {
		p.StretchAt = o.Sent
	}
	if !limited {
		if p.Rate > 0 && p.pressed(o.Received) {
			g := slowStartGrowth
			switch {
			case p.Cuts == 2:
				g = afterFirstGrowth
			case p.Cuts > 2:
				g = cruiseGrowth
			}
			p.Rate = clampRate(p.Rate + g)
		}
		if p.Rate > 0 {
			p.Rate = max(p.Rate, p.RateMin)
		}
		return
	}
	// Only a 429 says how full the bucket was.
	p.keep(r, 0)
	// Whatever went unpaced is answered by this 429: the server is empty
	// until its wake-up, and from then on one request goes at a time.
	p.Unpaced = 0
	p.Next = p.WakeAt // the server's word, over the mirror's
	p.Drained = o.Received
	if o.Sent.Before(p.CutAt) {
		return // sent before the last cut: the same event
	}
	given := float64(p.Accepted - p.WokeCount)
	stretch := o.Sent.Sub(p.StretchAt)
	var rate float64
	switch {
	case p.Cuts == 0 || p.Rate <= 0:
		// What it gave until now, and the wait: at least one request a
		// wake-up.
		wait := max(o.RetryAfter, time.Second)
		rate = max(given, 1) / (max(stretch, 0) + wait).Seconds()
	case p.Cuts == 1:
		rate = firstCut * p.Rate // the slow start overshot
	case given < shortStretch:
		rate = deepCut * p.Rate
	default:
		// What the server gave since the last wake-up is no more than its
		// rate and burst.
		rate = cut * p.Rate
		if stretch > 0 {
			rate = min(rate, stretchFactor*given/stretch.Seconds())
		}
	}
	if o.RetryAfter > 0 {
		// The server said one request goes after its wait: hardly ever
		// slower (a little, for the variance of latency).
		rate = max(rate, stretchFactor/o.RetryAfter.Seconds())
	}
	p.Cuts++
	p.Rate, p.RateKnown, p.CutAt = clampRate(max(rate, p.RateMin)), true, o.Received
	p.StretchAt, p.WokeCount = p.WakeAt, p.Accepted
}

// headerlessBound is the best lower bound of the rate of a server
// without headers that the 429s among rs prove with n, the newest
// answer: a 429 found the bucket with less than one token, and n left
// it with no fewer than none, so the server gained at least the
// requests it accepted in between less one, in the longest time the two
// can be apart. The requests counted are those whose answers arrived
// between the two (Reading.Count) less those that may have been served
// before the 429 or after n (Reading.Flight, Reading.Overlap). 0 when
// none.
func headerlessBound(rs []Reading, n Reading) (lo float64) {
	for _, j := range rs {
		if j.Accepted {
			continue
		}
		long := n.Received.Sub(j.Sent).Seconds()
		if long < minBoundSpan.Seconds() {
			continue
		}
		k := float64(n.Count-j.Count) - float64(j.Flight) - float64(n.Overlap)
		if b := (k - 1) / long; b > lo {
			lo = b
		}
	}
	return lo
}
