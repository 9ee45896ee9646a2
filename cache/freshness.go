package cache

import (
	"context"
	"sync"
	"time"
)

// Freshness is what GET /v1/system/freshness says about the API's data.
type Freshness struct {
	// LatestReadyDate is the newest snapshot served (YYYY-MM-DD).
	LatestReadyDate string `json:"latestReadyDate"`
	// LatestScheduledDate is the newest snapshot indexed or scheduled,
	// not yet served.
	LatestScheduledDate string `json:"latestScheduledDate"`
	// DataFreshnessLagDays is how many days the served data lags.
	DataFreshnessLagDays int `json:"dataFreshnessLagDays"`
	// GeneratedAt is when the API computed the answer.
	GeneratedAt time.Time `json:"generatedAt"`
}

// Version is the data version the answer names: the ready date, the
// snapshot every answer is computed from (the scheduled one is not served
// yet, so its moving on changes no answer). Dates order as strings, so a
// version is older than another exactly when it sorts before it; ""
// (unknown) sorts before every version.
func (f Freshness) Version() string { return f.LatestReadyDate }

// A FreshnessSource tells the API's data freshness. tollgate's tools
// package answers it with GET /v1/system/freshness, which is free.
type FreshnessSource interface {
	Freshness(ctx context.Context) (Freshness, error)
}

// FreshnessFunc adapts a function to a FreshnessSource.
type FreshnessFunc func(ctx context.Context) (Freshness, error)

// Freshness implements FreshnessSource.
func (f FreshnessFunc) Freshness(ctx context.Context) (Freshness, error) { return f(ctx) }

// freshnessTracker remembers the last data version learnt and decides
// when to ask again. Its decisions take the time as an argument.
type freshnessTracker struct {
	every time.Duration

	mu       sync.Mutex
	version  string
	asked    time.Time // last question, answered or not
	hasAsked bool
	failing  bool
}

// state returns the version known at now and whether a question is due:
// never asked, or CheckEvery has passed since the last question (a
// clock that went backwards counts as passed).
func (t *freshnessTracker) state(now time.Time) (version string, due bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	elapsed := now.Sub(t.asked)
	return t.version, !t.hasAsked || elapsed >= t.every || elapsed < 0
}

// learnt records an answer at now; it returns the version before and
// whether the answer changed it.
func (t *freshnessTracker) learnt(now time.Time, version string) (prev string, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	prev = t.version
	t.asked, t.hasAsked, t.failing = now, true, false
	// Answers of concurrent questions never move the version back.
	if version > t.version {
		t.version = version
	}
	return prev, t.version != prev
}

// failed records a failed question at now (the next is due CheckEvery
// later); it reports whether this starts a run of failures.
func (t *freshnessTracker) failed(now time.Time) (first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.asked, t.hasAsked = now, true
	first = !t.failing
	t.failing = true
	return first
}
