package budget

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Ask describes the worst case of a planned call. Every row or item costs
// one credit (reference §3).
type Ask struct {
	// Operation names the call in logs and halt messages; tools passes
	// the tool name the model called (search_ads), not the operationId.
	Operation string
	// Fixed is the credits the call may cost whatever the rows: 1 for a
	// per-item operation such as getAd, 0 for a collection.
	Fixed int64
	// Rows is the rows asked for (the limit) of a per-row operation; 0
	// otherwise.
	Rows int64
	// MinRows is the fewest rows worth fitting the call down to; 0 means
	// 1. It is capped at Rows.
	MinRows int64
	// NoFit asks for the call at full size or not at all.
	NoFit bool
}

// Worst returns the most the call can cost: Fixed + Rows.
func (a Ask) Worst() int64 { return a.Fixed + a.Rows }

// minRows is the fewest rows the ask accepts.
func (a Ask) minRows() int64 {
	if a.Rows <= 0 {
		return 0
	}
	if a.NoFit {
		return a.Rows
	}
	return min(max(a.MinRows, 1), a.Rows)
}

// needed is the credits of the smallest acceptable version of the call.
func (a Ask) needed() int64 { return a.Fixed + a.minRows() }

func (a Ask) validate() error {
	switch {
	case a.Fixed < 0 || a.Rows < 0 || a.MinRows < 0:
		return fmt.Errorf("budget: ask for %s has a negative count (Fixed %d, Rows %d, MinRows %d)", a.op(), a.Fixed, a.Rows, a.MinRows)
	case a.Fixed > maxAsk || a.Rows > maxAsk:
		return fmt.Errorf("budget: ask for %s is implausibly large (Fixed %d, Rows %d)", a.op(), a.Fixed, a.Rows)
	}
	return nil
}

func (a Ask) op() string {
	if a.Operation == "" {
		return "an unnamed operation"
	}
	return a.Operation
}

// Grant is what Reserve (or Preview) allows.
type Grant struct {
	// Credits is the credits reserved: the worst case of the call as it
	// will be made.
	Credits int64
	// Rows is the rows to ask for: Ask.Rows, or fewer when fitted.
	Rows int64
	// Fitted reports Rows < Ask.Rows because the budget could not cover
	// Ask.Rows.
	Fitted bool
	// Warning is non-empty once the run has spent or reserved (this grant
	// included) WarnAt of its cap; it is text a model can act on.
	Warning string
}

// Reservation is credits held for one call. Pass the context Reserve
// returned to runtime.Client.Do, then call Finish exactly once.
type Reservation struct {
	Grant
	// Operation is Ask.Operation.
	Operation string

	c        *Controller
	held     atomic.Int64 // credits still counted in Ledger.InFlight
	settled  atomic.Bool  // a 2xx response has settled it
	finished atomic.Bool

	mu   sync.Mutex
	halt *HaltError // Finish's answer to a 402, reused by later calls

	outer *Reservation // the hold in Config.Within's budget, if any
}

type reservationKey struct{}

// reservationFrom returns the reservation ctx carries, or nil.
func reservationFrom(ctx context.Context) *Reservation {
	r, _ := ctx.Value(reservationKey{}).(*Reservation)
	return r
}

// withoutReservation hides any reservation of ctx, so that a call made with
// it (GET /v1/usage) cannot settle it.
func withoutReservation(ctx context.Context) context.Context {
	if reservationFrom(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, reservationKey{}, (*Reservation)(nil))
}

// limits are the three bounds on a new reservation, computed from a ledger.
type limits struct {
	capLeft    int64
	hasCap     bool
	balLeft    int64 // balance − Reserve − InFlight
	balance    int64
	hasBalance bool
	perCall    int64
	hasPerCall bool
}

func (c *Controller) limits(l Ledger) limits {
	var x limits
	if c.capped() {
		x.hasCap, x.capLeft = true, c.cfg.MaxCredits-l.Spent-l.InFlight
	}
	if l.BalanceKnown {
		x.hasBalance, x.balance = true, l.Balance
		x.balLeft = l.Balance - c.cfg.Reserve - l.InFlight
	}
	if c.cfg.MaxPerCall > 0 {
		x.hasPerCall, x.perCall = true, c.cfg.MaxPerCall
	}
	return x
}

// available is the most a new reservation may hold: NoLimit when nothing
// bounds it, never negative.
func (x limits) available() int64 {
	a := NoLimit
	if x.hasBalance {
		a = min(a, x.balLeft)
	}
	if x.hasCap {
		a = min(a, x.capLeft)
	}
	if x.hasPerCall {
		a = min(a, x.perCall)
	}
	return max(a, 0)
}

