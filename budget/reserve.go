package budget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

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

// Needed is the credits of the smallest version of the call the ask
// accepts: Fixed plus MinRows (at least 1, at most Rows), or the whole
// worst case with NoFit.
func (a Ask) Needed() int64 { return a.Fixed + a.minRows() }

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

// Reservation is credits held for one call. Make the call, then settle
// the reservation from what the call returned with Finish, exactly once.
type Reservation struct {
	Grant
	// Operation is Ask.Operation.
	Operation string

	c        *Controller
	id       string
	finished atomic.Bool

	mu      sync.Mutex
	halt    *HaltError // Finish's answer to a 402, reused by later calls
	settled *Ledger    // the ledger as the settlement left it

	outer *Reservation // the hold in Config.Within's budget, if any
}

// limits are the Config's bounds on a reservation.
func (c *Controller) limits() Limits {
	return Limits{Cap: c.cfg.MaxCredits, Floor: c.cfg.Reserve, PerCall: c.cfg.MaxPerCall}
}

// Preview returns what Reserve would grant now, or the *HaltError it would
// return, without reserving anything. Tools that estimate costs use it. It
// reads the store: with a store that cannot be read it returns the same
// CodeStoreUnavailable halt Reserve would.
func (c *Controller) Preview(ctx context.Context, a Ask) (Grant, error) {
	if err := a.validate(); err != nil {
		return Grant{}, err
	}
	if a.Worst() == 0 {
		return Grant{Rows: a.Rows}, nil
	}
	l, err := c.load(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Grant{}, fmt.Errorf("budget: reading the ledger: %w", ctx.Err())
		}
		return Grant{}, c.unavailable(a, &StoreError{Op: "reading the ledger", Err: err})
	}
	now := c.now()
	lapse(&l, now)
	g, h := decide(l, c.limits(), a, now)
	if h != nil {
		h.Status = c.status(l, now)
		return Grant{}, h
	}
	g.Warning = c.warning(l.Spent + l.InFlight + g.Credits)
	if c.cfg.Within != nil {
		return c.previewWithin(ctx, a, g)
	}
	return g, nil
}

// Reserve holds the worst case of the call a describes, fitted down to
// fewer rows if need be: make the call as the Grant says (Rows), then
// call Reservation.Finish with what the call returned. Free asks
// (Worst() == 0) always succeed, without a round trip to the store.
//
// When the call cannot be made within the budget, Reserve returns a
// *HaltError and a nil Reservation. That includes a store that cannot be
// read or written (CodeStoreUnavailable): when the budget cannot be
// known, nothing is spent. Other errors (an invalid ask, an ended ctx)
// are returned as they are.
func (c *Controller) Reserve(ctx context.Context, a Ask) (*Reservation, error) {
	if c.cfg.Within != nil && a.Worst() > 0 {
		if err := a.validate(); err != nil {
			return nil, err
		}
		return c.reserveWithin(ctx, a)
	}
	return c.reserveOwn(ctx, a)
}

// reserveOwn holds the call in this budget alone.
func (c *Controller) reserveOwn(ctx context.Context, a Ask) (*Reservation, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	if a.Worst() == 0 {
		return &Reservation{Grant: Grant{Rows: a.Rows}, Operation: a.Operation, c: c, id: c.nextID()}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("budget: reserving credits for %s: %w", a.op(), err)
	}
	now := c.now()
	seen, ver := c.facts.take()
	h := Hold{ID: c.nextID(), Ask: a, Limits: c.limits(), Seen: seen, Now: now}
	l, held, err := c.store.Reserve(ctx, h)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("budget: reserving credits for %s: %w", a.op(), ctx.Err())
		}
		halt := c.unavailable(a, &StoreError{Op: "reserving credits", Err: err})
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: call halted: the budget cannot be read",
			slog.String("op", a.Operation), slog.String("code", halt.Code), slog.String("err", err.Error()))
		return nil, halt
	}
	c.facts.ack(ver)
	if held == 0 {
		_, halt := decide(l, c.limits(), a, now)
		if halt == nil {
			// The store applies the same rule; should it disagree, its
			// answer stands.
			x := boundsOf(l, c.limits())
			halt = &HaltError{Code: x.binding(), Source: SourceBudget, Operation: a.Operation,
				Needed: a.Needed(), Available: x.available(), fixed: a.Fixed, rows: a.Rows}
		}
		halt.Status = c.status(l, now)
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: call halted",
			slog.String("op", a.Operation), slog.String("code", halt.Code),
			slog.Int64("needed", halt.Needed), slog.Int64("available", halt.Available))
		return nil, halt
	}
	g := Grant{Credits: held, Rows: a.Rows}
	if held < a.Worst() {
		g.Rows, g.Fitted = held-a.Fixed, true
	}
	g.Warning = c.warning(l.Spent + l.InFlight)
	r := &Reservation{Grant: g, Operation: a.Operation, c: c, id: h.ID}
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: reserved",
			slog.String("op", a.Operation), slog.Int64("credits", g.Credits), slog.Int64("rows", g.Rows),
			slog.Bool("fitted", g.Fitted), slog.Int64("inFlight", l.InFlight))
	}
	return r, nil
}

// unavailable is the halt of a call whose budget cannot be known.
func (c *Controller) unavailable(a Ask, err error) *HaltError {
	return &HaltError{Code: CodeStoreUnavailable, Source: SourceBudget, Operation: a.Operation,
		Needed: a.Needed(), Status: c.configStatus(), Cause: err}
}

// nextID returns a reservation id unique to this Controller.
func (c *Controller) nextID() string {
	return c.idPrefix + strconv.FormatUint(c.seq.Add(1), 36)
}

