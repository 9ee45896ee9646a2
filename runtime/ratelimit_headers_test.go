package runtime_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
)

func TestParseRateLimitReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    string
		want time.Duration // from epoch
		ok   bool
	}{
		{"delta seconds", "3", 3 * time.Second, true},
		{"delta zero", "0", 0, true},
		{"fractional delta", "1.5", 1500 * time.Millisecond, true},
		{"spaces", "  2 ", 2 * time.Second, true},
		{"unix seconds", strconv.FormatInt(epoch.Add(42*time.Second).Unix(), 10), 42 * time.Second, true},
		{"unix seconds in the past", strconv.FormatInt(epoch.Add(-time.Hour).Unix(), 10), 0, true},
		{"unix milliseconds", strconv.FormatInt(epoch.Add(1500*time.Millisecond).UnixMilli(), 10), 1500 * time.Millisecond, true},
		{"largest delta", "999999999", 0, false}, // 31 years: implausible
		{"a day is believable", "86400", 24 * time.Hour, true},
		{"negative", "-1", 0, false},
		{"word", "soon", 0, false},
		{"empty", "", 0, false},
		{"NaN", "NaN", 0, false},
		{"Inf", "+Inf", 0, false},
		{"http date is not a reset", "Fri, 20 Nov 2026 10:30:03 GMT", 0, false},
		{"far unix future", "4102444800", 0, false}, // 2100
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := runtime.ParseRateLimitReset(tt.v, epoch)
			if ok != tt.ok || ok && !got.Equal(epoch.Add(tt.want)) {
				t.Errorf("ParseRateLimitReset(%q) = %v, %v; want %v, %v", tt.v, got, ok, epoch.Add(tt.want), tt.ok)
			}
		})
	}
}

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	at := func(d time.Duration) time.Time { return epoch.Add(d) }
	k := runtime.Known
	tests := []struct {
		name   string
		header map[string]string
		want   runtime.RateLimit // ResetIn and ResetRelative follow from ResetAt, but for Unix times
		unix   bool
	}{
		{"none", nil, runtime.RateLimit{}, false},
		{"sandbox X-RateLimit", map[string]string{"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1"},
			runtime.RateLimit{Limit: k(2), Remaining: k(1), ResetAt: at(time.Second), Spelling: runtime.SpellingX}, false},
		{"X-RateLimit with a Unix reset", map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
			"X-RateLimit-Reset": strconv.FormatInt(at(30*time.Minute).Unix(), 10)},
			runtime.RateLimit{Limit: k(5000), Remaining: k(4999), ResetAt: at(30 * time.Minute), Spelling: runtime.SpellingX}, true},
		{"lower case names", map[string]string{"x-ratelimit-remaining": "0"},
			runtime.RateLimit{Remaining: k(0), Spelling: runtime.SpellingX}, false},
		{"X-Rate-Limit spelling", map[string]string{"X-Rate-Limit-Limit": "15", "X-Rate-Limit-Remaining": "3"},
			runtime.RateLimit{Limit: k(15), Remaining: k(3), Spelling: runtime.SpellingX}, false},
		{"garbage remaining is absent", map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "lots"},
			runtime.RateLimit{Limit: k(10), Spelling: runtime.SpellingX}, false},
		{"negative remaining is absent", map[string]string{"X-RateLimit-Remaining": "-3"}, runtime.RateLimit{}, false},
		{"IETF pair", map[string]string{"RateLimit": `"default";r=5;t=3`, "RateLimit-Policy": `"default";q=10;w=1`},
			runtime.RateLimit{Limit: k(10), Remaining: k(5), ResetAt: at(3 * time.Second), Window: time.Second, Spelling: runtime.SpellingIETF}, false},
		{"IETF pair, spaces and a token name", map[string]string{"RateLimit": `burst ; r=0 ; t=1`, "RateLimit-Policy": `burst;q=2;w=1;qu="requests"`},
			runtime.RateLimit{Limit: k(2), Remaining: k(0), ResetAt: at(time.Second), Window: time.Second, Spelling: runtime.SpellingIETF}, false},
		{"IETF, the tightest of two policies", map[string]string{
			"RateLimit":        `"hour";r=900;t=1800, "second";r=1;t=1`,
			"RateLimit-Policy": `"hour";q=1000;w=3600, "second";q=10;w=1`},
			runtime.RateLimit{Limit: k(10), Remaining: k(1), ResetAt: at(time.Second), Window: time.Second, Spelling: runtime.SpellingIETF}, false},
		{"IETF, empty quota wins over a later reset", map[string]string{
			"RateLimit": `"a";r=0;t=1, "b";r=3;t=50`},
			runtime.RateLimit{Remaining: k(0), ResetAt: at(time.Second), Spelling: runtime.SpellingIETF}, false},
		{"IETF with a partition key", map[string]string{"RateLimit": `"default";r=4;t=2;pk=:dXNlcjE=:`, "RateLimit-Policy": `"default";q=5;w=2;pk=:dXNlcjE=:`},
			runtime.RateLimit{Limit: k(5), Remaining: k(4), ResetAt: at(2 * time.Second), Window: 2 * time.Second, Spelling: runtime.SpellingIETF}, false},
		{"IETF, unnamed status and a single policy", map[string]string{"RateLimit": `"x";r=2;t=1`, "RateLimit-Policy": `"default";q=3;w=1`},
			runtime.RateLimit{Limit: k(3), Remaining: k(2), ResetAt: at(time.Second), Window: time.Second, Spelling: runtime.SpellingIETF}, false},
		{"IETF draft 7 dictionary", map[string]string{"RateLimit": `limit=10, remaining=5, reset=3`},
			runtime.RateLimit{Limit: k(10), Remaining: k(5), ResetAt: at(3 * time.Second), Spelling: runtime.SpellingIETF}, false},
		{"IETF policy alone", map[string]string{"RateLimit-Policy": `"default";q=100;w=60`},
			runtime.RateLimit{Limit: k(100), Window: time.Minute, Spelling: runtime.SpellingIETF}, false},
		{"early-draft trio with a policy", map[string]string{"RateLimit-Limit": "10", "RateLimit-Remaining": "9", "RateLimit-Reset": "1", "RateLimit-Policy": "10;w=1"},
			runtime.RateLimit{Limit: k(10), Remaining: k(9), ResetAt: at(time.Second), Window: time.Second, Spelling: runtime.SpellingIETFOld}, false},
		{"early-draft limit with policies inline", map[string]string{"RateLimit-Limit": "10, 10;w=1, 50;w=60", "RateLimit-Remaining": "3"},
			runtime.RateLimit{Limit: k(10), Remaining: k(3), Spelling: runtime.SpellingIETFOld}, false},
		{"IETF preferred over X-RateLimit", map[string]string{"RateLimit": `"d";r=1;t=2`, "X-RateLimit-Remaining": "7"},
			runtime.RateLimit{Remaining: k(1), ResetAt: at(2 * time.Second), Spelling: runtime.SpellingIETF}, false},
		{"malformed IETF falls back to X-RateLimit", map[string]string{"RateLimit": `"d";r=`, "X-RateLimit-Remaining": "7"},
			runtime.RateLimit{Remaining: k(7), Spelling: runtime.SpellingX}, false},
		{"IETF negative r is ignored", map[string]string{"RateLimit": `"d";r=-1`}, runtime.RateLimit{}, false},
		{"IETF decimal t", map[string]string{"RateLimit": `"d";r=0;t=0.25`},
			runtime.RateLimit{Remaining: k(0), ResetAt: at(250 * time.Millisecond), Spelling: runtime.SpellingIETF}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got := runtime.ParseRateLimit(h, epoch)
			if !tt.want.ResetAt.IsZero() && !tt.unix {
				tt.want.ResetIn, tt.want.ResetRelative = tt.want.ResetAt.Sub(epoch), true
			}
			if got != tt.want {
				t.Errorf("ParseRateLimit(%v)\n got  %+v\n want %+v", tt.header, got, tt.want)
			}
			if got.Present() != (tt.want.Spelling != "") {
				t.Errorf("Present() = %v", got.Present())
			}
		})
	}
}

