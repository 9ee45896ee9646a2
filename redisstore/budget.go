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
	"strconv"
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

var ledgerScript = redis.NewScript(ledgerSource)

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

// Pending returns the settlements kept in memory, not yet written, and
// the credits they charge.
func (b *Budget) Pending() (settlements int, credits int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.pending {
		if !e.cancel {
			settlements++
			credits += e.s.Charge
		}
	}
	return settlements, credits
}

// UnrecordedError is Close's answer when settlements kept in memory could
// not be written before the process leaves.
type UnrecordedError struct {
	// Budget is the budget's name.
	Budget string
	// Settlements is how many calls' settlements were not written, and
	// Credits what they charge.
	Settlements int
	Credits     int64
	// Held is what their reservations hold in the shared ledger: it
	// counts as spent once this process's lease runs out.
	Held int64
	// Lease is the lease's length.
	Lease time.Duration
	// Err is why the last attempt failed.
	Err error
}

func (e *UnrecordedError) Error() string {
	return fmt.Sprintf("redisstore: %d charges (%d credits) of this process were never written to the shared budget %q (%v); "+
		"the shared ledger keeps their %d reserved credits counted and charges them in full once this process's lease runs out (%v), "+
		"if Redis still holds the ledger then",
		e.Settlements, e.Credits, e.Budget, e.Err, e.Held, e.Lease)
}

// Unwrap returns Err.
func (e *UnrecordedError) Unwrap() error { return e.Err }

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
			if sleepCtx(ctx, min(b.beat, 100*time.Millisecond)) != nil {
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

// keep queues e to be written later.
func (b *Budget) keep(e entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, e)
}

func (b *Budget) isPending(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.pending {
		if e.s.ID == id {
			return true
		}
	}
	return false
}

func (b *Budget) pendingError() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	why := b.down
	if why == nil {
		why = errors.New("earlier settlements are still waiting")
	}
	return fmt.Errorf("%w (%d waiting; %w)", budget.ErrPending, len(b.pending), why)
}

// flush writes the kept operations, in order; it fails if any are left.
// One goroutine writes at a time; the others wait for it, within ctx.
func (b *Budget) flush(ctx context.Context) error {
	b.mu.Lock()
	n := len(b.pending)
	b.mu.Unlock()
	if n == 0 {
		return nil
	}
	select {
	case b.writer <- struct{}{}:
	case <-ctx.Done():
		return b.errorf("waiting for %d earlier settlements to be written: %w", n, ctx.Err())
	}
	defer func() { <-b.writer }()
	return b.flushLocked(ctx)
}

func (b *Budget) flushLocked(ctx context.Context) error {
	for {
		b.mu.Lock()
		batch := append([]entry(nil), b.pending[:min(len(b.pending), flushBatch)]...)
		b.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		args := []any{millis(time.Now()), len(batch)}
		for _, e := range batch {
			args = append(args, settleArgs(e)...)
		}
		if _, err := b.do(ctx, "settle", args...); err != nil {
			return b.errorf("writing %d kept settlements: %w", len(batch), err)
		}
		b.mu.Lock()
		b.pending = b.pending[len(batch):]
		for _, e := range batch {
			delete(b.live, e.s.ID)
		}
		left := len(b.pending)
		b.mu.Unlock()
		b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: wrote settlements kept while Redis was away",
			slog.String("budget", b.name), slog.Int("written", len(batch)), slog.Int("left", left))
	}
}

// heartbeat renews this process's lease, retries what was kept and
// notices a lost ledger, every b.beat until ctx ends.
func (b *Budget) heartbeat(ctx context.Context) {
	defer close(b.beatDone)
	t := time.NewTicker(b.beat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := b.do(ctx, "beat"); err != nil {
			continue // do marked Redis unreachable and logged it
		}
		if err := b.flush(ctx); err != nil && ctx.Err() == nil {
			b.log.LogAttrs(ctx, slog.LevelWarn, "redisstore: cannot write kept settlements yet", slog.String("budget", b.name), slog.String("err", err.Error()))
		}
	}
}

// result is one script reply.
type result struct {
	epochSent string // the epoch the request named
	status    string
	epoch     string
	gen       int64
	ledger    budget.Ledger
	reaped    int64 // processes whose holds were counted as spent
	freed     int64 // and those holds
	extra     int64
	wait      time.Duration
}

// do runs op, rejoining the ledger when it was lost or moved and waiting
// while a new ledger is not open yet, within ctx.
func (b *Budget) do(ctx context.Context, op string, args ...any) (result, error) {
	for attempt := 0; ; attempt++ {
		r, err := b.run(ctx, op, args...)
		if err != nil {
			return r, err
		}
		switch r.status {
		case "lost", "moved", "rollback":
			if attempt > 2 {
				return r, b.errorf("the ledger keeps changing under this process (%s)", r.status)
			}
			if err := b.join(ctx, r.status, r.epochSent); err != nil {
				return r, err
			}
			continue
		case "wait":
			if err := sleepCtx(ctx, r.wait); err != nil {
				return r, b.errorf("waiting %v for every live process to rejoin a new ledger: %w", r.wait, err)
			}
			continue
		}
		b.saw(r)
		if r.reaped > 0 {
			b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: counted as spent what processes whose lease ran out held",
				slog.String("budget", b.name), slog.Int64("processes", r.reaped), slog.Int64("credits", r.freed))
		}
		return r, nil
	}
}

// run runs the script once.
func (b *Budget) run(ctx context.Context, op string, args ...any) (result, error) {
	b.mu.Lock()
	epoch, gen := b.epoch, b.gen
	b.mu.Unlock()
	if epoch == "" && op != "join" {
		if err := b.join(ctx, "new", ""); err != nil {
			return result{}, err
		}
		b.mu.Lock()
		epoch, gen = b.epoch, b.gen
		b.mu.Unlock()
	}
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	argv := append([]any{op, b.id, epoch, gen, b.ttl.Milliseconds()}, args...)
	raw, err := ledgerScript.Run(cctx, b.client, b.keys, argv...).Slice()
	if err != nil {
		if ctx.Err() != nil {
			return result{}, ctx.Err()
		}
		if isReplyError(err) {
			return result{}, b.errorf("%s: %w", op, err)
		}
		b.markDown(ctx, err)
		return result{}, b.errorf("Redis cannot be reached: %w", err)
	}
	b.markUp(ctx)
	r, err := parseReply(raw)
	if err != nil {
		return result{}, b.errorf("%s: %w", op, err)
	}
	r.epochSent = epoch
	return r, nil
}

// join (re)joins the ledger, which an operation made in epoch saw
// missing or changed: it creates the ledger when it is missing or older
// than this process has seen, or adds what this process knows to one
// rebuilt by another.
func (b *Budget) join(ctx context.Context, why, epoch string) error {
	b.joinMu.Lock()
	defer b.joinMu.Unlock()
	b.mu.Lock()
	oldEpoch, spent, last := b.epoch, b.spent, b.last
	if oldEpoch != epoch {
		b.mu.Unlock()
		return nil // another goroutine has rejoined since
	}
	holds := make([]any, 0, 2*len(b.live))
	for id, c := range b.live {
		holds = append(holds, id, c)
	}
	b.mu.Unlock()
	var raw [8]byte
	_, _ = crand.Read(raw[:])
	bal := int64(-1)
	if last.BalanceKnown {
		bal = last.Balance
	}
	args := []any{hex.EncodeToString(raw[:]), spent, b.window.Milliseconds(), bal, millis(last.BalanceAt),
		millis(last.RefillAt), boolArg(last.Exhausted), millis(last.ExhaustedUntil), len(holds) / 2}
	r, err := b.run(ctx, "join", append(args, holds...)...)
	if err != nil {
		return err
	}
	if r.status != "ok" && r.status != "created" && r.status != "joined" {
		return b.errorf("joining the ledger: unexpected answer %q", r.status)
	}
	b.mu.Lock()
	b.epoch, b.gen, b.spent = r.epoch, 0, 0
	b.mu.Unlock()
	b.saw(r)
	switch {
	case r.status == "ok":
	case oldEpoch == "" && r.status == "created":
		b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: started a new shared budget",
			slog.String("budget", b.name), slog.String("process", b.id), slog.String("who", b.tag))
	case oldEpoch != "":
		b.log.LogAttrs(ctx, slog.LevelWarn, "redisstore: the shared ledger was lost or rolled back (Redis restarted without its data?); "+
			"rebuilt it from what the live processes know",
			slog.String("budget", b.name), slog.String("found", why), slog.String("how", r.status),
			slog.Int64("spentThisProcessSaw", spent), slog.Int64("spentNow", r.ledger.Spent), slog.Int("holdsBroughtBack", len(holds)/2))
	}
	return nil
}

