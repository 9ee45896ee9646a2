package sandbox

import (
	"fmt"
	"time"
)

// Credit sources reported in X-Credits-Source.
const (
	sourceRecurring = "recurring"
	sourceTopup     = "topup"
	sourceHybrid    = "hybrid"
)

// ledger is a workspace's credit account. The Server's mutex guards it.
type ledger struct {
	limit     int64     // recurring credits per period
	recurring int64     // recurring credits remaining this period
	topup     int64     // top-up balance
	reserved  int64     // held by in-flight metered calls
	spent     int64     // total charged since the server started
	period    time.Time // start of the period recurring belongs to
}

// set replaces the balance; the recurring limit grows to cover c.Recurring.
func (l *ledger) set(c Credits, period time.Time) {
	l.limit = max(DefaultRecurringLimit, c.Recurring)
	l.recurring = max(0, c.Recurring)
	l.topup = max(0, c.Topup)
	l.period = period
}

// refresh refills recurring credits when now is in a later period.
func (l *ledger) refresh(now time.Time) {
	if p := periodStart(now); p.After(l.period) {
		l.period = p
		l.recurring = l.limit
	}
}

// available is what a new reservation may draw on.
func (l *ledger) available() int64 { return l.recurring + l.topup - l.reserved }

// reserve holds n credits, or reports false if the balance does not cover
// them.
func (l *ledger) reserve(n int64) bool {
	if n > l.available() {
		return false
	}
	l.reserved += n
	return true
}

// settle releases a reservation of held credits and charges cost of them,
// recurring first. It returns the source of the charge.
func (l *ledger) settle(held, cost int64) string {
	l.reserved -= held
	cost = min(cost, l.recurring+l.topup)
	fromRecurring := min(cost, l.recurring)
	fromTopup := cost - fromRecurring
	l.recurring -= fromRecurring
	l.topup -= fromTopup
	l.spent += cost
	switch {
	case fromTopup == 0:
		return sourceRecurring
	case fromRecurring == 0:
		return sourceTopup
	default:
		return sourceHybrid
	}
}

// remaining is recurring plus top-up (reservations are not subtracted).
func (l *ledger) remaining() int64 { return l.recurring + l.topup }

// periodStart is the start of the billing period holding t: the first day
// of its month, UTC.
func periodStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// workspaceOf returns the workspace of key; s.mu must be held.
func (s *Server) workspaceOf(key, caller string) *workspace {
	c := s.creds[key]
	if c == nil {
		panic(fmt.Sprintf("sandbox: %s: unknown key %q; use DemoKey or a key from NewWorkspace", caller, key))
	}
	return c.ws
}

// SetCredits sets the balance of key's workspace exactly (a zero Credits
// empties it). It panics if key is unknown.
func (s *Server) SetCredits(key string, c Credits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.workspaceOf(key, "SetCredits")
	ws.ledger.set(c, periodStart(s.now()))
}

// Credits returns the current balance of key's workspace, or the zero
// Credits if key is unknown.
func (s *Server) Credits(key string) Credits {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.creds[key]
	if c == nil {
		return Credits{}
	}
	c.ws.ledger.refresh(s.now())
	return Credits{Recurring: c.ws.ledger.recurring, Topup: c.ws.ledger.topup}
}

// Spent returns the credits charged to key's workspace since the server
// started, or 0 if key is unknown.
func (s *Server) Spent(key string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.creds[key]
	if c == nil {
		return 0
	}
	return c.ws.ledger.spent
}

// reserve holds n credits of ws for a metered call.
func (s *Server) reserve(ws *workspace, n int64, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws.ledger.refresh(now)
	return ws.ledger.reserve(n)
}

// settle ends a reservation of held credits by charging cost of them. It
// returns the balance left and the source of the charge.
func (s *Server) settle(ws *workspace, held, cost int64) (remaining int64, source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	source = ws.ledger.settle(held, cost)
	return ws.ledger.remaining(), source
}
