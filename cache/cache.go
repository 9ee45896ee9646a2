// Package cache keeps the answers of paid API reads so that asking again
// costs nothing, and shares one call among callers that ask the same thing
// at the same time.
//
// # Validity
//
// The TrendTrack API's data is refreshed on a schedule, and GET
// /v1/system/freshness (free) tells which snapshot is served
// (latestReadyDate) and which is being prepared (latestScheduledDate). An
// answer is therefore exact until the next refresh. Every entry is stored
// with the data version current when its call was made ([Freshness.Version])
// and with an expiry of Config.TTL; it is served while both hold:
//
//	now < storedAt + TTL  and  entry version >= current version
//
// The current version is learnt from a [FreshnessSource], asked at most
// every Config.CheckEvery (so an entry outlives a refresh by at most that
// long) and only when an answer is about to be served or stored. Without a
// source, or while it cannot be reached, the TTL alone bounds an entry.
// [Entry.ValidAt] is that rule as a pure function of the time.
//
// # Groups and invalidation
//
// Keys live in groups (tollgate uses one per workspace and API resource,
// such as the workspace's brandtrackers). [Cache.Invalidate] starts a new
// generation of a group: what was stored before is no longer found. A
// write invalidates the groups it affects. Because [Cache.Lookup] hands
// out a [Ticket] naming the generation it saw, an answer whose call was in
// flight while the group was invalidated is not stored: it may predate
// the write.
//
// # Backends
//
// A [Backend] stores the encoded entries. [NewMemory] keeps them in the
// process, bounded by bytes and evicting the least recently used; the
// Redis backend (package redisstore) shares them between processes with
// the same rules. A backend failure is never a call's failure: Lookup
// reports it and the caller goes to the API.
//
// # In-flight dedupe
//
// [Flight] runs one function for all the callers that ask with the same
// key while it runs: N concurrent identical calls make one API request,
// reserve credits once and are charged once.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config.
const (
	// DefaultTTL bounds an entry's life when the freshness of the data
	// does not end it sooner.
	DefaultTTL = time.Hour
	// DefaultCheckEvery is how often the freshness source is asked at
	// most.
	DefaultCheckEvery = time.Minute
	// DefaultMaxBytes bounds the memory backend made when Config.Backend
	// is nil.
	DefaultMaxBytes = 64 << 20
	// FreshnessTimeout bounds one question to the freshness source.
	FreshnessTimeout = 5 * time.Second
	// DefaultBackendRetry is how long lookups and stores skip a backend
	// that failed, before they try it again.
	DefaultBackendRetry = 10 * time.Second
)

// ErrBackendDown is returned by Lookup and Begin (and Store does nothing)
// while a backend that failed is skipped (Config.BackendRetry).
var ErrBackendDown = errors.New("cache: the backend failed moments ago; skipping it for now")

// Config configures a Cache. Zero values mean the documented defaults.
type Config struct {
	// Backend stores the entries; nil means NewMemory(DefaultMaxBytes).
	Backend Backend
	// TTL is the longest an entry is served; 0 means DefaultTTL.
	// Negative is an error.
	TTL time.Duration
	// Freshness tells the data version; nil means the TTL alone bounds
	// entries.
	Freshness FreshnessSource
	// CheckEvery is the most time between two questions to Freshness; 0
	// means DefaultCheckEvery. Negative is an error.
	CheckEvery time.Duration
	// BackendRetry is how long lookups and stores skip the backend after
	// it failed, so that a Redis that cannot be reached does not add its
	// timeout to every call; 0 means DefaultBackendRetry. Invalidations
	// always try.
	BackendRetry time.Duration
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// Logger receives a Warn when the freshness source or the backend
	// fails (once until it works again) and Debug logs otherwise; nil
	// discards them.
	Logger *slog.Logger
}

// Cache stores answers under keys in groups. It is safe for concurrent
// use.
type Cache struct {
	cfg     Config
	backend Backend
	now     func() time.Time
	log     *slog.Logger

	fresh   freshnessTracker
	freshMu sync.Mutex // one question to the source at a time

	hits, misses, stores, skipped, invalidations, errs atomic.Int64
	saved                                              atomic.Int64
	backendDown                                        atomic.Bool
	skipUntil                                          atomic.Int64 // unix nanoseconds; 0 when the backend works
}

