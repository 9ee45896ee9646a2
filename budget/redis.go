package budget

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	// go-redis is the Go client maintained by the Redis project itself:
	// connection pooling, RESP2/3, TLS and ACL auth, redis:// URLs, and
	// one UniversalClient interface over a single server, Sentinel and
	// Cluster. Accepting that interface lets users hand the store the
	// client they already run; WATCH/MULTI/EXEC (Tx) is what Update needs.
	"github.com/redis/go-redis/v9"
)

// Defaults of RedisOptions.
const (
	// DefaultRedisPrefix starts every key of a Redis budget.
	DefaultRedisPrefix = "tollgate:budget:"
	// DefaultLeaseTTL is how long the credits a process holds outlive its
	// last heartbeat.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultRedisAttempts is how many times Update runs its transaction
	// before giving up under contention.
	DefaultRedisAttempts = 50
)

// minLeaseTTL bounds RedisOptions.LeaseTTL from below: Redis expires keys
// to the millisecond, and the heartbeat runs every third of the lease.
const minLeaseTTL = 10 * time.Millisecond

// closeTimeout bounds the release of holds in RedisStore.Close.
const closeTimeout = 5 * time.Second

// Errors of the Redis store a program may branch on.
var (
	// ErrStoreClosed is returned by the methods of a closed RedisStore.
	ErrStoreClosed = errors.New("budget: the Redis store is closed")
	// ErrInvalidRedisName is wrapped by the error of NewRedisStore and
	// OpenRedisStore for a budget name they cannot use.
	ErrInvalidRedisName = errors.New("budget: invalid Redis budget name")
)

// RedisOptions configures a RedisStore. Zero values mean the documented
// defaults.
type RedisOptions struct {
	// Prefix starts every key; "" means DefaultRedisPrefix. Budgets with
	// the same prefix and name are one budget.
	Prefix string
	// LeaseTTL is how long the credits held by this store's reservations
	// stay counted after its last heartbeat: a process that dies without
	// Close gives its holds back to the group after at most that long.
	// The heartbeat runs every LeaseTTL/3. 0 means DefaultLeaseTTL (30
	// s); it must otherwise be at least 10 ms. Every process sharing a
	// budget should use the same value.
	LeaseTTL time.Duration
	// MaxAttempts is how many times Update runs its optimistic
	// transaction when other processes keep changing the ledger under it;
	// 0 means DefaultRedisAttempts.
	MaxAttempts int
	// Logger receives Info logs when holds of a dead process are
	// released, and Warn logs when the heartbeat fails or this process's
	// own holds had to be counted again; nil discards them.
	Logger *slog.Logger
}

// RedisStore is a Store kept in Redis, so that many processes (parallel
// batch jobs, the MCP servers of a team) share one budget: one Spent
// against one run cap, one InFlight, one view of the balance. Give every
// process the same Redis and the same name; Config.MaxCredits is then
// the cap of the whole group, and should be the same in every process.
//
// The ledger is one JSON value under Key(). Update is an optimistic
// transaction: WATCH the ledger, read it, run fn on a copy, MULTI, write,
// EXEC; when another process wrote in between, EXEC fails and the whole
// is tried again after a short jittered pause, at most
// RedisOptions.MaxAttempts times. fn may therefore run more than once:
// it must depend only on the ledger it is given (the Controller's do).
// Updates of one RedisStore run one at a time, so only processes
// contend.
//
// # Holds and leases
//
// A process that dies with calls in flight must not hold their credits
// forever. So each RedisStore has a random id and records, beside the
// ledger, how much of Ledger.InFlight is its own (a hash, Key()+":holds",
// id → credits), and keeps a lease key (Key()+":alive:"+id) that expires
// after RedisOptions.LeaseTTL unless a heartbeat renews it. Every Update
// first drops the holds of processes whose lease has expired, and sets
// Ledger.InFlight to the sum of the holds of live ones (Load, a plain
// read, shows the ledger as the last Update left it). The calls of a dead
// process are taken as finished: what they cost is not added to Spent (so
// the group may overrun its cap by at most what the dead process held),
// but it shows in the balance with the next X-Credits-Remaining. A
// process whose lease lapsed while it lived (it was paused for longer
// than the lease) counts its holds again at its next Update. Close
// releases this process's holds and its lease.
//
// The run's spend stays in Redis after every process is gone: the next
// run with the same name continues against the same cap. Use a new name
// to start afresh (or delete Key() while no process uses it).
type RedisStore struct {
	client redis.UniversalClient
	owns   bool // Close closes client (OpenRedisStore made it)
	name   string
	id     string
	tag    string // value of the lease key: who holds it, for people
	key    string // the ledger
	holds  string // the hash of holds by store id
	alive  string // this store's lease
	ttl    time.Duration
	tries  int
	logger *slog.Logger

	// sem lets one Update of this store run at a time; held is guarded
	// by it.
	sem chan struct{}
	// held is what this store believes it holds: the credits its
	// committed Updates added to Ledger.InFlight. Its field in the holds
	// hash is corrected to it at every Update.
	held int64

	closed    atomic.Bool
	stopBeat  context.CancelFunc
	beatDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*RedisStore)(nil)

