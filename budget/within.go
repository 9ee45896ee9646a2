package budget

import (
	"context"
	"errors"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Budgets inside budgets.
//
// This file uses only Reserve, Finish, Status and Preview of both
// budgets, so that it follows their settlement rules whatever they are.
//
// A Controller made with Config.Within lives inside another: a client's
// cap inside a deployment's budget, a session's inside its client's. A
// call must fit both. Reserve holds the call in this budget first
// (fitting it to what this one allows), then the fitted call in the
// outer one (which may fit it further); a halt of either is the call's
// halt. Finish settles both from the call's answer. Status is this
// budget's view (its cap, its spend, its holds) with the workspace facts
// of the outer one (balance, floor, refill date, exhaustion) and the
// tighter of the two availabilities, so a client sees what it may still
// spend and nothing of the others'.
//
// The outer budget alone handles a real 402: it marks the workspace
// exhausted and refreshes the balance; the inner one only settles.

// errWithinSelf is the error of a Config whose Within keeps its ledger
// in the same Store.
var errWithinSelf = errors.New("invalid Within: the inner budget needs a Store of its own")

// reserveWithin is Reserve for a Controller with Config.Within.
func (c *Controller) reserveWithin(ctx context.Context, a Ask) (*Reservation, error) {
	own, err := c.reserveOwn(ctx, a)
	if err != nil {
		return nil, c.withinHalt(ctx, err)
	}
	oa := a
	if a.Rows > 0 {
		oa.Rows = own.Rows
	}
	outer, err := c.cfg.Within.Reserve(ctx, oa)
	if err != nil {
		_ = own.Finish(ctx, nil, nil)
		return nil, c.withinHalt(ctx, err)
	}
	if outer.Credits < own.Credits {
		// The outer budget fitted the call further: hold no more here
		// than it granted (rare; it costs a release and a reservation).
		_ = own.Finish(ctx, nil, nil)
		na := a
		na.Rows, na.NoFit = outer.Rows, true
		if own, err = c.reserveOwn(ctx, na); err != nil {
			_ = outer.Finish(ctx, nil, nil)
			return nil, c.withinHalt(ctx, err)
		}
	}
	own.outer = outer
	own.Rows, own.Credits = outer.Rows, outer.Credits
	own.Fitted = own.Rows < a.Rows
	if own.Warning == "" {
		own.Warning = outer.Warning
	}
	return own, nil
}

// withinHalt shows a halt with this budget's view.
func (c *Controller) withinHalt(ctx context.Context, err error) error {
	if h, ok := AsHalt(err); ok && h.Code != CodeStoreUnavailable {
		if st, serr := c.Status(ctx); serr == nil {
			h.Status = st
		}
	}
	return err
}

// finishWithin settles the outer reservation of r, after r's own.
func (r *Reservation) finishWithin(ctx context.Context, resp *runtime.Response, err error) error {
	err = r.outer.Finish(ctx, resp, err)
	return r.c.withinHalt(ctx, err)
}

// within merges the outer budget's view into s, this budget's own.
func (c *Controller) within(ctx context.Context, s Status) (Status, error) {
	o, err := c.cfg.Within.Status(ctx)
	if err != nil {
		return s, err
	}
	s.CreditsRemaining, s.RefillAt, s.BalanceAsOf, s.BalanceSource = o.CreditsRemaining, o.RefillAt, o.BalanceAsOf, o.BalanceSource
	s.Stale, s.Reserve = o.Stale, o.Reserve
	s.Exhausted = s.Exhausted || o.Exhausted
	s.Available = min(s.Available, o.Available)
	if s.Warning == "" {
		s.Warning = o.Warning
	}
	return s, nil
}

// previewWithin is Preview for a Controller with Config.Within.
func (c *Controller) previewWithin(ctx context.Context, a Ask, own Grant) (Grant, error) {
	oa := a
	if a.Rows > 0 {
		oa.Rows = own.Rows
	}
	g, err := c.cfg.Within.Preview(ctx, oa)
	if err != nil {
		return Grant{}, c.withinHalt(ctx, err)
	}
	own.Rows, own.Credits, own.Fitted = g.Rows, g.Credits, g.Rows < a.Rows
	if own.Warning == "" {
		own.Warning = g.Warning
	}
	return own, nil
}
