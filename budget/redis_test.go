package budget_test

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// redisBudget is one test's Redis: its URL, a raw client to look at the
// keys, and a budget name of its own.
type redisBudget struct {
	t      *testing.T
	url    string
	raw    *redis.Client
	name   string
	key    string // the ledger's key
	stores []*budget.RedisStore
}

func newRedisBudget(t *testing.T) *redisBudget {
	t.Helper()
	u := redistest.URL(t)
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	_, _ = crand.Read(b[:])
	name := "test-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + hex.EncodeToString(b[:])
	rb := &redisBudget{t: t, url: u, raw: redis.NewClient(opts), name: name,
		key: budget.DefaultRedisPrefix + "{" + name + "}"}
	t.Cleanup(func() {
		for _, s := range rb.stores {
			_ = s.Close()
		}
		ctx := context.Background()
		keys, _ := rb.raw.Keys(ctx, rb.key+"*").Result()
		if len(keys) > 0 {
			rb.raw.Del(ctx, keys...)
		}
		rb.raw.Close()
	})
	return rb
}

// store opens a store of the test's budget: one "process". The test's
// cleanup closes it.
func (rb *redisBudget) store(opts budget.RedisOptions) *budget.RedisStore {
	rb.t.Helper()
	s, err := budget.OpenRedisStore(context.Background(), rb.url, rb.name, opts)
	if err != nil {
		rb.t.Fatal(err)
	}
	rb.stores = append(rb.stores, s)
	return s
}

// holds returns the holds hash: store id -> credits.
func (rb *redisBudget) holds() map[string]string {
	rb.t.Helper()
	h, err := rb.raw.HGetAll(context.Background(), rb.key+":holds").Result()
	if err != nil {
		rb.t.Fatal(err)
	}
	return h
}

// leaseExists reports whether s's lease key exists.
func (rb *redisBudget) leaseExists(s *budget.RedisStore) bool {
	rb.t.Helper()
	n, err := rb.raw.Exists(context.Background(), s.Key()+":alive:"+s.ID()).Result()
	if err != nil {
		rb.t.Fatal(err)
	}
	return n == 1
}