// NewRedisStore returns a Store that keeps the ledger of the budget called
// name in Redis, through client, and starts its heartbeat. It makes no
// request: a client that cannot reach Redis shows in the first Load or
// Update (OpenRedisStore checks the connection first). Call Close when
// done: it stops the heartbeat and releases this store's holds; it does
// not close client.
//
// name may hold letters, digits and punctuation other than '{' and '}'
// (the key carries it as a Redis Cluster hash tag, so that every key of
// one budget lives on one node), at most 200 bytes.
func NewRedisStore(client redis.UniversalClient, name string, opts RedisOptions) (*RedisStore, error) {
	if client == nil {
		return nil, errors.New("budget: NewRedisStore needs a Redis client")
	}
	if err := validRedisName(name); err != nil {
		return nil, err
	}
	if opts.LeaseTTL < 0 || opts.LeaseTTL > 0 && opts.LeaseTTL < minLeaseTTL {
		return nil, fmt.Errorf("budget: invalid LeaseTTL %v: it must be at least %v (0 means the default %v)", opts.LeaseTTL, minLeaseTTL, DefaultLeaseTTL)
	}
	if opts.MaxAttempts < 0 {
		return nil, fmt.Errorf("budget: invalid MaxAttempts %d: it must be positive (0 means the default %d)", opts.MaxAttempts, DefaultRedisAttempts)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultRedisPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("budget: invalid Redis key prefix %q: it must not contain '{' or '}'", opts.Prefix)
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultRedisAttempts
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var b [8]byte
	_, _ = crand.Read(b[:]) // never fails
	id := hex.EncodeToString(b[:])
	host, _ := os.Hostname()
	key := opts.Prefix + "{" + name + "}"
	ctx, stop := context.WithCancel(context.Background())
	s := &RedisStore{
		client: client, name: name, id: id,
		tag: fmt.Sprintf("host=%s pid=%d", host, os.Getpid()),
		key: key, holds: key + ":holds", alive: key + ":alive:" + id,
		ttl: opts.LeaseTTL, tries: opts.MaxAttempts, logger: opts.Logger,
		sem: make(chan struct{}, 1), stopBeat: stop, beatDone: make(chan struct{}),
	}
	go s.heartbeat(ctx)
	return s, nil
}

// OpenRedisStore connects to the Redis at rawURL, checks the connection
// with a PING (within 10 s) and returns the store of the budget called
// name; see NewRedisStore. The URL is
// redis://[user:password@]host[:port][/db], rediss://... for TLS, or
// unix:///path (see redis.ParseURL for its options). Close also closes
// the connection. Errors never repeat the URL's password.
func OpenRedisStore(ctx context.Context, rawURL, name string, opts RedisOptions) (*RedisStore, error) {
	if err := validRedisName(name); err != nil {
		return nil, err
	}
	ro, err := redis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return nil, fmt.Errorf("budget: invalid Redis URL %s: %v (want redis://[user:password@]host[:port][/db], rediss://... or unix:///path)", redactURL(rawURL), err)
	}
	client := redis.NewClient(ro)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("budget: cannot reach Redis at %s: %w", redactURL(rawURL), err)
	}
	s, err := NewRedisStore(client, name, opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	s.owns = true
	return s, nil
}

