package runtime

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Rate-limit headers tollgate reads. The TrendTrack API does not publish
// their names, so every common spelling is accepted (see ParseRateLimit).
const (
	HeaderXRateLimitLimit     = "X-RateLimit-Limit"
	HeaderXRateLimitRemaining = "X-RateLimit-Remaining"
	HeaderXRateLimitReset     = "X-RateLimit-Reset"
	HeaderRateLimit           = "RateLimit"
	HeaderRateLimitPolicy     = "RateLimit-Policy"
	HeaderRateLimitLimit      = "RateLimit-Limit"
	HeaderRateLimitRemaining  = "RateLimit-Remaining"
	HeaderRateLimitReset      = "RateLimit-Reset"
)

// Spellings of the rate-limit headers, as reported in RateLimit.Spelling.
const (
	SpellingX       = "x-ratelimit" // X-RateLimit-Limit/Remaining/Reset (also X-Rate-Limit-*)
	SpellingIETF    = "ietf"        // RateLimit and RateLimit-Policy, structured fields
	SpellingIETFOld = "ietf-trio"   // RateLimit-Limit/Remaining/Reset of the early drafts
)

// unixResetThreshold separates the two readings of a Reset value: at least
// this many seconds (2001-09-09 as a Unix time, 31 years as a delay) is a
// Unix timestamp; less is a number of seconds from now.
const unixResetThreshold = 1_000_000_000

// unixMillisThreshold: a Reset of at least this is a Unix time in
// milliseconds (year 2001 again; no delay or second timestamp is that big).
const unixMillisThreshold = 1_000_000_000_000

// maxResetAhead bounds a believable reset time; a later one is ignored.
const maxResetAhead = 48 * time.Hour

// RateLimit is what one response said about the server's rate limit for
// the key. Every field may be absent.
type RateLimit struct {
	// Limit is the quota: the requests allowed per Window, or, for a token
	// bucket (the sandbox), the bucket size.
	Limit Count
	// Remaining is the requests left right now (after this one).
	Remaining Count
	// ResetAt is when the quota is whole again; zero when absent.
	ResetAt time.Time
	// ResetIn is the reset as sent, when it was a number of seconds from
	// the answer (ResetRelative) rather than a Unix time: the pace reads
	// a whole number of seconds as rounded up.
	ResetIn       time.Duration
	ResetRelative bool
	// Window is the quota's time window (the IETF policy's w); 0 when the
	// headers do not say.
	Window time.Duration
	// Spelling says which family of headers was read (SpellingX, ...);
	// "" when the response carried none.
	Spelling string
}

// Present reports whether the response carried any rate-limit header
// tollgate could read.
func (l RateLimit) Present() bool { return l.Spelling != "" }

// PolicyRate is Limit per Window in requests per second, the long-run
// rate the policy allows; 0 when either is unknown.
func (l RateLimit) PolicyRate() float64 {
	if !l.Limit.Present || l.Limit.Value <= 0 || l.Window <= 0 {
		return 0
	}
	return float64(l.Limit.Value) / l.Window.Seconds()
}

// ParseRateLimit reads the rate-limit headers of h, received at now. In
// order of preference:
//
//   - RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers,
//     structured fields): `RateLimit: "default";r=5;t=3` and
//     `RateLimit-Policy: "default";q=10;w=1`, matched by policy name. With
//     several policies the most constraining one is kept (the fewest
//     remaining, then the latest reset). The dictionary form of draft 7,
//     `RateLimit: limit=10, remaining=5, reset=3`, is read too.
//   - RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (the early
//     drafts; Reset in seconds), with RateLimit-Policy `10;w=1` if sent.
//   - X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (also
//     spelt X-Rate-Limit-*).
//
// A Reset (and t) of at least 1,000,000,000 is a Unix time in seconds, of
// at least 10^12 a Unix time in milliseconds, and anything smaller a
// number of seconds from now (decimals allowed): no delay is 31 years, and
// no Unix time is before 2001. Values that are negative, not numbers, or
// more than 48 hours ahead are ignored. Limit and Remaining take the first
// integer of the field, so `RateLimit-Limit: 10, 10;w=1` reads as 10.
func ParseRateLimit(h http.Header, now time.Time) RateLimit {
	policies, _ := parsePolicies(h[keyRateLimitPolicy])
	if v := h[keyRateLimit]; len(v) > 0 {
		if l, ok := parseIETF(strings.Join(v, ","), policies, now); ok {
			return l
		}
	}
	if l, ok := parseTrio(h, now, keysIETFOld); ok {
		l.Spelling = SpellingIETFOld
		if p, ok := tightestPolicy(policies); ok {
			l.Window = p.window
			if !l.Limit.Present {
				l.Limit = p.quota
			}
		}
		return l
	}
	for _, keys := range keysX {
		if l, ok := parseTrio(h, now, keys); ok {
			l.Spelling = SpellingX
			return l
		}
	}
	if p, ok := tightestPolicy(policies); ok {
		return RateLimit{Limit: p.quota, Window: p.window, Spelling: SpellingIETF}
	}
	return RateLimit{}
}

