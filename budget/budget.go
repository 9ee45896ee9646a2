// Package budget is tollgate's credit controller: it stops agents before
// the TrendTrack API would answer 402 insufficient_credits, never after.
//
// Every metered call costs one credit per returned row or item, and the
// API reserves the worst case (the request's limit) before it runs the
// call. The controller does the same on the client's side, against three
// limits:
//
//   - the run cap (Config.MaxCredits): the most this process may spend;
//   - the floor (Config.Reserve): credits of the workspace never to touch;
//   - the per-call limit (Config.MaxPerCall).
//
// # Reservation and settlement
//
// Before a call, Reserve is given an Ask: the worst case of the call (Fixed
// credits plus one per row asked for). It holds that many credits "in
// flight" if they fit under every limit:
//
//	available = min(cap − spent − inFlight,
//	                balance − Reserve − inFlight,
//	                MaxPerCall)
//
// If the worst case does not fit but a smaller page does (at least
// Ask.MinRows rows), the call is fitted: the Grant says how many rows to
// ask for. Otherwise Reserve returns a *HaltError naming the limit that
// binds, with an action a model can follow. Free calls (worst case 0) are
// never halted and need no round trip to the store.
//
// After the call, the reservation settles from the call's own answer:
// Finish is given what runtime.Client.Do returned, releases the hold and
// charges what the response says the call cost (X-Usage-Cost, read from
// Response.Metering, or APIError.Metering for a refused call). A paid
// response without a cost header is charged its worst case; a call that
// failed costs nothing; a real 402 becomes a HaltError.
//
//	r, err := ctrl.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 50})
//	if err != nil {
//		return err // a *HaltError: runtime.Advise(err) is what to tell the model
//	}
//	req.Query.Set("limit", strconv.FormatInt(r.Rows, 10))
//	resp, err := client.Do(ctx, req)
//	err = r.Finish(ctx, resp, err)
//
// A Controller is made after the client it reads GET /v1/usage through,
// so nothing has to be declared ahead:
//
//	client, err := runtime.New(runtime.WithAPIKey(key))
//	...
//	ctrl, err := budget.New(budget.Config{MaxCredits: 500, Usage: client})
//
// Package tollgate (the module's root) does this, with the tool
// catalogue, in one call. The Controller is also a runtime.Observer:
// registered on a call (runtime.WithCallObserver, as package tools does)
// or on a client, it learns the balance headers of responses it did not
// reserve for, such as a retried attempt's. It only learns facts from
// them: settlement is Finish's alone.
//
// # The balance
//
// The balance is learnt from GET /v1/usage (Refresh, free; it also gives the
// refill date) and from X-Credits-Remaining on every response. Responses of
// concurrent calls arrive in any order, so a header can only lower the
// known balance; only Refresh may raise it (after a top-up or a refill).
// A header is the balance after its own response was settled, so it
// already counts that response's charge and every charge settled before:
// taking the minimum is exact whatever the order, and the charge is not
// subtracted again (doing so would count some charges twice and drift
// low). A settled charge that came without X-Credits-Remaining lowers the
// estimate by the charge. When the balance is unknown only the cap and the
// per-call limit bind.
//
// After a real 402 (another client drained the workspace) the budget is
// marked exhausted until the refill date, or until a Refresh shows credits
// above the floor again: every metered ask then halts with
// budget_exhausted.
//
// # Stores
//
// All state lives in a Ledger held by a Store, so that a budget can be
// shared by many processes without changing callers. NewMemoryStore keeps
// it in memory: the budget of one process. Package redisstore keeps it in
// Redis, so that parallel batch jobs and the MCP servers of a team share
// one Spent against one run cap (Config.MaxCredits becomes the cap of the
// whole group), one InFlight and one view of the balance. A Store applies
// each operation atomically with the rules of Ledger.Reserve,
// Ledger.Settle and Ledger.Record, which are pure functions of the ledger
// and the operation.
//
// # When the budget cannot be known
//
// A shared store can fail: down, paused, too slow to answer in time. The
// Controller then fails closed. Reserve returns a *HaltError with
// CodeStoreUnavailable (source "budget", retryable): no paid call is made
// while the budget cannot be read, since nobody could tell whether it
// fits. Free calls go on: they need no reservation. A settlement the
// store cannot record is kept by the store and written, in order, when it
// can be reached again (Store.Settle, ErrPending); its reservation's
// credits stay counted against the cap meanwhile. Every read (Status,
// Preview, Refresh) takes a context and returns the store's error rather
// than a guess.
package budget

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// DefaultMaxCredits is the run cap when Config.MaxCredits is 0.
const DefaultMaxCredits = 1000