// validRedisName checks a budget name.
func validRedisName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: it is empty; name the budget that processes share, e.g. \"nightly-batch\"", ErrInvalidRedisName)
	case len(name) > 200:
		return fmt.Errorf("%w: it is %d bytes long; at most 200 are allowed", ErrInvalidRedisName, len(name))
	case strings.ContainsAny(name, "{}"):
		return fmt.Errorf("%w %q: it must not contain '{' or '}'", ErrInvalidRedisName, name)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("%w %q: it must not contain spaces or control characters", ErrInvalidRedisName, name)
	}
	return nil
}

// redactURL returns rawURL with any password replaced by "xxxxx".
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") {
			return "(an unparsable URL)"
		}
		return strconv.Quote(rawURL)
	}
	return u.Redacted()
}

// Name returns the budget's name.
func (s *RedisStore) Name() string { return s.name }

// Key returns the Redis key of the ledger. The holds and leases live
// under the same key followed by ":holds" and ":alive:<id>".
func (s *RedisStore) Key() string { return s.key }

// ID returns this store's random id: its field in the holds hash and the
// end of its lease key.
func (s *RedisStore) ID() string { return s.id }

// Load returns the ledger as last committed: a single read, which does
// not drop the holds of dead processes (the next Update does). An absent
// ledger is the zero Ledger.
func (s *RedisStore) Load(ctx context.Context) (Ledger, error) {
	if s.closed.Load() {
		return Ledger{}, ErrStoreClosed
	}
	raw, err := s.client.Get(ctx, s.key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return Ledger{}, nil
	case err != nil:
		return Ledger{}, s.errorf("reading the ledger: %w", err)
	}
	l, err := decodeLedger(raw)
	if err != nil {
		return Ledger{}, s.errorf("%w", err)
	}
	return l, nil
}

// Update applies fn to the ledger in an optimistic transaction, trying
// again when another process committed first; see RedisStore. If fn
// returns an error nothing is written and that error is returned as it
// is. After RedisOptions.MaxAttempts conflicts Update gives up with an
// error that wraps redis.TxFailedErr.
func (s *RedisStore) Update(ctx context.Context, fn func(*Ledger) error) (Ledger, error) {
	if fn == nil {
		return Ledger{}, errors.New("budget: Update needs a function")
	}
	if err := s.lock(ctx); err != nil {
		return Ledger{}, err
	}
	defer s.unlock()
	if s.closed.Load() {
		return Ledger{}, ErrStoreClosed
	}
	return s.update(ctx, fn, false)
}

// lock takes s.sem, or fails when ctx ends first.
func (s *RedisStore) lock(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return s.errorf("waiting for this process's previous update: %w", ctx.Err())
	}
}

func (s *RedisStore) unlock() { <-s.sem }

// txResult is what one run of the transaction saw and did.
type txResult struct {
	before   Ledger           // the ledger fn was given
	after    Ledger           // the ledger as committed
	own      int64            // this store's hold as committed
	reaped   map[string]int64 // holds of expired leases, released
	found    int64            // this store's hold as found in Redis
	believed int64            // s.held when the transaction ran
	fnErr    error
}

// errFn marks a transaction aborted by fn's error.
var errFn = errors.New("fn failed")

// update runs the transaction until it commits, fn fails, or it gives up.
// fn nil changes nothing; leaving releases the whole of this store's hold
// and its lease (Close). The caller holds s.sem.
func (s *RedisStore) update(ctx context.Context, fn func(*Ledger) error, leaving bool) (Ledger, error) {
	for attempt := 1; ; attempt++ {
		r, err := s.transact(ctx, fn, leaving)
		switch {
		case err == nil:
			s.held = r.own
			s.logCommit(ctx, r)
			return r.after, nil
		case errors.Is(err, errFn):
			return r.before, r.fnErr
		case !errors.Is(err, redis.TxFailedErr):
			return Ledger{}, s.errorf("updating the ledger: %w", err)
		case attempt >= s.tries:
			return Ledger{}, s.errorf("other processes kept changing the ledger; gave up after %d attempts: %w", attempt, err)
		}
		if err := sleepCtx(ctx, backoff(attempt)); err != nil {
			return Ledger{}, s.errorf("updating the ledger: %w", err)
		}
	}
}

