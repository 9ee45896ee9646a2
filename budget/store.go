package budget

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Ledger is the whole state of a budget: what the run has spent, what is
// held by calls in flight, and what is known of the workspace's balance.
// The Controller keeps no other state that matters, so a Store shared by
// many processes gives them one budget.
type Ledger struct {
	// Spent is the credits charged to the run so far: what the settled
	// calls cost.
	Spent int64
	// InFlight is the credits held by reservations not yet settled or
	// released.
	InFlight int64

	// Balance is the last known credit balance of the workspace
	// (recurring plus top-up), meaningful only when BalanceKnown.
	Balance      int64
	BalanceKnown bool
	// BalanceAt is when Balance was last learnt from the API.
	BalanceAt time.Time
	// BalanceSource is how it was learnt: SourceUsage or SourceHeader.
	BalanceSource string

	// RefillAt is when recurring credits refill (billing.currentPeriodEnd
	// of GET /v1/usage); zero when unknown.
	RefillAt time.Time

	// Exhausted is set after the API answered 402 insufficient_credits:
	// every metered ask halts until ExhaustedUntil (the refill date; zero
	// when unknown) or until a Refresh shows credits above the floor.
	Exhausted      bool
	ExhaustedUntil time.Time
}

// Balance sources recorded in Ledger.BalanceSource and Status.BalanceSource.
const (
	SourceUsage  = "usage"  // GET /v1/usage
	SourceHeader = "header" // X-Credits-Remaining of a response
)

// A Store holds the Ledger of one budget and applies the Controller's
// operations to it atomically, each with the rules of the Ledger methods
// of the same name (Ledger.Reserve, Ledger.Settle, Ledger.Record).
// Implementations must be safe for concurrent use. NewMemoryStore keeps
// the ledger of one process; package redisstore shares one between
// processes.
type Store interface {
	// Load returns the current ledger.
	Load(ctx context.Context) (Ledger, error)
	// Reserve applies h as Ledger.Reserve does and returns the ledger
	// after it and the credits held (0 when the call halts). An error
	// means the budget cannot be known: the Controller then refuses the
	// call (CodeStoreUnavailable).
	Reserve(ctx context.Context, h Hold) (Ledger, int64, error)
	// Settle applies s as Ledger.Settle does and returns the ledger after
	// it. A settlement must never be lost: a store that cannot write it
	// now keeps it, writes it later in the order it was given, and
	// returns an error that wraps ErrPending; the reservation's credits
	// stay counted in the meantime. A store may be given the same
	// settlement twice (after a timeout whose outcome it could not know)
	// and must apply it once.
	Settle(ctx context.Context, s Settlement) (Ledger, error)
	// Record applies f as Ledger.Record does and returns the ledger after
	// it.
	Record(ctx context.Context, f Fact) (Ledger, error)
}

// ErrPending is wrapped by the error of a Store's Settle when the
// settlement was kept, to be written when the store can be reached again.
var ErrPending = errors.New("budget: the settlement is kept in memory and will be written to the store when it can be reached")

// NewMemoryStore returns a Store that keeps the ledger in memory, guarded
// by a mutex: the budget of one process. It never fails.
func NewMemoryStore() Store { return &memoryStore{} }

type memoryStore struct {
	mu sync.Mutex
	l  Ledger
}

func (s *memoryStore) Load(context.Context) (Ledger, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.l, nil
}

func (s *memoryStore) Reserve(_ context.Context, h Hold) (Ledger, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.l.Reserve(h)
	return s.l, n, nil
}

func (s *memoryStore) Settle(_ context.Context, st Settlement) (Ledger, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.l.Settle(st)
	return s.l, nil
}

func (s *memoryStore) Record(_ context.Context, f Fact) (Ledger, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.l.Record(f)
	return s.l, nil
}