// binding returns the halt code of the tightest limit. On a tie the
// workspace balance wins over the cap, and the cap over the per-call
// limit: the more lasting reason is the more useful one to report.
func (x limits) binding() string {
	a := x.available()
	switch {
	case x.hasBalance && max(x.balLeft, 0) == a:
		if x.balance <= 0 {
			return CodeExhausted
		}
		return CodeFloorReached
	case x.hasCap && max(x.capLeft, 0) == a:
		return CodeCapReached
	default:
		return CodeCallLimit
	}
}

// lapse clears an exhausted mark whose refill date has passed. The balance
// recorded before the refill is then unknown: the next response or Refresh
// tells it.
func lapse(l *Ledger, now time.Time) {
	if l.Exhausted && !exhaustedAt(*l, now) {
		l.Exhausted, l.ExhaustedUntil = false, time.Time{}
		l.BalanceKnown = false
	}
}

// decide is the whole reservation rule: given the ledger, what the ask is
// granted, or why it halts. It does not change l except to lapse an
// expired exhausted mark. Status is left for the caller to fill.
func (c *Controller) decide(l *Ledger, a Ask, now time.Time) (Grant, *HaltError) {
	lapse(l, now)
	worst := a.Worst()
	if worst == 0 {
		return Grant{Rows: a.Rows}, nil
	}
	needed := a.needed()
	if exhaustedAt(*l, now) {
		return Grant{}, &HaltError{Code: CodeExhausted, Source: SourceBudget, Operation: a.Operation, Needed: needed, Available: 0}
	}
	x := c.limits(*l)
	avail := x.available()
	switch {
	case worst <= avail:
		return Grant{Credits: worst, Rows: a.Rows}, nil
	case needed <= avail:
		k := avail - a.Fixed
		return Grant{Credits: a.Fixed + k, Rows: k, Fitted: true}, nil
	}
	return Grant{}, &HaltError{Code: x.binding(), Source: SourceBudget, Operation: a.Operation,
		Needed: needed, Available: avail, fixed: a.Fixed, rows: a.Rows}
}

// Preview returns what Reserve would grant now, or the *HaltError it would
// return, without reserving anything. Tools that estimate costs use it.
func (c *Controller) Preview(a Ask) (Grant, error) {
	if err := a.validate(); err != nil {
		return Grant{}, err
	}
	if a.Worst() == 0 {
		return Grant{Rows: a.Rows}, nil
	}
	l, err := c.store.Load(context.Background())
	if err != nil {
		return Grant{}, fmt.Errorf("budget: loading the ledger: %w", err)
	}
	now := c.now()
	g, h := c.decide(&l, a, now)
	if h != nil {
		h.Status = c.status(l, now)
		if c.cfg.Within != nil {
			h.Status = c.within(h.Status)
		}
		return Grant{}, h
	}
	g.Warning = c.warning(l.Spent + l.InFlight + g.Credits)
	if c.cfg.Within != nil {
		return c.previewWithin(a, g)
	}
	return g, nil
}

// Reserve holds the worst case of the call a describes, fitted down to
// fewer rows if need be, and returns a context carrying the reservation:
// pass it to runtime.Client.Do so that the response settles it, then call
// Reservation.Finish. Free asks (Worst() == 0) always succeed. When the
// call cannot be made within the budget, Reserve returns a *HaltError and
// a nil Reservation; other errors (an invalid ask, a store failure, an
// ended ctx) are returned as they are.
func (c *Controller) Reserve(ctx context.Context, a Ask) (context.Context, *Reservation, error) {
	if c.cfg.Within != nil && a.Worst() > 0 {
		if err := a.validate(); err != nil {
			return ctx, nil, err
		}
		return c.reserveWithin(ctx, a)
	}
	return c.reserveOwn(ctx, a)
}