// transact runs one optimistic transaction: read the ledger and the
// holds, drop the holds of expired leases, set Ledger.InFlight to the sum
// of the live holds, run fn, and write back the ledger and this store's
// hold (its old hold plus fn's change of InFlight), unless another client
// wrote the ledger or the holds since they were read.
func (s *RedisStore) transact(ctx context.Context, fn func(*Ledger) error, leaving bool) (txResult, error) {
	r := txResult{believed: s.held}
	err := s.client.Watch(ctx, func(tx *redis.Tx) error {
		var (
			get *redis.StringCmd
			all *redis.MapStringStringCmd
		)
		if _, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
			get, all = p.Get(ctx, s.key), p.HGetAll(ctx, s.holds)
			return nil
		}); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		raw, err := get.Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			raw = nil
		case err != nil:
			return err
		}
		if err := all.Err(); err != nil {
			return err
		}
		stored, err := decodeLedger(raw)
		if err != nil {
			return err
		}
		holds := all.Val()

		// Which other holders still have a lease?
		var others []string
		for id := range holds {
			if id != s.id {
				others = append(others, id)
			}
		}
		alive := make(map[string]bool, len(others))
		if len(others) > 0 {
			cmds := make([]*redis.IntCmd, len(others))
			if _, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i, id := range others {
					cmds[i] = p.Exists(ctx, s.aliveKey(id))
				}
				return nil
			}); err != nil {
				return err
			}
			for i, id := range others {
				alive[id] = cmds[i].Val() > 0
			}
		}
		var (
			othersHeld int64
			drop       []string
		)
		for _, id := range others {
			n, err := strconv.ParseInt(holds[id], 10, 64)
			if err == nil && n > 0 && alive[id] {
				othersHeld += n
				continue
			}
			drop = append(drop, id) // expired, or not a number of credits
			if err == nil && n > 0 {
				if r.reaped == nil {
					r.reaped = map[string]int64{}
				}
				r.reaped[id] = n
			}
		}
		mine, hasMine := holds[s.id]
		r.found, _ = strconv.ParseInt(mine, 10, 64)
		own := s.held // see RedisStore.held: this process knows what it holds
		l := stored
		l.InFlight = othersHeld + own
		r.before = l

		if fn != nil {
			if err := fn(&l); err != nil {
				r.fnErr = err
				return errFn
			}
		}
		newOwn := max(0, own+l.InFlight-r.before.InFlight)
		if leaving {
			newOwn = 0
		}
		l.InFlight = othersHeld + newOwn
		r.after, r.own = l, newOwn

		writeOwn := newOwn != r.found || hasMine && newOwn == 0
		changed := l != stored || len(drop) > 0 || writeOwn || leaving
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if !changed {
				// Nothing to write; EXEC still fails if the ledger or
				// the holds moved since they were read, so the answer
				// is consistent.
				p.Exists(ctx, s.key)
				return nil
			}
			data, err := encodeLedger(l)
			if err != nil {
				return err
			}
			p.Set(ctx, s.key, data, 0)
			if len(drop) > 0 {
				p.HDel(ctx, s.holds, drop...)
			}
			switch {
			case newOwn > 0:
				p.HSet(ctx, s.holds, s.id, newOwn)
				p.Set(ctx, s.alive, s.tag, s.ttl)
			case hasMine:
				p.HDel(ctx, s.holds, s.id)
			}
			if leaving {
				p.Del(ctx, s.alive)
			}
			return nil
		})
		return err
	}, s.key, s.holds)
	return r, err
}

// logCommit logs what a committed transaction did besides fn's change.
func (s *RedisStore) logCommit(ctx context.Context, r txResult) {
	for id, n := range r.reaped {
		s.logger.LogAttrs(ctx, slog.LevelInfo, "budget: released the credits held by a tollgate process whose lease expired",
			slog.String("budget", s.name), slog.String("process", id), slog.Int64("credits", n))
	}
	if r.found != r.believed {
		s.logger.LogAttrs(ctx, slog.LevelWarn, "budget: the shared ledger did not count what this process holds "+
			"(its lease lapsed while it was paused, or an earlier update's outcome was unknown); corrected",
			slog.String("budget", s.name), slog.String("process", s.id),
			slog.Int64("found", r.found), slog.Int64("held", r.believed))
	}
}

func (s *RedisStore) aliveKey(id string) string { return s.key + ":alive:" + id }

