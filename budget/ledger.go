package budget

import (
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// This file is the ledger's arithmetic: pure functions of a Ledger and
// an operation, with the time as an argument. The in-memory store applies
// them under a mutex; another Store must apply the same rules atomically
// (redisstore runs them as a Lua script, tested against these).

// Limits are the bounds a new reservation must fit under: the Config's
// run cap, floor and per-call limit.
type Limits struct {
	// Cap is the run cap; negative means no cap.
	Cap int64
	// Floor is the balance never to touch (Config.Reserve).
	Floor int64
	// PerCall is the most one call may hold; 0 means no limit.
	PerCall int64
}

// Hold asks a Store to reserve the credits of one call.
type Hold struct {
	// ID names the reservation, unique within the Controller that made
	// it; a store may use it to make the settlement idempotent.
	ID string
	// Ask is the call's worst case; it is valid and not free.
	Ask Ask
	// Limits bound the reservation.
	Limits Limits
	// Seen is the lowest X-Credits-Remaining seen on other responses
	// since the last write, if any: applied before the reservation is
	// decided.
	Seen runtime.Count
	// Now is the time of the reservation.
	Now time.Time
}

// Settlement asks a Store to end a reservation: release what it held and
// charge what the call cost.
type Settlement struct {
	// ID is the Hold.ID of the reservation.
	ID string
	// Release is the credits the reservation held (0 for a free call).
	Release int64
	// Charge is the credits the call cost.
	Charge int64
	// Seen is the lowest X-Credits-Remaining seen on other responses
	// since the last write, if any: applied first.
	Seen runtime.Count
	// Remaining is the X-Credits-Remaining of the call's own response,
	// if any.
	Remaining runtime.Count
	// Now is the time of the settlement.
	Now time.Time
}

// Fact asks a Store to record what was learnt of the workspace: a balance
// header, a GET /v1/usage answer, or a 402.
type Fact struct {
	// Now is when the fact was learnt.
	Now time.Time
	// Seen is the lowest X-Credits-Remaining seen since the last write,
	// if any: applied after Usage.
	Seen runtime.Count
	// Usage is a GET /v1/usage answer, if any.
	Usage *UsageFact
	// Exhaust marks the budget exhausted after a real 402.
	Exhaust bool
}

// UsageFact is what GET /v1/usage said.
type UsageFact struct {
	// TotalRemaining is credits.totalRemaining.
	TotalRemaining int64
	// SpentBefore is Ledger.Spent when the request was sent: charges
	// settled while it was in flight are subtracted from its figure.
	SpentBefore int64
	// RefillAt is billing.currentPeriodEnd; zero when unknown.
	RefillAt time.Time
	// Floor is Config.Reserve: an exhausted mark clears when the balance
	// is above it.
	Floor int64
}

// Reserve applies h to l: it clears an exhausted mark whose refill date
// has passed, records h.Seen, and holds the credits the reservation
// rule grants (the worst case, or the most that still fits at least
// Ask.MinRows rows), which it returns; 0 means the call halts and l's
// credits are unchanged.
func (l *Ledger) Reserve(h Hold) int64 {
	lapse(l, h.Now)
	l.see(h.Seen, h.Now)
	g, halt := decide(*l, h.Limits, h.Ask, h.Now)
	if halt != nil {
		return 0
	}
	l.InFlight += g.Credits
	return g.Credits
}

// Settle applies s to l: the hold is released, the charge added to Spent,
// and the balance lowered by the response's header (or, without one, by
// the charge).
func (l *Ledger) Settle(s Settlement) {
	l.see(s.Seen, s.Now)
	l.InFlight = max(0, l.InFlight-s.Release)
	l.Spent += s.Charge
	if l.BalanceKnown && !s.Remaining.Present {
		// No header to say what the balance is now: the charge is all
		// there is to go on.
		l.Balance -= s.Charge
	}
	l.see(s.Remaining, s.Now)
}

// Record applies f to l. A usage answer sets the balance (it may raise
// it: a top-up, a refill) and the refill date, and clears an exhausted
// mark when the balance is above the floor; a balance header can only
// lower the balance; a 402 marks the budget exhausted until the refill
// date.
func (l *Ledger) Record(f Fact) {
	if u := f.Usage; u != nil {
		l.Balance = u.TotalRemaining - max(0, l.Spent-u.SpentBefore)
		l.BalanceKnown = true
		l.BalanceAt = f.Now
		l.BalanceSource = SourceUsage
		if !u.RefillAt.IsZero() {
			l.RefillAt = u.RefillAt
		}
		if l.Exhausted {
			if l.Balance > u.Floor {
				l.Exhausted, l.ExhaustedUntil = false, time.Time{}
			} else if !u.RefillAt.IsZero() {
				l.ExhaustedUntil = u.RefillAt
			}
		}
	}
	l.see(f.Seen, f.Now)
	if f.Exhaust {
		l.Exhausted = true
		l.ExhaustedUntil = time.Time{}
		if l.RefillAt.After(f.Now) {
			l.ExhaustedUntil = l.RefillAt
		}
	}
}

// see records a balance header. The header is the balance after its own
// response was settled, so it already counts that response's charge and
// every charge settled before it; responses settled later bring lower
// figures. So the minimum is right whatever order responses arrive in.
func (l *Ledger) see(rem runtime.Count, now time.Time) {
	if !rem.Present {
		return
	}
	if !l.BalanceKnown || rem.Value < l.Balance {
		l.Balance = rem.Value
	}
	l.BalanceKnown = true
	l.BalanceAt = now
	l.BalanceSource = SourceHeader
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

// exhaustedAt reports whether the exhausted mark of l holds at now: it
// lapses at ExhaustedUntil (the refill date) when that is known.
func exhaustedAt(l Ledger, now time.Time) bool {
	return l.Exhausted && (l.ExhaustedUntil.IsZero() || now.Before(l.ExhaustedUntil))
}

// bounds are the three bounds on a new reservation, computed from a
// ledger.
type bounds struct {
	capLeft    int64
	hasCap     bool
	balLeft    int64 // balance − floor − InFlight
	balance    int64
	hasBalance bool
	perCall    int64
	hasPerCall bool
}

func boundsOf(l Ledger, lim Limits) bounds {
	var x bounds
	if lim.Cap >= 0 {
		x.hasCap, x.capLeft = true, lim.Cap-l.Spent-l.InFlight
	}
	if l.BalanceKnown {
		x.hasBalance, x.balance = true, l.Balance
		x.balLeft = l.Balance - lim.Floor - l.InFlight
	}
	if lim.PerCall > 0 {
		x.hasPerCall, x.perCall = true, lim.PerCall
	}
	return x
}

// available is the most a new reservation may hold: NoLimit when nothing
// bounds it, never negative.
func (x bounds) available() int64 {
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
func (x bounds) binding() string {
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

// decide is the whole reservation rule: given the ledger (its exhausted
// mark already lapsed at now), what the ask is granted, or why it halts.
// The halt's Status is left for the caller to fill.
func decide(l Ledger, lim Limits, a Ask, now time.Time) (Grant, *HaltError) {
	worst := a.Worst()
	if worst == 0 {
		return Grant{Rows: a.Rows}, nil
	}
	needed := a.Needed()
	if exhaustedAt(l, now) {
		return Grant{}, &HaltError{Code: CodeExhausted, Source: SourceBudget, Operation: a.Operation, Needed: needed, Available: 0}
	}
	x := boundsOf(l, lim)
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
