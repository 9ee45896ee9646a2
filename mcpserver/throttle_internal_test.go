package mcpserver

import (
	"testing"
	"time"
)

func TestThrottleDelay(t *testing.T) {
	t0 := time.Date(2026, 8, 25, 12, 0, 0, 0, time.UTC)
	every := time.Second
	for _, tc := range []struct {
		name string
		last time.Time
		now  time.Time
		want time.Duration
	}{
		{"the first update goes at once", time.Time{}, t0, 0},
		{"an update within the interval waits for its end", t0, t0.Add(300 * time.Millisecond), 700 * time.Millisecond},
		{"an update at the end of the interval goes at once", t0, t0.Add(time.Second), 0},
		{"an update after the interval goes at once", t0, t0.Add(time.Minute), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := throttleDelay(tc.last, tc.now, every); got != tc.want {
				t.Errorf("throttleDelay = %v, want %v", got, tc.want)
			}
		})
	}
}
