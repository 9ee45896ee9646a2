package runtime

import (
	"net/http"
	"strconv"
	"strings"
)

// Metering headers of the TrendTrack API.
const (
	HeaderUsageCost        = "X-Usage-Cost"
	HeaderCreditsUsed      = "X-Credits-Used"
	HeaderCreditsRemaining = "X-Credits-Remaining"
	HeaderCreditsSource    = "X-Credits-Source"
	HeaderRequestID        = "X-Request-Id"
	HeaderRetryAfter       = "Retry-After"
)

// A Count is a non-negative number read from a header that may be absent.
// The zero Count is "absent", which is distinct from a present zero.
type Count struct {
	Value   int64
	Present bool
}

// Known returns a present Count of v.
func Known(v int64) Count { return Count{Value: v, Present: true} }

// String returns the value, or "absent".
func (c Count) String() string {
	if !c.Present {
		return "absent"
	}
	return strconv.FormatInt(c.Value, 10)
}

// Metering is what one response said about credits. Every field may be
// absent: free endpoints send no metering headers, and values that are not
// non-negative integers are ignored rather than trusted.
type Metering struct {
	UsageCost        Count  // X-Usage-Cost: credits this request consumed
	CreditsUsed      Count  // X-Credits-Used: documented identically to X-Usage-Cost
	CreditsRemaining Count  // X-Credits-Remaining: balance after settlement
	CreditsSource    string // X-Credits-Source: recurring, topup or hybrid ("" when absent or unknown)
	RequestID        string // X-Request-Id
}

// Cost is the credits the request consumed: X-Usage-Cost, else
// X-Credits-Used, else absent.
func (m Metering) Cost() Count {
	if m.UsageCost.Present {
		return m.UsageCost
	}
	return m.CreditsUsed
}

// Metered reports whether the response carried any credit header.
func (m Metering) Metered() bool {
	return m.UsageCost.Present || m.CreditsUsed.Present || m.CreditsRemaining.Present
}

// maxCredits bounds a believable header value; anything larger is garbage.
const maxCredits = 1 << 53

// ParseMetering reads the metering headers of h.
func ParseMetering(h http.Header) Metering {
	m := Metering{
		UsageCost:        parseCount(h.Get(HeaderUsageCost)),
		CreditsUsed:      parseCount(h.Get(HeaderCreditsUsed)),
		CreditsRemaining: parseCount(h.Get(HeaderCreditsRemaining)),
		RequestID:        sanitizeID(h.Get(HeaderRequestID)),
	}
	switch src := strings.ToLower(strings.TrimSpace(h.Get(HeaderCreditsSource))); src {
	case "recurring", "topup", "hybrid":
		m.CreditsSource = src
	}
	return m
}

func parseCount(s string) Count {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 20 {
		return Count{}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v > maxCredits {
		return Count{}
	}
	return Count{Value: v, Present: true}
}

// sanitizeID keeps a request id printable and short, since it is echoed to
// models and logs.
func sanitizeID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 128 {
		s = s[:128]
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return ""
		}
	}
	return s
}
