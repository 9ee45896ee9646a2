package budget

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// ObserveResponse implements runtime.Observer. It only learns balance
// facts: an X-Credits-Remaining seen on any response (a retried attempt,
// a call made without Reserve) lowers the known balance with the next
// write to the store. It does no I/O and settles nothing: a reservation
// settles from its own response, in Finish.
func (c *Controller) ObserveResponse(_ context.Context, _ *runtime.Request, _ int, m runtime.Metering) {
	if m.CreditsRemaining.Present {
		c.facts.see(m.CreditsRemaining.Value, c.now())
	}
}

// ObserveWait implements runtime.Observer. A wait before a retry changes
// nothing: the reservation stays held until Finish.
func (c *Controller) ObserveWait(ctx context.Context, req *runtime.Request, w runtime.Wait) {
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		op := ""
		if req != nil {
			op = req.Operation
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: call waiting to retry; reservation kept",
			slog.String("op", op), slog.String("reason", w.Reason), slog.Duration("delay", w.Delay))
	}
}

// facts holds the lowest balance header seen since the last write to the
// store, which carries it there: the observer never waits on the store.
type facts struct {
	mu  sync.Mutex
	rem runtime.Count
	at  time.Time // when the lowest figure was seen
	ver uint64    // counts every change
}

// see records a header seen at at.
func (f *facts) see(v int64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.rem.Present || v < f.rem.Value {
		f.rem, f.at = runtime.Known(v), at
	}
	f.ver++
}

// take returns the lowest figure and the version to ack once a write
// carried it.
func (f *facts) take() (runtime.Count, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rem, f.ver
}

// ack forgets the figure a write carried, unless another was seen since
// (the figure is then kept for the next write: taking the minimum twice
// is harmless).
func (f *facts) ack(ver uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ver == ver {
		f.rem = runtime.Count{}
	}
}

// forgetBefore drops a figure seen before t: a GET /v1/usage sent at t
// knows better.
func (f *facts) forgetBefore(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rem.Present && f.at.Before(t) {
		f.rem = runtime.Count{}
		f.ver++
	}
}

// apply shows the figure in a ledger read from the store, without writing
// it.
func (f *facts) apply(l *Ledger) {
	f.mu.Lock()
	rem, at := f.rem, f.at
	f.mu.Unlock()
	l.see(rem, at)
}
