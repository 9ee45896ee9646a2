package budget

import (
	"context"
	"sync"
	"time"
)

// Ledger is the whole state of a budget: what the run has spent, what is
// held by calls in flight, and what is known of the workspace's balance.
// The Controller keeps no other mutable state, so a Store shared by many
// processes gives them one budget.
type Ledger struct {
	// Spent is the credits charged to the run so far (settled calls, and
	// metered responses seen without a reservation).
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

// A Store holds a Ledger. Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the current ledger.
	Load(ctx context.Context) (Ledger, error)
	// Update applies fn to the current ledger atomically and returns the
	// ledger as committed. If fn returns an error nothing is committed and
	// Update returns that error. fn may be called more than once (a store
	// with optimistic concurrency retries it after a conflict), so it must
	// depend only on the ledger it is given.
	Update(ctx context.Context, fn func(*Ledger) error) (Ledger, error)
}

// NewMemoryStore returns a Store that keeps the ledger in memory, guarded
// by a mutex: the budget of one process.
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

func (s *memoryStore) Update(_ context.Context, fn func(*Ledger) error) (Ledger, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.l
	if err := fn(&s.l); err != nil {
		s.l = old
		return old, err
	}
	return s.l, nil
}
