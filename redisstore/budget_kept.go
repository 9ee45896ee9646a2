package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
)

// This file is what a Budget keeps while Redis cannot take it: the
// settlements (and cancels) waiting to be written, in order, and the
// heartbeat that writes them.

// Pending returns the settlements kept in memory, not yet written, and
// the credits they charge.
func (b *Budget) Pending() (settlements int, credits int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.pending {
		if !e.cancel {
			settlements++
			credits += e.s.Charge
		}
	}
	return settlements, credits
}

// UnrecordedError is Close's answer when settlements kept in memory could
// not be written before the process leaves.
type UnrecordedError struct {
	// Budget is the budget's name.
	Budget string
	// Settlements is how many calls' settlements were not written, and
	// Credits what they charge.
	Settlements int
	Credits     int64
	// Held is what their reservations hold in the shared ledger: it
	// counts as spent once this process's lease runs out.
	Held int64
	// Lease is the lease's length.
	Lease time.Duration
	// Err is why the last attempt failed.
	Err error
}

// Error says what was not written and what the ledger does about it.
func (e *UnrecordedError) Error() string {
	return fmt.Sprintf("redisstore: %d charges (%d credits) of this process were never written to the shared budget %q (%v); "+
		"the shared ledger keeps their %d reserved credits counted and charges them in full once this process's lease runs out (%v), "+
		"if Redis still holds the ledger then",
		e.Settlements, e.Credits, e.Budget, e.Err, e.Held, e.Lease)
}

// Unwrap returns Err.
func (e *UnrecordedError) Unwrap() error { return e.Err }

// keep queues e to be written later.
func (b *Budget) keep(e entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, e)
}

func (b *Budget) isPending(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.pending {
		if e.s.ID == id {
			return true
		}
	}
	return false
}

func (b *Budget) pendingError() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	why := b.down
	if why == nil {
		why = errors.New("earlier settlements are still waiting")
	}
	return fmt.Errorf("%w (%d waiting; %w)", budget.ErrPending, len(b.pending), why)
}

// flush writes the kept operations, in order; it fails if any are left.
// One goroutine writes at a time; the others wait for it, within ctx.
func (b *Budget) flush(ctx context.Context) error {
	b.mu.Lock()
	n := len(b.pending)
	b.mu.Unlock()
	if n == 0 {
		return nil
	}
	select {
	case b.writer <- struct{}{}:
	case <-ctx.Done():
		return b.errorf("waiting for %d earlier settlements to be written: %w", n, ctx.Err())
	}
	defer func() { <-b.writer }()
	return b.flushLocked(ctx)
}

func (b *Budget) flushLocked(ctx context.Context) error {
	for {
		b.mu.Lock()
		batch := append([]entry(nil), b.pending[:min(len(b.pending), flushBatch)]...)
		b.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		args := []any{millis(time.Now()), len(batch)}
		for _, e := range batch {
			args = append(args, settleArgs(e)...)
		}
		if _, err := b.do(ctx, "settle", args...); err != nil {
			return b.errorf("writing %d kept settlements: %w", len(batch), err)
		}
		b.mu.Lock()
		b.pending = b.pending[len(batch):]
		for _, e := range batch {
			delete(b.live, e.s.ID)
		}
		left := len(b.pending)
		b.mu.Unlock()
		b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: wrote settlements kept while Redis was away",
			slog.String("budget", b.name), slog.Int("written", len(batch)), slog.Int("left", left))
	}
}

// heartbeat renews this process's lease, retries what was kept and
// notices a lost ledger, every b.beat until ctx ends.
func (b *Budget) heartbeat(ctx context.Context) {
	defer close(b.beatDone)
	t := time.NewTicker(b.beat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := b.do(ctx, "beat"); err != nil {
			continue // do marked Redis unreachable and logged it
		}
		if err := b.flush(ctx); err != nil && ctx.Err() == nil {
			b.log.LogAttrs(ctx, slog.LevelWarn, "redisstore: cannot write kept settlements yet", slog.String("budget", b.name), slog.String("err", err.Error()))
		}
	}
}