// New checks cfg and returns a Cache.
func New(cfg Config) (*Cache, error) {
	var errs []error
	if cfg.TTL < 0 {
		errs = append(errs, fmt.Errorf("invalid TTL %v: it must be positive (0 means the default %v)", cfg.TTL, DefaultTTL))
	}
	if cfg.BackendRetry < 0 {
		errs = append(errs, fmt.Errorf("invalid BackendRetry %v: it must be positive (0 means the default %v)", cfg.BackendRetry, DefaultBackendRetry))
	}
	if cfg.CheckEvery < 0 {
		errs = append(errs, fmt.Errorf("invalid CheckEvery %v: it must be positive (0 means the default %v)", cfg.CheckEvery, DefaultCheckEvery))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("cache: invalid config: %w", errors.Join(errs...))
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.CheckEvery == 0 {
		cfg.CheckEvery = DefaultCheckEvery
	}
	if cfg.BackendRetry == 0 {
		cfg.BackendRetry = DefaultBackendRetry
	}
	if cfg.Backend == nil {
		cfg.Backend = NewMemory(DefaultMaxBytes)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{cfg: cfg, backend: cfg.Backend, now: cfg.Now, log: cfg.Logger}
	c.fresh.every = cfg.CheckEvery
	return c, nil
}

// Config returns the effective configuration, defaults applied.
func (c *Cache) Config() Config { return c.cfg }

// A Ticket is what Lookup hands out: where the answer of the call it
// could not serve may be stored, and under which generation of the group
// and data version. Pass it to Store.
type Ticket struct {
	group, key string
	gen        uint64
	version    string
	at         time.Time
	ok         bool // the lookup reached the backend
}

// Version is the data version the ticket's call is made under ("" when
// unknown).
func (t Ticket) Version() string { return t.version }

// Lookup returns the valid entry stored under key in group, if there is
// one, and the ticket for storing a new answer otherwise. It asks the
// freshness source first when that is due. A backend failure is returned
// with found false; the ticket is then unusable (Store does nothing), and
// the caller should carry on without the cache.
func (c *Cache) Lookup(ctx context.Context, group, key string) (e Entry, t Ticket, found bool, err error) {
	version := c.Version(ctx)
	now := c.now()
	t = Ticket{group: group, key: key, version: version, at: now}
	if skipping(now, c.skipUntil.Load()) {
		c.misses.Add(1)
		return Entry{}, t, false, ErrBackendDown
	}
	raw, gen, ok, err := c.backend.Load(ctx, group, key)
	if err != nil {
		c.misses.Add(1)
		return Entry{}, t, false, c.backendFailed("lookup", err)
	}
	c.backendWorks()
	t.gen, t.ok = gen, true
	if ok {
		e, err = decodeEntry(raw)
		if err == nil && e.ValidAt(now, version) {
			c.hits.Add(1)
			c.saved.Add(e.Cost)
			return e, t, true, nil
		}
	}
	c.misses.Add(1)
	return Entry{}, t, false, nil
}

// Begin returns the ticket for storing the answer of a call made without
// looking first (a caller that wants a fresh answer), counting neither a
// hit nor a miss.
func (c *Cache) Begin(ctx context.Context, group, key string) (Ticket, error) {
	version := c.Version(ctx)
	t := Ticket{group: group, key: key, version: version, at: c.now()}
	if skipping(t.at, c.skipUntil.Load()) {
		return t, ErrBackendDown
	}
	_, gen, _, err := c.backend.Load(ctx, group, key)
	if err != nil {
		return t, c.backendFailed("lookup", err)
	}
	c.backendWorks()
	t.gen, t.ok = gen, true
	return t, nil
}

// Peek reports whether Lookup would find a valid entry now, without
// counting a hit or a miss (estimates use it).
func (c *Cache) Peek(ctx context.Context, group, key string) (Entry, bool) {
	version := c.Version(ctx)
	if skipping(c.now(), c.skipUntil.Load()) {
		return Entry{}, false
	}
	raw, _, ok, err := c.backend.Load(ctx, group, key)
	if err != nil || !ok {
		return Entry{}, false
	}
	e, err := decodeEntry(raw)
	if err != nil || !e.ValidAt(c.now(), version) {
		return Entry{}, false
	}
	return e, true
}

// Store keeps value, the answer of the call t was issued for, which cost
// that many credits. The entry expires Config.TTL after the lookup. It
// does nothing for a ticket of a failed lookup, or when the group was
// invalidated since the lookup (the backend checks the generation).
func (c *Cache) Store(ctx context.Context, t Ticket, value []byte, cost int64) error {
	if !t.ok {
		c.skipped.Add(1)
		return nil
	}
	e := Entry{Value: value, StoredAt: t.at, Expires: t.at.Add(c.cfg.TTL), Version: t.version, Cost: cost}
	ttl := e.Expires.Sub(c.now())
	if ttl <= 0 {
		c.skipped.Add(1)
		return nil
	}
	if err := c.backend.Save(ctx, t.group, t.key, t.gen, encodeEntry(e), ttl); err != nil {
		return c.backendFailed("store", err)
	}
	c.backendWorks()
	c.stores.Add(1)
	return nil
}

// Invalidate makes every entry of group unreachable, and stops answers of
// calls now in flight in it from being stored.
func (c *Cache) Invalidate(ctx context.Context, group string) error {
	if err := c.backend.Bump(ctx, group); err != nil {
		return c.backendFailed("invalidate", err)
	}
	c.backendWorks()
	c.invalidations.Add(1)
	c.log.LogAttrs(ctx, slog.LevelDebug, "cache: group invalidated", slog.String("group", group))
	return nil
}

// Version returns the data version now: the last one the freshness
// source told, asking it first when Config.CheckEvery has passed since
// the last question. "" means unknown (no source, or it never answered).
func (c *Cache) Version(ctx context.Context) string {
	if c.cfg.Freshness == nil {
		return ""
	}
	if v, due := c.fresh.state(c.now()); !due {
		return v
	}
	c.freshMu.Lock()
	defer c.freshMu.Unlock()
	now := c.now()
	if v, due := c.fresh.state(now); !due { // another caller just asked
		return v
	}
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FreshnessTimeout)
	defer cancel()
	f, err := c.cfg.Freshness.Freshness(qctx)
	if err != nil {
		if c.fresh.failed(now) {
			c.log.LogAttrs(ctx, slog.LevelInfo, "cache: cannot learn the data's freshness; cached answers are bounded by the TTL alone until it answers",
				slog.String("err", err.Error()), slog.Duration("ttl", c.cfg.TTL))
		}
		v, _ := c.fresh.state(now)
		return v
	}
	prev, changed := c.fresh.learnt(now, f.Version())
	if changed && prev != "" {
		c.log.LogAttrs(ctx, slog.LevelInfo, "cache: the API's data was refreshed; older answers are no longer served",
			slog.String("from", prev), slog.String("to", f.Version()))
	}
	return f.Version()
}

func (c *Cache) backendFailed(what string, err error) error {
	c.errs.Add(1)
	c.skipUntil.Store(c.now().Add(c.cfg.BackendRetry).UnixNano())
	err = fmt.Errorf("cache: %s: %w", what, err)
	if c.backendDown.CompareAndSwap(false, true) {
		c.log.Warn("cache: the backend fails; calls go to the API until it works again", "err", err)
	}
	return err
}

func (c *Cache) backendWorks() {
	c.skipUntil.Store(0)
	if c.backendDown.CompareAndSwap(true, false) {
		c.log.Info("cache: the backend works again")
	}
}

// skipping reports whether a backend that failed is still skipped at now.
func skipping(now time.Time, until int64) bool { return until != 0 && now.UnixNano() < until }

// Stats counts what a Cache did since it was made.
type Stats struct {
	// Hits and Misses count lookups.
	Hits   int64 `json:"hits"`
	Misses int64 `json:"misses"`
	// Stores counts answers stored; Skipped those not stored because
	// their lookup failed (or skipped a failed backend) or they expired
	// before they came.
	Stores  int64 `json:"stores"`
	Skipped int64 `json:"skipped,omitempty"`
	// Invalidations counts groups invalidated.
	Invalidations int64 `json:"invalidations"`
	// Errors counts backend failures.
	Errors int64 `json:"errors,omitempty"`
	// CreditsSaved is what the calls served from the cache cost when
	// they were made.
	CreditsSaved int64 `json:"creditsSaved"`
	// Entries and Bytes are what the backend holds, when it can tell
	// (see Sizer); -1 when it cannot.
	Entries int64 `json:"entries"`
	Bytes   int64 `json:"bytes"`
	// MaxBytes bounds Bytes; 0 when unknown.
	MaxBytes int64 `json:"maxBytes,omitempty"`
	// DataVersion is the data version last learnt ("" when unknown).
	DataVersion string `json:"dataVersion,omitempty"`
	// TTL is Config.TTL.
	TTL string `json:"ttl"`
}

// Stats returns the counts so far and what the backend holds.
func (c *Cache) Stats(ctx context.Context) Stats {
	s := Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Stores: c.stores.Load(), Skipped: c.skipped.Load(),
		Invalidations: c.invalidations.Load(), Errors: c.errs.Load(), CreditsSaved: c.saved.Load(),
		Entries: -1, Bytes: -1, TTL: c.cfg.TTL.String(),
	}
	s.DataVersion, _ = c.fresh.state(c.now())
	if sz, ok := c.backend.(Sizer); ok {
		if n, b, max, err := sz.Size(ctx); err == nil {
			s.Entries, s.Bytes, s.MaxBytes = n, b, max
		}
	}
	return s
}