// load returns the ledger as s sees it.
func mustLoad(t *testing.T, s budget.Store) budget.Ledger {
	t.Helper()
	l, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// addInFlight holds (or, negative, releases) n credits through s, as
// Reserve and a settlement do.
func addInFlight(t *testing.T, s budget.Store, n int64) budget.Ledger {
	t.Helper()
	l, err := s.Update(context.Background(), func(l *budget.Ledger) error {
		l.InFlight = max(0, l.InFlight+n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRedisStoreKeepsTheLedger(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	s := rb.store(budget.RedisOptions{})
	ctx := context.Background()
	if l := mustLoad(t, s); l != (budget.Ledger{}) {
		t.Fatalf("an absent ledger loads as %+v, want the zero Ledger", l)
	}
	if l, err := s.Update(ctx, func(*budget.Ledger) error { return nil }); err != nil || l != (budget.Ledger{}) {
		t.Fatalf("a no-op Update = %+v, %v", l, err)
	}
	if n := rb.raw.Exists(ctx, rb.key).Val(); n != 0 {
		t.Error("a no-op Update wrote the ledger")
	}
	at := time.Date(2026, 11, 20, 10, 30, 0, 123456789, time.UTC)
	want := budget.Ledger{Spent: 17, InFlight: 5, Balance: 983, BalanceKnown: true, BalanceAt: at,
		BalanceSource: budget.SourceHeader, RefillAt: sandboxRefill, Exhausted: true, ExhaustedUntil: sandboxRefill}
	got, err := s.Update(ctx, func(l *budget.Ledger) error { *l = want; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Update returned %+v, want %+v", got, want)
	}
	other := rb.store(budget.RedisOptions{}) // another process
	if l := mustLoad(t, other); l != want {
		t.Errorf("another store loads %+v, want %+v", l, want)
	}
	if h := rb.holds(); len(h) != 1 || h[s.ID()] != "5" {
		t.Errorf("holds = %v, want the 5 credits in flight held by %s", h, s.ID())
	}
	if !rb.leaseExists(s) {
		t.Error("a store that holds credits has no lease")
	}
}

func TestRedisStoreUpdateIsAtomicUnderContention(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	stores := []*budget.RedisStore{rb.store(budget.RedisOptions{}), rb.store(budget.RedisOptions{})}
	const workers, increments = 8, 200
	var calls atomic.Int64
	var wg sync.WaitGroup
	for _, s := range stores {
		for range workers {
			wg.Go(func() {
				for range increments {
					if _, err := s.Update(context.Background(), func(l *budget.Ledger) error {
						calls.Add(1)
						l.Spent++
						return nil
					}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	const want = 2 * workers * increments
	if l := mustLoad(t, stores[0]); l.Spent != want || l.InFlight != 0 {
		t.Errorf("ledger = %+v, want Spent %d", l, want)
	}
	t.Logf("%d updates ran fn %d times (%d retries after a conflict)", want, calls.Load(), calls.Load()-want)
}

func TestRedisStoreRetriesFnAfterAConflict(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	s := rb.store(budget.RedisOptions{})
	ctx := context.Background()
	var calls int
	l, err := s.Update(ctx, func(l *budget.Ledger) error {
		calls++
		if calls == 1 { // another process commits in between
			if err := rb.raw.Set(ctx, rb.key, `{"v":1,"spent":40}`, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		l.Spent += 2
		return nil
	})
	if err != nil || calls != 2 || l.Spent != 42 {
		t.Fatalf("Update = %+v, %v after %d calls of fn; want Spent 42 after 2 calls", l, err, calls)
	}

	// With one attempt allowed, the conflict is the answer.
	one, err := budget.OpenRedisStore(ctx, rb.url, rb.name, budget.RedisOptions{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	_, err = one.Update(ctx, func(l *budget.Ledger) error {
		rb.raw.Set(ctx, rb.key, `{"v":1,"spent":50}`, 0)
		l.Spent = 1000
		return nil
	})
	if !errors.Is(err, redis.TxFailedErr) || !strings.Contains(err.Error(), "gave up after 1 attempts") {
		t.Fatalf("Update under a conflict with MaxAttempts 1: %v", err)
	}
	if l := mustLoad(t, s); l.Spent != 50 {
		t.Fatalf("the failed Update wrote: %+v", l)
	}
}

func TestRedisStoreFnErrorWritesNothing(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	s := rb.store(budget.RedisOptions{})
	addInFlight(t, s, 3)
	before := mustLoad(t, s)
	boom := errors.New("boom")
	_, err := s.Update(context.Background(), func(l *budget.Ledger) error {
		l.Spent, l.InFlight = 99, l.InFlight+50
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v, want fn's error as it is", err)
	}
	if l := mustLoad(t, s); l != before {
		t.Errorf("ledger after a failed fn = %+v, want %+v", l, before)
	}
	if h := rb.holds(); len(h) != 1 || h[s.ID()] != "3" {
		t.Errorf("holds after a failed fn = %v", h)
	}
	if l := addInFlight(t, s, -3); l.InFlight != 0 {
		t.Errorf("in flight after releasing everything: %d", l.InFlight)
	}
}

func TestRedisStoreCloseReleasesItsHolds(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	a, b := rb.store(budget.RedisOptions{}), rb.store(budget.RedisOptions{})
	addInFlight(t, a, 30)
	if l := addInFlight(t, b, 20); l.InFlight != 50 {
		t.Fatalf("in flight = %d, want 50", l.InFlight)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if l := mustLoad(t, b); l.InFlight != 20 {
		t.Errorf("after the first store closed, %d in flight, want the other's 20", l.InFlight)
	}
	if h := rb.holds(); len(h) != 1 || h[b.ID()] != "20" {
		t.Errorf("holds = %v, want only %s's 20", h, b.ID())
	}
	if rb.leaseExists(a) {
		t.Error("a closed store left its lease")
	}
	if _, err := a.Load(context.Background()); !errors.Is(err, budget.ErrStoreClosed) {
		t.Errorf("Load after Close: %v", err)
	}
	if _, err := a.Update(context.Background(), func(*budget.Ledger) error { return nil }); !errors.Is(err, budget.ErrStoreClosed) {
		t.Errorf("Update after Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	c := rb.store(budget.RedisOptions{})
	if l := mustLoad(t, c); l.InFlight != 0 || len(rb.holds()) != 0 {
		t.Errorf("after both closed: %+v, holds %v", l, rb.holds())
	}
}

// TestRedisStoreReleasesTheHoldsOfADeadProcess: a process dies with a
// call in flight; once its lease is gone the next Update of any live
// process gives its credits back, and leaves the live holds alone.
func TestRedisStoreReleasesTheHoldsOfADeadProcess(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	dead, live := rb.store(budget.RedisOptions{}), rb.store(budget.RedisOptions{})
	addInFlight(t, dead, 50)
	addInFlight(t, live, 20)
	if err := dead.Abandon(); err != nil {
		t.Fatal(err)
	}
	// Still counted while the lease lasts.
	if l := addInFlight(t, live, 0); l.InFlight != 70 {
		t.Fatalf("in flight during the dead store's lease = %d, want 70", l.InFlight)
	}
	// The lease runs out (as LeaseTTL after the last heartbeat would).
	if err := rb.raw.Del(context.Background(), dead.Key()+":alive:"+dead.ID()).Err(); err != nil {
		t.Fatal(err)
	}
	if l := mustLoad(t, live); l.InFlight != 70 {
		t.Errorf("Load released holds: %d in flight", l.InFlight)
	}
	if l := addInFlight(t, live, 0); l.InFlight != 20 {
		t.Errorf("after the lease expired, %d in flight, want the live store's 20", l.InFlight)
	}
	if h := rb.holds(); len(h) != 1 || h[live.ID()] != "20" {
		t.Errorf("holds = %v, want only the live store's", h)
	}
	if l := addInFlight(t, live, -20); l.InFlight != 0 {
		t.Errorf("after the live store released its hold: %d in flight", l.InFlight)
	}
}

// TestRedisStoreLeaseExpiresWithoutHeartbeat runs real leases of 300 ms:
// the heartbeat keeps a live store's holds for many leases, a dead one's
// go when its lease runs out.
func TestRedisStoreLeaseExpiresWithoutHeartbeat(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	const lease = 300 * time.Millisecond
	dead, live := rb.store(budget.RedisOptions{LeaseTTL: lease}), rb.store(budget.RedisOptions{LeaseTTL: lease})
	addInFlight(t, dead, 50)
	addInFlight(t, live, 20)
	if err := dead.Abandon(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for rb.leaseExists(dead) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the dead store's lease never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2*lease - time.Since(start)) // the live lease outlives several heartbeats
	if !rb.leaseExists(live) {
		t.Fatal("the heartbeat did not keep the live store's lease")
	}
	if l := addInFlight(t, live, 0); l.InFlight != 20 {
		t.Errorf("after the dead lease expired, %d in flight, want 20", l.InFlight)
	}
}

// TestRedisStoreCountsItsHoldsAgainAfterALapse: a process paused past its
// lease loses its holds to another's Update, then counts them again at
// its own next Update, since its calls are still in flight.
func TestRedisStoreCountsItsHoldsAgainAfterALapse(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	paused, other := rb.store(budget.RedisOptions{}), rb.store(budget.RedisOptions{})
	addInFlight(t, paused, 40)
	rb.raw.Del(context.Background(), paused.Key()+":alive:"+paused.ID())
	if l := addInFlight(t, other, 0); l.InFlight != 0 {
		t.Fatalf("the lapsed hold is still counted: %d", l.InFlight)
	}
	if l := addInFlight(t, paused, 0); l.InFlight != 40 {
		t.Errorf("the paused store's next Update counts %d in flight, want its 40", l.InFlight)
	}
	if !rb.leaseExists(paused) {
		t.Error("the paused store did not take a new lease")
	}
	if l := addInFlight(t, paused, -40); l.InFlight != 0 || len(rb.holds()) != 0 {
		t.Errorf("after the release: %+v, holds %v", l, rb.holds())
	}
}

func TestRedisStoreRejectsBadConfig(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: redistest.FreeAddr(t)}) // never used
	defer client.Close()
	for _, tt := range []struct {
		name, budget string
		opts         budget.RedisOptions
		want         string
	}{
		{"empty name", "", budget.RedisOptions{}, "it is empty"},
		{"hash tag in name", "a{b}", budget.RedisOptions{}, "must not contain '{'"},
		{"space in name", "my budget", budget.RedisOptions{}, "spaces"},
		{"short lease", "x", budget.RedisOptions{LeaseTTL: time.Millisecond}, "invalid LeaseTTL 1ms"},
		{"negative attempts", "x", budget.RedisOptions{MaxAttempts: -1}, "invalid MaxAttempts -1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := budget.NewRedisStore(client, tt.budget, tt.opts)
			if err == nil {
				s.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(tt.name, "name") != errors.Is(err, budget.ErrInvalidRedisName) {
				t.Fatalf("NewRedisStore(%q, %+v) = %v, want an error containing %q", tt.budget, tt.opts, err, tt.want)
			}
		})
	}
	t.Run("URL", func(t *testing.T) {
		ctx := context.Background()
		_, err := budget.OpenRedisStore(ctx, "http://:hunter2@example.com", "x", budget.RedisOptions{})
		if err == nil || !strings.Contains(err.Error(), "invalid Redis URL") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("a non-Redis URL: %v", err)
		}
		_, err = budget.OpenRedisStore(ctx, "redis://:hunter2@127.0.0.1:notaport", "x", budget.RedisOptions{})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("an unparsable URL: %v", err)
		}
		_, err = budget.OpenRedisStore(ctx, "redis://:hunter2@"+redistest.FreeAddr(t), "x", budget.RedisOptions{})
		if err == nil || !strings.Contains(err.Error(), "cannot reach Redis") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("no Redis listening: %v", err)
		}
	})
}

// TestRedisControllersShareOneCap is the point of the Redis store: two
// processes (two controllers, two stores, two clients) work against one
// workspace under one shared cap; together they never pass it, never see
// a 402, and use it to the last credits.
func TestRedisControllersShareOneCap(t *testing.T) {
	t.Parallel()
	rb := newRedisBudget(t)
	e := newEnv(t)
	key := e.srv.NewWorkspace(sandbox.Credits{Recurring: 10000, Topup: 20000})
	ids := e.adIDs(40)
	const runCap, workers, perWorker = 1000, 8, 400
	counter := &statusCounter{}
	type process struct {
		ctrl   *budget.Controller
		client *runtime.Client
		store  *budget.RedisStore
		calls  atomic.Int64
	}
	procs := []*process{{}, {}}
	for i, p := range procs {
		p.store = rb.store(budget.RedisOptions{})
		k := key
		if i > 0 {
			k = e.srv.NewKey(key, sandbox.AccessFull)
		}
		p.client, p.ctrl = wired(t, e, k, budget.Config{MaxCredits: runCap, Store: p.store}, counter)
		if _, err := p.ctrl.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	seed := seedFor(t)
	var maxSpent atomic.Int64
	var wg sync.WaitGroup
	for pi, p := range procs {
		for w := range workers {
			rng := rand.New(rand.NewPCG(seed, uint64(pi*workers+w)))
			wg.Go(func() {
				ctx := context.Background()
				for made := 0; made < perWorker; {
					ask, req := randomCall(rng, ids)
					rctx, res, err := p.ctrl.Reserve(ctx, ask)
					if err != nil {
						if _, ok := budget.AsHalt(err); !ok {
							t.Errorf("Reserve: %v", err)
							return
						}
						// Another process's calls in flight may free credits.
						st := p.ctrl.Status()
						if st.Exhausted || st.InFlight == 0 && st.Available == 0 {
							return
						}
						time.Sleep(time.Millisecond)
						continue
					}
					if ask.Rows > 0 {
						req.Query.Set("limit", itoa(res.Rows))
					}
					_, err = p.client.Do(rctx, &req)
					if err = res.Finish(rctx, err); err != nil && !isStatus(err, http.StatusNotFound) {
						t.Errorf("call %s: %v", req.Operation, err)
					}
					made++
					p.calls.Add(1)
					spent := p.ctrl.Status().RunSpent
					for cur := maxSpent.Load(); spent > cur && !maxSpent.CompareAndSwap(cur, spent); cur = maxSpent.Load() {
					}
				}
			})
		}
	}
	wg.Wait()

	st := procs[0].ctrl.Status()
	t.Logf("calls %d + %d, spent %d of the shared cap of %d", procs[0].calls.Load(), procs[1].calls.Load(), st.RunSpent, runCap)
	if n := counter.n402.Load(); n != 0 {
		t.Errorf("%d responses were 402", n)
	}
	if got := e.srv.Spent(key); got > runCap || st.RunSpent > runCap || maxSpent.Load() > runCap {
		t.Errorf("the API charged %d, the ledger says %d (at most %d seen): over the cap of %d", got, st.RunSpent, maxSpent.Load(), runCap)
	}
	if got := e.srv.Spent(key); got != st.RunSpent {
		t.Errorf("the API charged %d, the shared ledger counted %d", got, st.RunSpent)
	}
	if st.RunSpent < runCap*99/100 {
		t.Errorf("spent only %d of the %d cap", st.RunSpent, runCap)
	}
	for i, p := range procs {
		if p.calls.Load() == 0 {
			t.Errorf("process %d made no call", i)
		}
	}
	if st.InFlight != 0 || len(rb.holds()) != 0 {
		t.Errorf("%d credits still in flight, holds %v", st.InFlight, rb.holds())
	}
	if other := procs[1].ctrl.Status(); other.RunSpent != st.RunSpent || *other.CreditsRemaining != *st.CreditsRemaining {
		t.Errorf("the two processes see different budgets: %+v and %+v", st, other)
	}
	if *st.CreditsRemaining != e.total(key) {
		t.Errorf("the shared balance is %d, the API's %d", *st.CreditsRemaining, e.total(key))
	}
}

// randomCall returns a call of the shared-cap workload: a fifth free
// lookups, a tenth listAds of 1..100 rows, the rest getAd (one in ten of
// an unknown id, a free 404).
func randomCall(rng *rand.Rand, ids []string) (budget.Ask, runtime.Request) {
	switch p := rng.IntN(100); {
	case p < 20:
		return budget.Ask{Operation: "lookup"},
			runtime.Request{Path: "/v1/lookup", Operation: "lookup", Query: url.Values{"q": {"zzqx"}}}
	case p < 30:
		return budget.Ask{Operation: "listAds", Rows: 1 + rng.Int64N(100), MinRows: 1 + rng.Int64N(3)},
			listAds(searchTerms[rng.IntN(len(searchTerms))], 1+rng.Int64N(3))
	default:
		id := ids[rng.IntN(len(ids))]
		if rng.IntN(10) == 0 {
			id = "facebook_999999999999999"
		}
		return budget.Ask{Operation: "getAd", Fixed: 1}, getAd(id)
	}
}

// ExampleOpenRedisStore shares one budget between processes.
func ExampleOpenRedisStore() {
	ctx := context.Background()
	store, err := budget.OpenRedisStore(ctx, "redis://localhost:6379/0", "nightly-batch", budget.RedisOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close() // releases this process's holds

	// Every process that opens "nightly-batch" shares the 5000 credits.
	ctrl, err := budget.New(budget.Config{MaxCredits: 5000, Store: store})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = ctrl
}
