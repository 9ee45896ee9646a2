package bench

import (
	"fmt"
	"slices"
	"time"
)

// Spread is the minimum, median and maximum of a set of figures, usually
// one per round.
type Spread struct {
	Min, Median, Max float64
	N                int
}

// SpreadOf summarises xs (which it sorts in place). The median of an even
// count is the mean of the middle two.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	slices.Sort(xs)
	n := len(xs)
	med := xs[n/2]
	if n%2 == 0 {
		med = (xs[n/2-1] + xs[n/2]) / 2
	}
	return Spread{Min: xs[0], Median: med, Max: xs[n-1], N: n}
}

// median is the median of xs, leaving xs as it was.
func median(xs []float64) float64 { return SpreadOf(append([]float64(nil), xs...)).Median }

// Ratios divides a[i] by b[i], pair by pair (a round's figure by the same
// round's baseline). Pairs whose baseline is 0 are left out.
func Ratios(a, b []float64) []float64 {
	out := make([]float64, 0, min(len(a), len(b)))
	for i := range min(len(a), len(b)) {
		if b[i] != 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method; 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// ratioText is a spread of ratios: "1.23× (1.19–1.30)".
func ratioText(s Spread) string {
	if s.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.Median, s.Min, s.Max)
}

// usText formats microseconds.
func usText(us float64) string {
	if us >= 10000 {
		return fmt.Sprintf("%.1f ms", us/1000)
	}
	return fmt.Sprintf("%.0f µs", us)
}

// mbText formats a size in bytes as MB (10^6 bytes, as the issue quotes).
func mbText(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }
