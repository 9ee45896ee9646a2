package redisstore

import (
	"context"
	crand "crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Defaults of BudgetOptions.
const (
	// DefaultLeaseTTL is how long the credits a process holds stay
	// counted as held after its last word; then they count as spent.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultCloseTimeout bounds what Close does: write the settlements
	// kept in memory, and give back this process's entries.
	DefaultCloseTimeout = 2 * time.Second
)

// minLeaseTTL bounds BudgetOptions.LeaseTTL from below: the heartbeat
// runs every third of it.
const minLeaseTTL = 30 * time.Millisecond

// maxHeartbeat bounds the heartbeat's period, which also bounds how soon
// a live process notices a lost ledger.
const maxHeartbeat = time.Second

// flushBatch is how many kept settlements one script run writes.
const flushBatch = 64

//go:embed ledger.lua
var ledgerSource string

// ledgerScript is made at first use, as the cache's scripts are: a
// process that never talks to Redis does not hash them at start.
var ledgerScript = sync.OnceValue(func() *redis.Script { return redis.NewScript(ledgerSource) })

// BudgetOptions configure a Budget. Zero values mean the documented
// defaults.
type BudgetOptions struct {
	// Prefix starts every key; "" means DefaultPrefix. Budgets with the
	// same prefix and name are one budget.
	Prefix string
	// LeaseTTL is how long what this process holds stays counted as
	// held after its last operation or heartbeat; then the group counts
	// it as spent. The heartbeat runs every LeaseTTL/3, at most every
	// second. 0 means DefaultLeaseTTL; else at least 30 ms. Every
	// process sharing a budget should use the same value.
	LeaseTTL time.Duration
	// Timeout bounds each operation; 0 means DefaultTimeout. A Redis
	// that does not answer in time counts as unreachable.
	Timeout time.Duration
	// CloseTimeout bounds Close; 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration
	// Logger receives Warn logs when Redis cannot be reached or a lost
	// ledger is rebuilt, and Info logs when Redis is back or the holds
	// of a dead process are counted; nil discards them.
	Logger *slog.Logger
}

// Budget is a budget.Store kept in Redis: give every process the same
// Redis and the same name, and they share one Spent against one run cap
// (budget.Config.MaxCredits is then the cap of the whole group, and
// should be the same in every process), one InFlight and one view of
// the balance. See the package documentation for what happens when
// Redis fails.
//
// The run's spend stays in Redis after every process is gone: the next
// run with the same name continues against the same cap. Use a new name
// to start afresh.
type Budget struct {
	client   redis.UniversalClient
	owns     bool // Close closes client (OpenBudget made it)
	name     string
	id       string // this process's random id
	tag      string // host and pid, for logs
	keys     []string
	ttl      time.Duration
	beat     time.Duration
	window   time.Duration
	timeout  time.Duration
	closeFor time.Duration
	log      *slog.Logger

	mu      sync.Mutex // guards the fields below; never held across I/O
	epoch   string     // the ledger's epoch this process knows
	gen     int64      // the highest generation seen in it
	spent   int64      // the highest Spent seen in it
	last    budget.Ledger
	live    map[string]int64 // reservations the ledger holds for this process: id → credits
	pending []entry          // operations kept for later, in order
	down    error            // why Redis counts as unreachable, nil when it answers

	joinMu sync.Mutex    // one rejoin at a time
	writer chan struct{} // one writer of the kept operations at a time

	closed    atomic.Bool
	stop      context.CancelFunc
	beatDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ budget.Store = (*Budget)(nil)

// entry is a settlement (or the cancel of a reservation whose outcome is
// unknown) waiting to be written.
type entry struct {
	cancel bool
	s      budget.Settlement
}

// OpenBudget returns the Budget called name in the Redis at rawURL (see
// Dial), with a client of its own that Close closes. It does not wait
// for Redis: a Redis that is down halts paid calls until it answers.
func OpenBudget(rawURL, name string, opts BudgetOptions) (*Budget, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	client, err := Dial(rawURL, opts.Timeout)
	if err != nil {
		return nil, err
	}
	b, err := NewBudget(client, name, opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	b.owns = true
	return b, nil
}

// NewBudget returns the Budget called name, kept through client, and
// starts its heartbeat. It makes no request. Call Close when done: it
// writes what was kept, gives back this process's entries and stops the
// heartbeat; it does not close client.
//
// name may hold letters, digits and punctuation other than '{' and '}'
// (the keys carry it as a Redis Cluster hash tag), at most 200 bytes.
func NewBudget(client redis.UniversalClient, name string, opts BudgetOptions) (*Budget, error) {
	if client == nil {
		return nil, errors.New("redisstore: NewBudget needs a Redis client")
	}
	if err := validName(name); err != nil {
		return nil, err
	}
	switch {
	case opts.LeaseTTL < 0 || opts.LeaseTTL > 0 && opts.LeaseTTL < minLeaseTTL:
		return nil, fmt.Errorf("redisstore: invalid LeaseTTL %v: it must be at least %v (0 means the default %v)", opts.LeaseTTL, minLeaseTTL, DefaultLeaseTTL)
	case opts.Timeout < 0:
		return nil, fmt.Errorf("redisstore: invalid Timeout %v: it must be positive (0 means the default %v)", opts.Timeout, DefaultTimeout)
	case opts.CloseTimeout < 0:
		return nil, fmt.Errorf("redisstore: invalid CloseTimeout %v: it must be positive (0 means the default %v)", opts.CloseTimeout, DefaultCloseTimeout)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if err := validPrefix(opts.Prefix); err != nil {
		return nil, err
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.CloseTimeout == 0 {
		opts.CloseTimeout = DefaultCloseTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var raw [8]byte
	_, _ = crand.Read(raw[:]) // never fails
	host, _ := os.Hostname()
	base := opts.Prefix + "budget:{" + name + "}"
	beat := min(opts.LeaseTTL/3, maxHeartbeat)
	ctx, stop := context.WithCancel(context.Background())
	b := &Budget{
		client: client, name: name, id: hex.EncodeToString(raw[:]),
		tag:  fmt.Sprintf("host=%s pid=%d", host, os.Getpid()),
		keys: []string{base + ":ledger", base + ":held", base + ":leases", base + ":reservations", base + ":reaped"},
		ttl:  opts.LeaseTTL, beat: beat, window: 2 * beat, timeout: opts.Timeout, closeFor: opts.CloseTimeout,
		log: opts.Logger, live: map[string]int64{}, writer: make(chan struct{}, 1), stop: stop, beatDone: make(chan struct{}),
	}
	go b.heartbeat(ctx)
	return b, nil
}

// Client returns the Redis client the budget works through, so that
// other shared state (runtime pacing, see NewPacing) can use the same
// connection pool. Closing a Budget made by OpenBudget closes it.
func (b *Budget) Client() redis.UniversalClient { return b.client }

// Name returns the budget's name.
func (b *Budget) Name() string { return b.name }

// Key returns the Redis key of the ledger (a hash). The other keys of the
// budget share its prefix: ":held", ":leases", ":reservations" and
// ":reaped" in place of ":ledger".
func (b *Budget) Key() string { return b.keys[0] }

// Keys returns every Redis key of the budget.
func (b *Budget) Keys() []string { return append([]string(nil), b.keys...) }

// ID returns this process's random id in the budget's keys.
func (b *Budget) ID() string { return b.id }

// Unavailable reports why Redis counts as unreachable now, or nil.
func (b *Budget) Unavailable() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.down
}

// Load returns the ledger. It fails at once while Redis counts as
// unreachable.
func (b *Budget) Load(ctx context.Context) (budget.Ledger, error) {
	if err := b.usable(); err != nil {
		return budget.Ledger{}, err
	}
	r, err := b.do(ctx, "load")
	if err != nil {
		return budget.Ledger{}, err
	}
	return r.ledger, nil
}

// Reserve implements budget.Store: one script run. It fails at once
// while Redis counts as unreachable, and while settlements kept for
// later cannot be written (they go first). When Redis does not answer in
// time the reservation may still have been made: it is cancelled with
// the kept settlements.
func (b *Budget) Reserve(ctx context.Context, h budget.Hold) (budget.Ledger, int64, error) {
	if err := b.usable(); err != nil {
		return budget.Ledger{}, 0, err
	}
	if err := b.flush(ctx); err != nil {
		return budget.Ledger{}, 0, err
	}
	capArg := h.Limits.Cap
	if capArg < 0 {
		capArg = -1
	}
	r, err := b.do(ctx, "reserve", h.ID, h.Ask.Worst(), h.Ask.Needed(), capArg, h.Limits.Floor, h.Limits.PerCall,
		millis(h.Now), countArg(h.Seen))
	if err != nil {
		b.keep(entry{cancel: true, s: budget.Settlement{ID: h.ID, Now: h.Now}})
		return budget.Ledger{}, 0, err
	}
	if r.status == "cancelled" {
		r.extra = 0
	}
	if r.extra > 0 {
		b.mu.Lock()
		b.live[h.ID] = r.extra
		b.mu.Unlock()
	}
	return r.ledger, r.extra, nil
}

// Settle implements budget.Store: one script run. A settlement that
// cannot be written now (Redis unreachable, or other settlements still
// waiting) is kept, and written in order by the heartbeat or the next
// operation; Settle then returns an error wrapping budget.ErrPending.
func (b *Budget) Settle(ctx context.Context, s budget.Settlement) (budget.Ledger, error) {
	if b.closed.Load() {
		return budget.Ledger{}, ErrClosed
	}
	b.mu.Lock()
	queued := b.down != nil || len(b.pending) > 0
	b.mu.Unlock()
	if queued {
		b.keep(entry{s: s})
		if err := b.flush(ctx); err == nil && !b.isPending(s.ID) {
			l, err := b.Load(ctx)
			if err == nil {
				return l, nil
			}
		}
		return budget.Ledger{}, b.pendingError()
	}
	r, err := b.do(ctx, "settle", append([]any{millis(s.Now), 1}, settleArgs(entry{s: s})...)...)
	if err != nil {
		b.keep(entry{s: s})
		return budget.Ledger{}, fmt.Errorf("%w (%w)", budget.ErrPending, err)
	}
	b.mu.Lock()
	delete(b.live, s.ID)
	b.mu.Unlock()
	return r.ledger, nil
}

// Record implements budget.Store: one script run.
func (b *Budget) Record(ctx context.Context, f budget.Fact) (budget.Ledger, error) {
	if err := b.usable(); err != nil {
		return budget.Ledger{}, err
	}
	args := []any{millis(f.Now), countArg(f.Seen)}
	if u := f.Usage; u != nil {
		args = append(args, 1, u.TotalRemaining, u.SpentBefore, millis(u.RefillAt), u.Floor)
	} else {
		args = append(args, 0, 0, 0, 0, 0)
	}
	args = append(args, boolArg(f.Exhaust))
	r, err := b.do(ctx, "record", args...)
	if err != nil {
		return budget.Ledger{}, err
	}
	return r.ledger, nil
}

// Close stops the heartbeat, writes the settlements kept in memory, and
// gives back this process's entries in the ledger (what it still holds
// is counted as spent: its calls may still cost it), within
// BudgetOptions.CloseTimeout. It returns an *UnrecordedError if kept
// settlements could not be written. It closes the Redis client if
// OpenBudget made it. Later calls of the other methods return ErrClosed;
// Close may be called again and returns the first answer.
func (b *Budget) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.stop()
		<-b.beatDone
		ctx, cancel := context.WithTimeout(context.Background(), b.closeFor)
		defer cancel()
		var errs []error
		for {
			err := b.flush(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			if runtime.SystemClock().Sleep(ctx, min(b.beat, 100*time.Millisecond)) != nil {
				break
			}
		}
		if n, credits := b.Pending(); n > 0 {
			b.mu.Lock()
			var held int64
			for _, e := range b.pending {
				held += e.s.Release
			}
			down := b.down
			b.mu.Unlock()
			if down == nil {
				down = ctx.Err()
			}
			errs = append(errs, &UnrecordedError{Budget: b.name, Settlements: n, Credits: credits, Held: held, Lease: b.ttl, Err: down})
		} else if b.known() {
			if _, err := b.do(ctx, "leave"); err != nil {
				errs = append(errs, fmt.Errorf("redisstore: budget %q: giving back this process's entries: %w "+
					"(what it holds counts as spent when its lease runs out, within %v)", b.name, err, b.ttl))
			}
		}
		if b.owns {
			errs = append(errs, b.client.Close())
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// known reports whether this process ever joined the ledger.
func (b *Budget) known() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.epoch != ""
}

// usable fails while the store is closed or Redis counts as unreachable.
func (b *Budget) usable() error {
	if b.closed.Load() {
		return ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down != nil {
		return b.errorf("Redis cannot be reached (retried every %v): %w", b.beat, b.down)
	}
	return nil
}