// Unlimited as Config.MaxCredits means no run cap (any negative value
// does).
const Unlimited = -1

// NoLimit is Status.Available and HaltError.Available when nothing bounds a
// call: no run cap, an unknown balance and no per-call limit.
const NoLimit int64 = math.MaxInt64

// Defaults applied by New.
const (
	DefaultWarnAt     = 0.8
	DefaultStaleAfter = 5 * time.Minute
	// RefreshTimeout bounds the GET /v1/usage made by Finish after a 402.
	RefreshTimeout = 10 * time.Second
)

// maxAsk bounds the credits of one Ask, so that arithmetic cannot
// overflow; no API call comes near it.
const maxAsk = 1 << 40

// Config configures a Controller. Zero values mean the documented
// defaults.
type Config struct {
	// MaxCredits is the run cap: the most this process (or, with a shared
	// Store, the group of processes using it) may spend. 0 means
	// DefaultMaxCredits; a negative value (Unlimited) means no cap.
	MaxCredits int64
	// FreeCallsOnly makes the run cap 0 (MaxCredits is then ignored):
	// free calls run, every paid call halts with budget_cap_reached.
	FreeCallsOnly bool
	// Reserve is the floor: credits of the workspace never to touch.
	// Default 0; negative is an error.
	Reserve int64
	// MaxPerCall is the most one call may reserve; 0 means no per-call
	// limit. Negative is an error.
	MaxPerCall int64
	// WarnAt is the fraction of the cap after which grants carry a
	// warning; 0 means DefaultWarnAt (0.8). It must be in (0, 1].
	WarnAt float64
	// StaleAfter is the age after which a balance is reported stale; 0
	// means DefaultStaleAfter (5 minutes). Negative is an error.
	StaleAfter time.Duration
	// Store holds the ledger; nil means NewMemoryStore().
	Store Store
	// Usage is where Refresh gets GET /v1/usage: the *runtime.Client the
	// calls go through. It may be nil: the balance is then learnt from
	// headers only.
	Usage UsageSource
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// Logger receives Debug logs per call and refresh, Info logs for
	// halts and anomalies, and Warn logs for charges a store kept for
	// later; nil discards them.
	Logger *slog.Logger
	// Within, when set, is the budget this one lives inside: a call must
	// fit both (see within.go). This budget then keeps no floor or
	// balance of its own; Reserve and the workspace facts are the outer
	// one's.
	Within *Controller
}

// A UsageSource answers GET /v1/usage. *runtime.Client is one.
type UsageSource interface {
	Usage(ctx context.Context) (*runtime.Usage, error)
}

// UsageFunc adapts a function to a UsageSource, for a balance that comes
// from elsewhere than a *runtime.Client (a test, a cache).
type UsageFunc func(ctx context.Context) (*runtime.Usage, error)

// Usage implements UsageSource.
func (f UsageFunc) Usage(ctx context.Context) (*runtime.Usage, error) { return f(ctx) }

// Controller is the credit controller. It is safe for concurrent use and
// implements runtime.Observer (for balance facts only).
type Controller struct {
	cfg    Config
	store  Store
	now    func() time.Time
	logger *slog.Logger

	facts    facts         // balance headers not yet written
	idPrefix string        // makes reservation ids unique to this Controller
	seq      atomic.Uint64 // numbers reservations
}

var _ runtime.Observer = (*Controller)(nil)