// Finish settles the reservation from what the call returned: resp and
// err as runtime.Client.Do gave them (both nil when the call was never
// made). The hold is released and the call's cost charged:
//
//   - a 2xx response is charged its X-Usage-Cost (else X-Credits-Used),
//     or the reserved worst case when it carries neither;
//   - a *runtime.APIError is charged what its metering says (nothing,
//     for the API's refusals), except a 2xx whose body could not be
//     read, which is charged like a success;
//   - a call that got no response (a transport fault, an ended ctx, or
//     no call at all) costs nothing.
//
// The response's X-Credits-Remaining lowers the known balance. Call
// Finish once; further calls change nothing and answer as the first did.
// A nil Reservation is allowed.
//
// err is returned unchanged, except a 402 insufficient_credits
// *runtime.APIError, which means another client drained the workspace:
// Finish then refreshes the balance (with RefreshTimeout, even if ctx was
// cancelled), marks the budget exhausted until the refill date and returns
// a *HaltError with Code runtime.CodeInsufficientCredits and Source "api"
// that carries the balance, the shortfall and the refill date. It never
// retries the call.
//
// A store that cannot record the settlement now keeps it and writes it
// later (see Store); Finish logs that at Warn and answers as above: the
// call itself went as it went.
func (r *Reservation) Finish(ctx context.Context, resp *runtime.Response, err error) error {
	if r == nil {
		return err
	}
	if r.finished.CompareAndSwap(false, true) {
		r.settle(context.WithoutCancel(ctx), resp, err)
	}
	if r.outer != nil {
		// The outer budget answers a 402 for the workspace.
		return r.finishWithin(ctx, resp, err)
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

// charge is what a call that returned resp and err cost, and the balance
// header it brought. worstCase reports a paid response charged the
// reservation for want of a cost header.
func (r *Reservation) charge(resp *runtime.Response, err error) (charge int64, rem runtime.Count, worstCase bool) {
	var (
		m       runtime.Metering
		success bool
	)
	switch apiErr, isAPI := runtime.AsAPIError(err); {
	case resp != nil && err == nil:
		m, success = resp.Metering, true
	case isAPI:
		m, success = apiErr.Metering, apiErr.Status >= 200 && apiErr.Status < 300
	default:
		return 0, runtime.Count{}, false
	}
	if cost := m.Cost(); cost.Present {
		return cost.Value, m.CreditsRemaining, false
	}
	if success && r.Credits > 0 {
		// The API may have charged any part of the reservation.
		return r.Credits, m.CreditsRemaining, true
	}
	// A free call without a cost header costs nothing: nothing to say.
	return 0, m.CreditsRemaining, false
}

// settle records the call's outcome in the store.
func (r *Reservation) settle(ctx context.Context, resp *runtime.Response, err error) {
	c := r.c
	charge, rem, worstCase := r.charge(resp, err)
	seen, ver := c.facts.take()
	if r.Credits == 0 && charge == 0 && !rem.Present && !seen.Present {
		return // a free call that told nothing: nothing to write
	}
	s := Settlement{ID: r.id, Release: r.Credits, Charge: charge, Seen: seen, Remaining: rem, Now: c.now()}
	l, serr := c.store.Settle(ctx, s)
	op, reqID := r.Operation, requestIDOf(resp, err)
	switch {
	case errors.Is(serr, ErrPending):
		c.facts.ack(ver)
		c.logger.LogAttrs(ctx, slog.LevelWarn, "budget: the store cannot record a charge now; it is kept and written when the store is back",
			slog.String("op", op), slog.Int64("charge", charge), slog.Int64("released", r.Credits), slog.String("err", serr.Error()))
		return
	case serr != nil:
		c.logger.LogAttrs(ctx, slog.LevelError, "budget: the store refused a settlement",
			slog.String("op", op), slog.Int64("charge", charge), slog.Int64("released", r.Credits), slog.String("err", serr.Error()))
		return
	}
	c.facts.ack(ver)
	r.mu.Lock()
	r.settled = &l
	r.mu.Unlock()
	if worstCase {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: a paid response carried no cost header; charged the reserved worst case",
			slog.String("op", op), slog.Int64("charge", charge), slog.String("requestId", reqID))
	} else if charge > r.Credits && r.Credits > 0 {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: the API charged more than was reserved",
			slog.String("op", op), slog.Int64("reserved", r.Credits), slog.Int64("charge", charge), slog.String("requestId", reqID))
	}
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: settled",
			slog.String("op", op), slog.Int64("released", r.Credits), slog.Int64("charge", charge),
			slog.String("remaining", rem.String()), slog.Int64("runSpent", l.Spent), slog.Int64("inFlight", l.InFlight))
	}
}

func requestIDOf(resp *runtime.Response, err error) string {
	if resp != nil {
		return resp.RequestID
	}
	if apiErr, ok := runtime.AsAPIError(err); ok {
		return apiErr.RequestID
	}
	return ""
}

// Status is the budget as the reservation's settlement left it: the
// store's answer to the settlement when there was one, else (a free call
// that wrote nothing, a settlement kept for later, no Finish yet) the
// store read now.
func (r *Reservation) Status(ctx context.Context) (Status, error) {
	if r == nil {
		return Status{}, errors.New("budget: Status of a nil Reservation")
	}
	r.mu.Lock()
	l := r.settled
	r.mu.Unlock()
	if l != nil {
		st := r.c.status(*l, r.c.now())
		if r.c.cfg.Within != nil {
			return r.c.within(ctx, st)
		}
		return st, nil
	}
	return r.c.Status(ctx)
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
	l, err := c.store.Record(ctx, Fact{Now: now, Exhaust: true})
	if err != nil {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "budget: cannot mark the budget exhausted", slog.String("err", err.Error()))
		l = Ledger{Exhausted: true}
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