// reserveOwn holds the call in this budget alone.
func (c *Controller) reserveOwn(ctx context.Context, a Ask) (context.Context, *Reservation, error) {
	if err := a.validate(); err != nil {
		return ctx, nil, err
	}
	if a.Worst() == 0 {
		r := &Reservation{Grant: Grant{Rows: a.Rows}, Operation: a.Operation, c: c}
		return context.WithValue(ctx, reservationKey{}, r), r, nil
	}
	if err := ctx.Err(); err != nil {
		return ctx, nil, fmt.Errorf("budget: reserving credits for %s: %w", a.op(), err)
	}
	now := c.now()
	var (
		g Grant
		h *HaltError
	)
	l, err := c.store.Update(ctx, func(l *Ledger) error {
		g, h = c.decide(l, a, now)
		if h == nil {
			l.InFlight += g.Credits
		}
		return nil
	})
	if err != nil {
		return ctx, nil, fmt.Errorf("budget: reserving credits for %s: %w", a.op(), err)
	}
	if h != nil {
		h.Status = c.status(l, now)
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: call halted",
			slog.String("op", a.Operation), slog.String("code", h.Code),
			slog.Int64("needed", h.Needed), slog.Int64("available", h.Available))
		return ctx, nil, h
	}
	g.Warning = c.warning(l.Spent + l.InFlight)
	r := &Reservation{Grant: g, Operation: a.Operation, c: c}
	r.held.Store(g.Credits)
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: reserved",
			slog.String("op", a.Operation), slog.Int64("credits", g.Credits), slog.Int64("rows", g.Rows),
			slog.Bool("fitted", g.Fitted), slog.Int64("inFlight", l.InFlight))
	}
	return context.WithValue(ctx, reservationKey{}, r), r, nil
}

// Finish ends the reservation: whatever is still held is released (a call
// that failed costs nothing; a settled one was already charged). Call it
// exactly once after Do, with Do's error; further calls are harmless, and a
// nil Reservation is allowed.
//
// err is returned unchanged, except a 402 insufficient_credits
// *runtime.APIError, which means another client drained the workspace:
// Finish then refreshes the balance (with RefreshTimeout, even if ctx was
// cancelled), marks the budget exhausted until the refill date and returns
// a *HaltError with Code runtime.CodeInsufficientCredits and Source "api"
// that carries the balance, the shortfall and the refill date. It never
// retries the call.
func (r *Reservation) Finish(ctx context.Context, err error) error {
	if r == nil {
		return err
	}
	if r.finished.CompareAndSwap(false, true) {
		r.release(ctx)
	}
	if r.outer != nil {
		// The outer budget answers a 402 for the workspace.
		err = r.outer.Finish(ctx, err)
		if h, ok := AsHalt(err); ok && h.Cause != nil {
			h.Status = r.c.Status()
		}
		return err
	}
	if err == nil {
		return nil
	}
	apiErr, ok := runtime.AsAPIError(err)
	if !ok || (apiErr.Code != runtime.CodeInsufficientCredits && apiErr.Status != 402) {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.halt == nil {
		r.halt = r.c.exhaust(ctx, r, apiErr)
	}
	return r.halt
}

// release gives back whatever the reservation still holds.
func (r *Reservation) release(ctx context.Context) {
	h := r.held.Swap(0)
	if h == 0 {
		return
	}
	c := r.c
	ctx = context.WithoutCancel(ctx)
	l, err := c.store.Update(ctx, func(l *Ledger) error {
		l.InFlight = max(0, l.InFlight-h)
		return nil
	})
	if err != nil {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: cannot release a reservation",
			slog.String("op", r.Operation), slog.Int64("credits", h), slog.String("err", err.Error()))
		return
	}
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: released unused reservation",
			slog.String("op", r.Operation), slog.Int64("credits", h), slog.Int64("inFlight", l.InFlight))
	}
}

// exhaust handles a real 402 for r: refresh, mark exhausted, build the halt.
func (c *Controller) exhaust(ctx context.Context, r *Reservation, apiErr *runtime.APIError) *HaltError {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RefreshTimeout)
	defer cancel()
	if c.cfg.Usage != nil {
		if _, err := c.Refresh(ctx); err != nil {
			c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: cannot refresh the balance after a 402", slog.String("err", err.Error()))
		}
	}
	now := c.now()
	l, err := c.store.Update(ctx, func(l *Ledger) error {
		l.Exhausted = true
		l.ExhaustedUntil = time.Time{}
		if l.RefillAt.After(now) {
			l.ExhaustedUntil = l.RefillAt
		}
		return nil
	})
	if err != nil {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: cannot mark the budget exhausted", slog.String("err", err.Error()))
	}
	h := &HaltError{
		Code:      runtime.CodeInsufficientCredits,
		Source:    runtime.SourceAPI,
		Operation: r.Operation,
		Needed:    r.Credits,
		Status:    c.status(l, now),
		Cause:     apiErr,
	}
	if l.BalanceKnown {
		h.Available = max(0, l.Balance)
		h.Shortfall = max(0, r.Credits-h.Available)
	}
	c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: the API answered 402 insufficient_credits; budget marked exhausted",
		slog.String("op", r.Operation), slog.Int64("needed", r.Credits), slog.Bool("balanceKnown", l.BalanceKnown),
		slog.Int64("balance", l.Balance), slog.Time("until", l.ExhaustedUntil), slog.String("requestId", apiErr.RequestID))
	return h
}
