package budget

import (
	"context"
	"errors"
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
// halt. Both are settled by the call's response and released by Finish.
// Status is this budget's view (its cap, its spend, its holds) with the
// workspace facts of the outer one (balance, floor, refill date,
// exhaustion) and the tighter of the two availabilities, so a client
// sees what it may still spend and nothing of the others'.
//
// The outer budget alone handles a real 402: it marks the workspace
// exhausted and refreshes the balance; the inner one only releases its
// hold.

// errWithinSelf is the error of a Config whose Within keeps its ledger
// in the same Store.
var errWithinSelf = errors.New("invalid Within: the inner budget needs a Store of its own")

// reserveWithin is Reserve for a Controller with Config.Within.
func (c *Controller) reserveWithin(ctx context.Context, a Ask) (context.Context, *Reservation, error) {
	ictx, own, err := c.reserveOwn(ctx, a)
	if err != nil {
		if h, ok := AsHalt(err); ok {
			h.Status = c.Status()
		}
		return ctx, nil, err
	}
	oa := a
	if a.Rows > 0 {
		oa.Rows = own.Rows
	}
	_, outer, err := c.cfg.Within.Reserve(ctx, oa)
	if err != nil {
		_ = own.Finish(ictx, nil)
		if h, ok := AsHalt(err); ok {
			h.Status = c.Status()
		}
		return ctx, nil, err
	}
	if outer.Credits < own.Credits {
		// The outer budget fitted the call further: hold no more here
		// than it granted (rare; it costs a release and a reservation).
		_ = own.Finish(ictx, nil)
		na := a
		na.Rows, na.NoFit = outer.Rows, true
		if ictx, own, err = c.reserveOwn(ctx, na); err != nil {
			_ = outer.Finish(ctx, nil)
			if h, ok := AsHalt(err); ok {
				h.Status = c.Status()
			}
			return ctx, nil, err
		}
	}
	own.outer = outer
	own.Rows, own.Credits = outer.Rows, outer.Credits
	own.Fitted = own.Rows < a.Rows
	if own.Warning == "" {
		own.Warning = outer.Warning
	}
	return ictx, own, nil
}

// within merges the outer budget's view into s, this budget's own.
func (c *Controller) within(s Status) Status {
	o := c.cfg.Within.Status()
	s.CreditsRemaining, s.RefillAt, s.BalanceAsOf, s.BalanceSource = o.CreditsRemaining, o.RefillAt, o.BalanceAsOf, o.BalanceSource
	s.Stale, s.Reserve = o.Stale, o.Reserve
	s.Exhausted = s.Exhausted || o.Exhausted
	s.Available = min(s.Available, o.Available)
	if s.Warning == "" {
		s.Warning = o.Warning
	}
	return s
}

// previewWithin is Preview for a Controller with Config.Within.
func (c *Controller) previewWithin(a Ask, own Grant) (Grant, error) {
	oa := a
	if a.Rows > 0 {
		oa.Rows = own.Rows
	}
	g, err := c.cfg.Within.Preview(oa)
	if err != nil {
		if h, ok := AsHalt(err); ok {
			h.Status = c.Status()
		}
		return Grant{}, err
	}
	own.Rows, own.Credits, own.Fitted = g.Rows, g.Credits, g.Rows < a.Rows
	if own.Warning == "" {
		own.Warning = g.Warning
	}
	return own, nil
}