// New validates cfg, applies the defaults and returns a Controller. Call
// Refresh once before the first call to learn the balance and the refill
// date.
func New(cfg Config) (*Controller, error) {
	var errs []error
	if cfg.Reserve < 0 {
		errs = append(errs, fmt.Errorf("invalid Reserve %d: the floor must be 0 or more credits", cfg.Reserve))
	}
	if cfg.MaxPerCall < 0 {
		errs = append(errs, fmt.Errorf("invalid MaxPerCall %d: use 0 for no per-call limit, or a positive number of credits", cfg.MaxPerCall))
	}
	if cfg.WarnAt != 0 && !(cfg.WarnAt > 0 && cfg.WarnAt <= 1) {
		errs = append(errs, fmt.Errorf("invalid WarnAt %v: it is a fraction of the cap and must be in (0, 1], e.g. 0.8 (0 means the default 0.8)", cfg.WarnAt))
	}
	if cfg.StaleAfter < 0 {
		errs = append(errs, fmt.Errorf("invalid StaleAfter %v: it must be positive (0 means the default %v)", cfg.StaleAfter, DefaultStaleAfter))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("budget: invalid config: %w", errors.Join(errs...))
	}
	if cfg.Within != nil && cfg.Store != nil && cfg.Store == cfg.Within.store {
		return nil, fmt.Errorf("budget: invalid config: %w", errWithinSelf)
	}
	switch {
	case cfg.FreeCallsOnly:
		cfg.MaxCredits = 0
	case cfg.MaxCredits == 0:
		cfg.MaxCredits = DefaultMaxCredits
	case cfg.MaxCredits < 0:
		cfg.MaxCredits = Unlimited
	}
	if cfg.WarnAt == 0 {
		cfg.WarnAt = DefaultWarnAt
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var id [6]byte
	_, _ = crand.Read(id[:]) // never fails
	return &Controller{cfg: cfg, store: cfg.Store, now: cfg.Now, logger: cfg.Logger,
		idPrefix: hex.EncodeToString(id[:]) + "."}, nil
}

// Config returns the effective configuration, defaults applied.
func (c *Controller) Config() Config { return c.cfg }

// capped reports whether the run has a cap.
func (c *Controller) capped() bool { return c.cfg.MaxCredits >= 0 }

// Refresh calls GET /v1/usage through Config.Usage and records the balance
// (which may raise it, e.g. after a top-up), the refill date and the time.
// If the budget was marked exhausted and the balance is now above the
// floor, the mark is cleared. It fails if Config.Usage is nil, and when
// the store cannot be read or written.
//
// Charges settled while the usage request was in flight are subtracted
// from its figure, since the API may have counted them or not; the
// estimate errs low, never high.
func (c *Controller) Refresh(ctx context.Context) (*runtime.Usage, error) {
	if c.cfg.Usage == nil {
		return nil, errors.New("budget: cannot refresh the balance: no usage source (set Config.Usage to the runtime.Client)")
	}
	before, err := c.store.Load(ctx)
	if err != nil {
		return nil, storeError(ctx, "reading the ledger", err)
	}
	sent := c.now()
	u, err := c.cfg.Usage.Usage(ctx)
	if err != nil {
		return nil, fmt.Errorf("budget: refreshing the balance with GET /v1/usage: %w", err)
	}
	c.facts.forgetBefore(sent)
	seen, ver := c.facts.take()
	refill, _ := u.RefillAt()
	uf := &UsageFact{TotalRemaining: u.Credits.TotalRemaining, SpentBefore: before.Spent, RefillAt: refill, Floor: c.cfg.Reserve}
	l, err := c.store.Record(ctx, Fact{Now: c.now(), Usage: uf, Seen: seen})
	if err != nil {
		return u, storeError(ctx, "recording the balance", err)
	}
	c.facts.ack(ver)
	c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: balance refreshed",
		slog.Int64("balance", l.Balance), slog.Int64("usageTotalRemaining", u.Credits.TotalRemaining),
		slog.Time("refillAt", l.RefillAt), slog.Bool("exhausted", l.Exhausted), slog.Bool("exhaustedCleared", before.Exhausted && !l.Exhausted))
	return u, nil
}

