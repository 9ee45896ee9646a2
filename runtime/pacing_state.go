package runtime

import (
	"context"
	"sync"
)

// A PacingState holds the Pace of one API key. Implementations must be
// safe for concurrent use.
type PacingState interface {
	// Update applies fn to the current Pace atomically and returns the
	// Pace as committed. fn may be called more than once (a state with
	// optimistic concurrency retries it after a conflict), so it must
	// depend only on the Pace it is given.
	Update(ctx context.Context, fn func(*Pace)) (Pace, error)
}

// NewMemoryPacing returns a PacingState kept in memory, guarded by a
// mutex: the pacing of one process.
func NewMemoryPacing() PacingState { return &memoryPacing{} }

type memoryPacing struct {
	mu sync.Mutex
	p  Pace
}

func (m *memoryPacing) Update(_ context.Context, fn func(*Pace)) (Pace, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn(&m.p)
	return m.p, nil
}