// The rate-limit header names in their canonical form, which the keys of
// an http.Header have. Header.Get canonicalises the name it is given on
// every call, and names such as "X-RateLimit-Limit" (canonically
// "X-Ratelimit-Limit") are not canonical as spelt, so every lookup of
// every response allocated; looking the canonical names up directly is
// the same lookup without that.
var (
	keyRateLimit       = http.CanonicalHeaderKey(HeaderRateLimit)
	keyRateLimitPolicy = http.CanonicalHeaderKey(HeaderRateLimitPolicy)
	keysIETFOld        = canonicalTrio("RateLimit-")
	keysX              = [...][3]string{canonicalTrio("X-RateLimit-"), canonicalTrio("X-Rate-Limit-")}
)

// canonicalTrio is the Limit, Remaining and Reset headers of a prefix.
func canonicalTrio(prefix string) [3]string {
	return [3]string{http.CanonicalHeaderKey(prefix + "Limit"), http.CanonicalHeaderKey(prefix + "Remaining"), http.CanonicalHeaderKey(prefix + "Reset")}
}

// first is h.Get(key) for a key already canonical.
func first(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parseTrio reads three plain headers (limit, remaining, reset; keys in
// canonical form); ok when any of them is readable.
func parseTrio(h http.Header, now time.Time, keys [3]string) (RateLimit, bool) {
	l := RateLimit{
		Limit:     parseLeadingCount(first(h, keys[0])),
		Remaining: parseLeadingCount(first(h, keys[1])),
	}
	l.setReset(first(h, keys[2]), now)
	return l, l.Limit.Present || l.Remaining.Present || !l.ResetAt.IsZero()
}

// parseLeadingCount reads the first integer of a field such as "10" or
// "10, 10;w=1".
func parseLeadingCount(s string) Count {
	if i := strings.IndexAny(s, ",;"); i >= 0 {
		s = s[:i]
	}
	return parseCount(s)
}

// ParseRateLimitReset reads a reset value received at now: delta-seconds
// (decimals allowed) below 10^9, a Unix time in seconds from 10^9, in
// milliseconds from 10^12. A time in the past means now. ok is false for
// an absent, negative, unreadable or implausibly distant (more than 48
// hours ahead) value.
func ParseRateLimitReset(v string, now time.Time) (time.Time, bool) {
	t, _, _, ok := parseReset(v, now)
	return t, ok
}

// parseReset is ParseRateLimitReset that also says whether v was a
// number of seconds from now (relative) and how many (in).
func parseReset(v string, now time.Time) (t time.Time, in time.Duration, relative, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 32 {
		return time.Time{}, 0, false, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, 0, false, false
	}
	switch {
	case f >= unixMillisThreshold:
		if f > 1e15 {
			return time.Time{}, 0, false, false
		}
		t = time.UnixMilli(int64(f))
	case f >= unixResetThreshold:
		sec, frac := math.Modf(f)
		t = time.Unix(int64(sec), int64(frac*1e9))
	default:
		in, relative = time.Duration(f*float64(time.Second)), true
		t = now.Add(in)
	}
	t = t.In(now.Location())
	if t.Before(now) {
		t = now
	}
	if t.Sub(now) > maxResetAhead {
		return time.Time{}, 0, false, false
	}
	return t, in, relative, true
}

// setReset reads the reset value v into l.
func (l *RateLimit) setReset(v string, now time.Time) {
	if t, in, rel, ok := parseReset(v, now); ok {
		l.ResetAt, l.ResetIn, l.ResetRelative = t, in, rel
	}
}

// policy is one item of RateLimit-Policy.
type policy struct {
	name   string
	quota  Count
	window time.Duration
}

// parsePolicies reads RateLimit-Policy: a list of items whose bare item is
// the policy's name (a string or token; an integer in the early drafts,
// where it is the quota) with parameters q (quota) and w (window seconds).
func parsePolicies(fields []string) ([]policy, bool) {
	if len(fields) == 0 {
		return nil, false
	}
	members, err := parseSFList(strings.Join(fields, ","))
	if err != nil {
		return nil, false
	}
	var out []policy
	for _, m := range members {
		p := policy{name: m.name()}
		if n, ok := m.value.(int64); ok {
			p.quota = countOf(n)
		}
		if q, ok := m.params.int("q"); ok {
			p.quota = countOf(q)
		}
		if w, ok := m.params.int("w"); ok && w > 0 && w <= int64(maxResetAhead/time.Second) {
			p.window = time.Duration(w) * time.Second
		}
		if p.quota.Present {
			out = append(out, p)
		}
	}
	return out, len(out) > 0
}

// tightestPolicy returns the policy allowing the lowest long-run rate.
func tightestPolicy(ps []policy) (policy, bool) {
	best, found := policy{}, false
	rate := func(p policy) float64 {
		if p.window <= 0 {
			return math.Inf(1)
		}
		return float64(p.quota.Value) / p.window.Seconds()
	}
	for _, p := range ps {
		if !found || rate(p) < rate(best) {
			best, found = p, true
		}
	}
	return best, found
}

// parseIETF reads the RateLimit field of the current drafts (a list of
// items: the policy name with r = remaining and t = seconds to reset) or
// of draft 7 (a dictionary limit=, remaining=, reset=).
func parseIETF(field string, policies []policy, now time.Time) (RateLimit, bool) {
	members, err := parseSFList(field)
	if err != nil || isDictionaryLike(members) {
		return parseIETFDictionary(field, now)
	}
	var best RateLimit
	found := false
	for _, m := range members {
		l := RateLimit{Spelling: SpellingIETF}
		if r, ok := m.params.int("r"); ok {
			l.Remaining = countOf(r)
		}
		if t, ok := m.params.number("t"); ok {
			l.setReset(strconv.FormatFloat(t, 'f', -1, 64), now)
		}
		if !l.Remaining.Present && l.ResetAt.IsZero() {
			continue
		}
		for _, p := range policies {
			if p.name == m.name() {
				l.Limit, l.Window = p.quota, p.window
				break
			}
		}
		if !found || tighter(l, best) {
			best, found = l, true
		}
	}
	if found && !best.Limit.Present && len(members) == 1 {
		// One unnamed or unmatched status and one policy: they go together.
		if p, ok := tightestPolicy(policies); ok && len(policies) == 1 {
			best.Limit, best.Window = p.quota, p.window
		}
	}
	return best, found
}

// isDictionaryLike reports whether a list parse saw draft 7's keys as
// bare tokens (which only happens for "limit, remaining" without values).
func isDictionaryLike(ms []sfMember) bool {
	for _, m := range ms {
		switch m.name() {
		case "limit", "remaining", "reset":
			if _, isToken := m.value.(sfToken); isToken {
				return true
			}
		}
	}
	return false
}

func parseIETFDictionary(field string, now time.Time) (RateLimit, bool) {
	d, err := parseSFDictionary(field)
	if err != nil {
		return RateLimit{}, false
	}
	l := RateLimit{Spelling: SpellingIETF}
	if v, ok := d.int("limit"); ok {
		l.Limit = countOf(v)
	}
	if v, ok := d.int("remaining"); ok {
		l.Remaining = countOf(v)
	}
	if v, ok := d.number("reset"); ok {
		l.setReset(strconv.FormatFloat(v, 'f', -1, 64), now)
	}
	return l, l.Limit.Present || l.Remaining.Present || !l.ResetAt.IsZero()
}

// tighter reports whether a constrains the client more than b: fewer
// requests remaining, then a later reset.
func tighter(a, b RateLimit) bool {
	switch {
	case a.Remaining.Present && !b.Remaining.Present:
		return true
	case a.Remaining.Present && b.Remaining.Present && a.Remaining.Value != b.Remaining.Value:
		return a.Remaining.Value < b.Remaining.Value
	}
	return a.ResetAt.After(b.ResetAt)
}

func countOf(v int64) Count {
	if v < 0 || v > maxCredits {
		return Count{}
	}
	return Known(v)
}
