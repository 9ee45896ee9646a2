// Package fakeclock is the settable clock tollgate's tests share: it
// tells a time the test controls and never really sleeps, so retry waits,
// staleness and refill dates are tested without making the suite slow.
package fakeclock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock implements runtime.Clock and serves as a Now func for budget and
// sandbox configs. Sleep records the wait, advances the clock by it and
// returns at once; after Block, Sleep instead announces itself and waits
// until its context is done, so a test can cancel a call mid-wait.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	block   bool
	entered chan<- time.Duration
}

// New returns a clock that reads t.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep records d and advances the clock by it, or blocks until ctx is
// done after Block. It returns ctx.Err().
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	block, entered := c.block, c.entered
	if !block {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	if block {
		if entered != nil {
			entered <- d
		}
		<-ctx.Done()
	}
	return ctx.Err()
}

// Block makes later Sleeps wait for their context to end; each sends its
// duration on entered first (when entered is not nil).
func (c *Clock) Block(entered chan<- time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.block, c.entered = true, entered
}

// Sleeps returns the waits requested so far.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}