func TestPolicyRate(t *testing.T) {
	t.Parallel()
	l := runtime.RateLimit{Limit: runtime.Known(10), Window: 2 * time.Second}
	if got := l.PolicyRate(); got != 5 {
		t.Errorf("PolicyRate = %v; want 5", got)
	}
	if got := (runtime.RateLimit{Limit: runtime.Known(10)}).PolicyRate(); got != 0 {
		t.Errorf("PolicyRate without a window = %v; want 0", got)
	}
}

// FuzzParseRateLimit: no header value makes the parser panic, hang or
// report a reset in the past or more than two days ahead.
func FuzzParseRateLimit(f *testing.F) {
	seeds := []string{
		"X-RateLimit-Limit: 2\nX-RateLimit-Remaining: 1\nX-RateLimit-Reset: 1",
		"X-RateLimit-Reset: 1700000000\nX-RateLimit-Remaining: 0",
		"X-RateLimit-Reset: 1700000000123",
		"RateLimit: \"default\";r=5;t=3\nRateLimit-Policy: \"default\";q=10;w=1",
		"RateLimit: limit=10, remaining=5, reset=3",
		"RateLimit: (a b);r=1, \"x\";r=2;t=1.5\nRateLimit-Policy: 10;w=1, 50;w=60",
		"RateLimit: \"a\\\"b\";r=1;pk=:AAA=:;flag\nRateLimit-Policy: \"a\\\"b\";q=?1",
		"RateLimit-Limit: 10, 10;w=1\nRateLimit-Remaining: 3\nRateLimit-Reset: 2",
		"RateLimit: \"d\";r=999999999999999999999;t=-1",
		"RateLimit: ,,,;;;===\nRateLimit-Policy: @1700000000;w=1",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := runtime.ParseRateLimit(parseHeaderLines(s), epoch)
		if !l.ResetAt.IsZero() && (l.ResetAt.Before(epoch) || l.ResetAt.Sub(epoch) > 48*time.Hour) {
			t.Errorf("ResetAt %v out of range for %q", l.ResetAt, s)
		}
		if l.Limit.Value < 0 || l.Remaining.Value < 0 || l.Window < 0 {
			t.Errorf("negative field %+v for %q", l, s)
		}
		if !l.Present() && (l.Limit.Present || l.Remaining.Present || !l.ResetAt.IsZero()) {
			t.Errorf("fields without a spelling: %+v", l)
		}
	})
}

// TestParseRateLimitAllocatesNothingWithoutHeaders: most responses carry
// no rate-limit header at all, and reading that costs no allocation.
func TestParseRateLimitAllocatesNothingWithoutHeaders(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_1"}}
	now := time.Unix(1_800_000_000, 0)
	if n := testing.AllocsPerRun(100, func() { _ = runtime.ParseRateLimit(h, now) }); n != 0 {
		t.Fatalf("ParseRateLimit of a response without rate-limit headers: %v allocations", n)
	}
}