// heartbeat renews this store's lease every third of LeaseTTL until ctx
// ends.
func (s *RedisStore) heartbeat(ctx context.Context) {
	defer close(s.beatDone)
	every := s.ttl / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		bctx, cancel := context.WithTimeout(ctx, every)
		err := s.client.Set(bctx, s.alive, s.tag, s.ttl).Err()
		cancel()
		if err != nil && ctx.Err() == nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "budget: cannot renew this process's lease on the shared budget; "+
				"if this lasts longer than the lease, other processes stop counting its calls in flight",
				slog.String("budget", s.name), slog.Duration("lease", s.ttl), slog.String("err", err.Error()))
		}
	}
}

// Close stops the heartbeat, releases what this store holds (its share
// of Ledger.InFlight) and its lease, and closes the Redis client if
// OpenRedisStore made it. Reservations still open in this process then
// count for nothing; close the store after the calls are done. Later
// calls of Load and Update return ErrStoreClosed; Close may be called
// again and returns the first answer.
func (s *RedisStore) Close() error { return s.shutdown(true) }

// shutdown closes the store; release says whether to give back its holds
// (false plays a process that died).
func (s *RedisStore) shutdown(release bool) error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.stopBeat()
		<-s.beatDone
		var errs []error
		if release {
			errs = append(errs, s.leave())
		}
		if s.owns {
			errs = append(errs, s.client.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// leave releases this store's holds and lease.
func (s *RedisStore) leave() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.unlock()
	if s.held == 0 {
		if err := s.client.Del(ctx, s.alive).Err(); err != nil {
			return s.errorf("removing this process's lease: %w", err)
		}
		return nil
	}
	if _, err := s.update(ctx, nil, true); err != nil {
		return fmt.Errorf("%w (this process held %s, released when its lease expires, within %v)", err, credits(s.held), s.ttl)
	}
	return nil
}

func (s *RedisStore) errorf(format string, args ...any) error {
	return fmt.Errorf("budget: Redis budget %q: "+format, append([]any{s.name}, args...)...)
}

// backoff is the pause before the attempt after attempt n (1-based): up
// to 1 ms doubling to 64 ms, with jitter so that contenders spread out.
func backoff(n int) time.Duration {
	d := time.Millisecond << min(n-1, 6)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// redisLedgerVersion is the "v" of the JSON form of a Ledger.
const redisLedgerVersion = 1

// redisLedger is the JSON form of a Ledger in Redis: named fields, so
// that renaming a Go field does not change the data other processes read.
type redisLedger struct {
	V              int       `json:"v"`
	Spent          int64     `json:"spent"`
	InFlight       int64     `json:"inFlight"`
	Balance        int64     `json:"balance"`
	BalanceKnown   bool      `json:"balanceKnown"`
	BalanceAt      time.Time `json:"balanceAt,omitzero"`
	BalanceSource  string    `json:"balanceSource,omitempty"`
	RefillAt       time.Time `json:"refillAt,omitzero"`
	Exhausted      bool      `json:"exhausted"`
	ExhaustedUntil time.Time `json:"exhaustedUntil,omitzero"`
}

func encodeLedger(l Ledger) ([]byte, error) {
	return json.Marshal(redisLedger{
		V: redisLedgerVersion, Spent: l.Spent, InFlight: l.InFlight,
		Balance: l.Balance, BalanceKnown: l.BalanceKnown, BalanceAt: l.BalanceAt, BalanceSource: l.BalanceSource,
		RefillAt: l.RefillAt, Exhausted: l.Exhausted, ExhaustedUntil: l.ExhaustedUntil,
	})
}

// decodeLedger reads the JSON form; nil (no key) is the zero Ledger.
func decodeLedger(raw []byte) (Ledger, error) {
	if raw == nil {
		return Ledger{}, nil
	}
	var r redisLedger
	if err := json.Unmarshal(raw, &r); err != nil {
		return Ledger{}, fmt.Errorf("the ledger in Redis is not tollgate's JSON: %w", err)
	}
	if r.V > redisLedgerVersion {
		return Ledger{}, fmt.Errorf("the ledger in Redis has version %d, newer than this tollgate's %d: upgrade tollgate, or use another budget name", r.V, redisLedgerVersion)
	}
	return Ledger{
		Spent: r.Spent, InFlight: r.InFlight,
		Balance: r.Balance, BalanceKnown: r.BalanceKnown, BalanceAt: r.BalanceAt, BalanceSource: r.BalanceSource,
		RefillAt: r.RefillAt, Exhausted: r.Exhausted, ExhaustedUntil: r.ExhaustedUntil,
	}, nil
}