// Status is a snapshot of the budget. Its JSON form is the "budget" object
// of tollgate's error advice.
type Status struct {
	// CreditsRemaining is the last known balance; null when unknown.
	CreditsRemaining *int64 `json:"creditsRemaining"`
	// RunSpent is the credits charged to this run.
	RunSpent int64 `json:"runSpent"`
	// RunCap is the run cap; null when unlimited.
	RunCap *int64 `json:"runCap"`
	// Reserve is the floor: credits never to touch.
	Reserve int64 `json:"reserve"`
	// InFlight is the credits held by calls in progress.
	InFlight int64 `json:"inFlight"`
	// Available is the most the next call could reserve now (NoLimit when
	// nothing bounds it).
	Available int64 `json:"available"`
	// RefillAt is when recurring credits refill, when known.
	RefillAt *time.Time `json:"refillAt,omitempty"`
	// BalanceAsOf is when the balance was learnt.
	BalanceAsOf *time.Time `json:"balanceAsOf,omitempty"`
	// BalanceSource is SourceUsage or SourceHeader.
	BalanceSource string `json:"balanceSource,omitempty"`
	// Stale reports a balance older than Config.StaleAfter.
	Stale bool `json:"stale"`
	// Exhausted reports a workspace without credits: the balance is known
	// to be 0 or less, or the API answered 402 and neither the refill date
	// nor a Refresh showing credits has come since.
	Exhausted bool `json:"exhausted"`
	// Warning is set once the run has spent or reserved WarnAt of its cap.
	Warning string `json:"warning,omitempty"`
}

// MarshalJSON writes Available as null when nothing bounds it, rather
// than NoLimit's 19 digits, which a model would read as a real figure.
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status
	out := struct {
		plain
		Available *int64 `json:"available"`
	}{plain: plain(s)}
	if s.Available != NoLimit {
		out.Available = &s.Available
	}
	return json.Marshal(out)
}

// Status reads the budget from the store. When the store cannot be read
// it returns the error and a Status that holds only the configuration
// (the cap and the floor).
func (c *Controller) Status(ctx context.Context) (Status, error) {
	l, err := c.load(ctx)
	if err != nil {
		return c.configStatus(), storeError(ctx, "reading the ledger", err)
	}
	if c.cfg.Within != nil {
		return c.within(ctx, c.status(l, c.now()))
	}
	return c.status(l, c.now()), nil
}

// load reads the ledger, with the balance headers not yet written shown.
func (c *Controller) load(ctx context.Context) (Ledger, error) {
	l, err := c.store.Load(ctx)
	if err != nil {
		return Ledger{}, err
	}
	c.facts.apply(&l)
	return l, nil
}

// configStatus is the Status of a budget whose ledger cannot be read.
func (c *Controller) configStatus() Status {
	s := Status{Reserve: c.cfg.Reserve}
	if c.capped() {
		runCap := c.cfg.MaxCredits
		s.RunCap = &runCap
	}
	return s
}

// status builds the snapshot of l at now.
func (c *Controller) status(l Ledger, now time.Time) Status {
	lapse(&l, now)
	marked := exhaustedAt(l, now)
	s := Status{
		RunSpent:  l.Spent,
		Reserve:   c.cfg.Reserve,
		InFlight:  l.InFlight,
		Exhausted: marked || l.BalanceKnown && l.Balance <= 0,
	}
	if c.capped() {
		runCap := c.cfg.MaxCredits
		s.RunCap = &runCap
	}
	if l.BalanceKnown {
		b := l.Balance
		s.CreditsRemaining = &b
		at := l.BalanceAt
		s.BalanceAsOf = &at
		s.BalanceSource = l.BalanceSource
		s.Stale = now.Sub(l.BalanceAt) > c.cfg.StaleAfter
	}
	if !l.RefillAt.IsZero() {
		r := l.RefillAt
		s.RefillAt = &r
	}
	if !marked {
		s.Available = boundsOf(l, c.limits()).available()
	}
	s.Warning = c.warning(l.Spent + l.InFlight)
	return s
}

// warning returns the warning for a run that has committed (spent or
// reserved) that many credits, or "".
func (c *Controller) warning(committed int64) string {
	if !c.capped() || c.cfg.MaxCredits <= 0 {
		return ""
	}
	capf := float64(c.cfg.MaxCredits)
	if float64(committed) < c.cfg.WarnAt*capf {
		return ""
	}
	left := max(0, c.cfg.MaxCredits-committed)
	pct := int(math.Round(100 * float64(committed) / capf))
	return fmt.Sprintf("Budget: %d of this run's %d-credit cap are spent or reserved (%d%%); %d left. "+
		"Use small limits, avoid paging further than needed, and wrap up soon.",
		committed, c.cfg.MaxCredits, pct, left)
}
