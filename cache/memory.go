package cache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// A Backend stores encoded entries under keys in groups, each group with
// a generation that Bump moves on. Implementations must be safe for
// concurrent use. Errors mean the backend could not be reached or
// answered nonsense; a missing key is not an error.
type Backend interface {
	// Load returns the value stored under key in group's current
	// generation, and that generation (0 for a group never bumped).
	Load(ctx context.Context, group, key string) (value []byte, gen uint64, found bool, err error)
	// Save stores value under key in generation gen of group for ttl,
	// unless the group's generation is no longer gen (the value then
	// predates a Bump and is dropped). A value larger than the backend's
	// bound is dropped too.
	Save(ctx context.Context, group, key string, gen uint64, value []byte, ttl time.Duration) error
	// Bump starts a new generation of group: nothing stored before is
	// found any more.
	Bump(ctx context.Context, group string) error
}

// A Sizer is a Backend that can tell how much it holds.
type Sizer interface {
	// Size returns the entries held, their bytes and the bound on bytes.
	Size(ctx context.Context) (entries, bytes, maxBytes int64, err error)
}

// Memory is a Backend in the process's memory: at most MaxBytes of keys
// and values, evicting the least recently used entry first, and dropping
// expired ones as it meets them. It is safe for concurrent use.
//
// It is written out rather than taken from an LRU library: the common
// ones (hashicorp/golang-lru) bound the number of entries, not bytes, and
// the cost-based ones (ristretto) may refuse a Set by their admission
// policy, which would make a stored answer a matter of chance.
type Memory struct {
	max int64
	now func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *memEntry, most recently used first
	byKey map[memKey]*list.Element
	gens  map[string]uint64
	// groups indexes the entries of each group, for Bump.
	groups map[string]map[memKey]*list.Element
	bytes  int64
}

type memKey struct{ group, key string }

type memEntry struct {
	k       memKey
	value   []byte
	expires time.Time
	size    int64
}

// memOverhead is what one entry is counted for beyond its key and value
// bytes: the list element, the map slots and the entry struct.
const memOverhead = 160

// NewMemory returns a Memory backend of at most maxBytes (a non-positive
// value means DefaultMaxBytes).
func NewMemory(maxBytes int64) *Memory {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Memory{max: maxBytes, now: time.Now, lru: list.New(), byKey: map[memKey]*list.Element{},
		gens: map[string]uint64{}, groups: map[string]map[memKey]*list.Element{}}
}

// WithClock makes m tell expiry by now (tests pass a fake clock) and
// returns m.
func (m *Memory) WithClock(now func() time.Time) *Memory {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = now
	return m
}

// Load implements Backend.
func (m *Memory) Load(_ context.Context, group, key string) ([]byte, uint64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	gen := m.gens[group]
	el, ok := m.byKey[memKey{group, key}]
	if !ok {
		return nil, gen, false, nil
	}
	e := el.Value.(*memEntry)
	if !m.now().Before(e.expires) {
		m.remove(el)
		return nil, gen, false, nil
	}
	m.lru.MoveToFront(el)
	return e.value, gen, true, nil
}

// Save implements Backend.
func (m *Memory) Save(_ context.Context, group, key string, gen uint64, value []byte, ttl time.Duration) error {
	k := memKey{group, key}
	size := int64(len(group)+len(key)+len(value)) + memOverhead
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gens[group] != gen || size > m.max || ttl <= 0 {
		return nil
	}
	if el, ok := m.byKey[k]; ok {
		m.remove(el)
	}
	e := &memEntry{k: k, value: value, expires: m.now().Add(ttl), size: size}
	el := m.lru.PushFront(e)
	m.byKey[k] = el
	if m.groups[group] == nil {
		m.groups[group] = map[memKey]*list.Element{}
	}
	m.groups[group][k] = el
	m.bytes += size
	for m.bytes > m.max {
		m.remove(m.lru.Back())
	}
	return nil
}

// Bump implements Backend: it drops the group's entries at once.
func (m *Memory) Bump(_ context.Context, group string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gens[group]++
	for _, el := range m.groups[group] {
		m.remove(el)
	}
	return nil
}

// Size implements Sizer.
func (m *Memory) Size(context.Context) (entries, bytes, maxBytes int64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(m.lru.Len()), m.bytes, m.max, nil
}

func (m *Memory) remove(el *list.Element) {
	e := m.lru.Remove(el).(*memEntry)
	delete(m.byKey, e.k)
	if g := m.groups[e.k.group]; g != nil {
		delete(g, e.k)
		if len(g) == 0 {
			delete(m.groups, e.k.group)
		}
	}
	m.bytes -= e.size
}