// saw records what a reply showed.
func (b *Budget) saw(r result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.epoch != b.epoch {
		return
	}
	if r.gen > b.gen {
		b.gen = r.gen
		b.last = r.ledger
	}
	b.spent = max(b.spent, r.ledger.Spent)
}

func (b *Budget) markDown(ctx context.Context, err error) {
	b.mu.Lock()
	was := b.down
	b.down = err
	b.mu.Unlock()
	if was == nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "redisstore: Redis cannot be reached; paid calls halt until it answers (retried every heartbeat)",
			slog.String("budget", b.name), slog.Duration("every", b.beat), slog.String("err", err.Error()))
	}
}

func (b *Budget) markUp(ctx context.Context) {
	b.mu.Lock()
	was := b.down
	b.down = nil
	b.mu.Unlock()
	if was != nil {
		b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: Redis answers again; the shared budget is back", slog.String("budget", b.name))
	}
}

func (b *Budget) errorf(format string, args ...any) error {
	return fmt.Errorf("redisstore: budget %q: "+format, append([]any{b.name}, args...)...)
}

// isReplyError reports an error Redis answered that says something is
// wrong with the request (a script error, a key of the wrong type), as
// opposed to no answer, or one that means "not now" (a Redis still
// loading its data after a restart, a failover in progress).
func isReplyError(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, busy := range []string{"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY"} {
		if redis.HasErrorPrefix(err, busy) {
			return false
		}
	}
	return true
}

func parseReply(raw []any) (result, error) {
	if len(raw) == 0 {
		return result{}, errors.New("empty reply")
	}
	r := result{status: str(raw[0])}
	switch r.status {
	case "lost", "rollback":
		return r, nil
	case "moved":
		if len(raw) > 1 {
			r.epoch = str(raw[1])
		}
		return r, nil
	case "wait":
		if len(raw) > 1 {
			r.wait = time.Duration(integer(raw[1])) * time.Millisecond
		}
		return r, nil
	}
	if len(raw) < 15 {
		return result{}, fmt.Errorf("reply of %d fields, want 15 (is every process running the same tollgate?)", len(raw))
	}
	r.epoch, r.gen = str(raw[1]), integer(raw[2])
	r.ledger = budget.Ledger{
		Spent:          integer(raw[3]),
		InFlight:       integer(raw[4]),
		Balance:        integer(raw[5]),
		BalanceKnown:   integer(raw[6]) == 1,
		BalanceAt:      fromMillis(integer(raw[7])),
		BalanceSource:  str(raw[8]),
		RefillAt:       fromMillis(integer(raw[9])),
		Exhausted:      integer(raw[10]) == 1,
		ExhaustedUntil: fromMillis(integer(raw[11])),
	}
	if !r.ledger.BalanceKnown {
		r.ledger.Balance, r.ledger.BalanceAt, r.ledger.BalanceSource = 0, time.Time{}, ""
	}
	r.reaped, r.freed, r.extra = integer(raw[12]), integer(raw[13]), integer(raw[14])
	return r, nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func integer(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// settleArgs are the six script arguments of e.
func settleArgs(e entry) []any {
	kind := "s"
	if e.cancel {
		kind = "x"
	}
	return []any{kind, e.s.ID, e.s.Release, e.s.Charge, countArg(e.s.Remaining), countArg(e.s.Seen)}
}

func countArg(c runtime.Count) int64 {
	if !c.Present {
		return -1
	}
	return c.Value
}

func boolArg(v bool) int {
	if v {
		return 1
	}
	return 0
}

// millis is t in unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
