package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// soak runs TestSoakLong: go test ./redisstore -run Soak -soak 2m.
var soak = flag.Duration("soak", 0, "run TestSoakLong for this long: Redis faults at random while two processes spend a shared cap")

// workers is how many workers each process of a fleet runs.
const workers = 3

// process is one tollgate process of a fleet: its store, controller and
// client.
type process struct {
	store  *redisstore.Budget
	ctrl   *budget.Controller
	client *runtime.Client
}

// fleet is processes sharing one budget through one Redis, spending the
// credits of one sandbox workspace, with workers making calls.
type fleet struct {
	t     *testing.T
	api   *api
	cap   int64
	procs []*process
	ids   []string

	n402      atomic.Int64 // 402s the API answered
	paid      atomic.Int64 // paid calls made
	free      atomic.Int64 // free calls answered
	unknown   atomic.Int64 // paid calls halted with budget_store_unavailable
	otherHalt atomic.Int64 // other halts (the cap)
}

func newFleet(t *testing.T, redisURL string, n int, runCap int64, opts redisstore.BudgetOptions) *fleet {
	t.Helper()
	f := &fleet{t: t, api: newAPI(t, 1_000_000), cap: runCap}
	f.ids = f.adIDs(40)
	name := testName(t)
	if os.Getenv("REDISSTORE_DEBUG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for range n {
		store := open(t, redisURL, name, opts)
		client := f.api.client(t, runtime.ObserverFuncs{Response: func(_ context.Context, _ *runtime.Request, status int, _ runtime.Metering) {
			if status == http.StatusPaymentRequired {
				f.n402.Add(1)
			}
		}})
		f.procs = append(f.procs, &process{store: store, client: client,
			ctrl: newCtrl(t, budget.Config{MaxCredits: runCap, Store: store, Usage: client})})
	}
	return f
}

// adIDs fetches n ad ids with a workspace of their own, so that the
// fleet's is not charged for them.
func (f *fleet) adIDs(n int) []string {
	key := f.api.srv.NewWorkspace(sandbox.Credits{Recurring: 1000})
	c, err := runtime.New(runtime.WithBaseURL(f.api.url), runtime.WithAPIKey(key))
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), &runtime.Request{Path: "/v1/ads", Query: url.Values{"search": {"the"}, "limit": {strconv.Itoa(n)}}})
	if err != nil {
		f.t.Fatal(err)
	}
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.Data, &rows); err != nil || len(rows) != n {
		f.t.Fatalf("want %d ad ids, got %d (%v)", n, len(rows), err)
	}
	ids := make([]string, n)
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// work starts workers on every process, making calls until ctx ends;
// the returned function waits for them.
func (f *fleet) work(ctx context.Context, seed uint64, workers int) (wait func()) {
	var wg sync.WaitGroup
	for pi, p := range f.procs {
		for w := range workers {
			rng := rand.New(rand.NewPCG(seed, uint64(pi*100+w)))
			wg.Go(func() { f.worker(ctx, p, rng) })
		}
	}
	return wg.Wait
}

func (f *fleet) worker(ctx context.Context, p *process, rng *rand.Rand) {
	for ctx.Err() == nil {
		var (
			ask budget.Ask
			req runtime.Request
		)
		switch n := rng.IntN(10); {
		case n < 1:
			ask = budget.Ask{Operation: "lookup"}
			req = runtime.Request{Path: "/v1/lookup", Operation: "lookup", Query: url.Values{"q": {"zzqx"}}}
		case n < 3:
			ask = budget.Ask{Operation: "listAds", Rows: 1 + rng.Int64N(20)}
			req = runtime.Request{Path: "/v1/ads", Operation: "listAds", Query: url.Values{"search": {"coffee"}}}
		default:
			ask = budget.Ask{Operation: "getAd", Fixed: 1}
			req = runtime.Request{Path: "/v1/ads/{adId}", Operation: "getAd", PathParams: map[string]string{"adId": f.ids[rng.IntN(len(f.ids))]}}
		}
		r, err := p.ctrl.Reserve(ctx, ask)
		if err != nil {
			switch h, ok := budget.AsHalt(err); {
			case ok && h.Code == budget.CodeStoreUnavailable:
				f.unknown.Add(1)
			case ok:
				f.otherHalt.Add(1)
			case ctx.Err() == nil:
				f.t.Errorf("Reserve: %v", err)
				return
			}
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if ask.Rows > 0 {
			req.Query.Set("limit", strconv.FormatInt(r.Rows, 10))
		}
		// The call itself is never cancelled: a call started finishes
		// and is settled, as tollgate's faces do.
		resp, err := p.client.Do(context.WithoutCancel(ctx), &req)
		err = r.Finish(ctx, resp, err)
		if err != nil {
			f.t.Errorf("%s: %v", req.Operation, err)
			return
		}
		if ask.Worst() == 0 {
			f.free.Add(1)
		} else {
			f.paid.Add(1)
		}
	}
}

// runWith runs the fleet's workers, calls fault once the API has charged
// a third of the cap, and stops the workers once nearly all of the cap
// is spent (or after 20 s); then it waits for every process to have
// written what it kept, and checks the cap's promises.
func (f *fleet) runWith(fault func()) {
	f.t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	wait := f.work(ctx, seedFor(f.t), workers)
	defer func() { stop(); wait() }()
	waitFor(f.t, 20*time.Second, "a third of the cap spent", func() bool { return f.api.spent() >= f.cap/3 })
	freeBefore := f.free.Load()
	fault()
	freeDuring := f.free.Load() - freeBefore
	waitFor(f.t, 20*time.Second, "nearly all of the cap spent", f.capSpent)
	stop()
	wait()
	f.t.Logf("%d paid calls, %d free; %d halted as budget_store_unavailable, %d by the cap; %d free calls answered during the fault",
		f.paid.Load(), f.free.Load(), f.unknown.Load(), f.otherHalt.Load(), freeDuring)
	f.check()
}

// capSpent reports that the shared ledger has (nearly) all of the cap
// spent.
func (f *fleet) capSpent() bool {
	l, err := f.procs[0].store.Load(context.Background())
	return err == nil && l.Spent >= f.cap-5
}

// settled waits until every process has written what it kept.
func (f *fleet) settled() {
	f.t.Helper()
	waitFor(f.t, 10*time.Second, "every kept settlement written", func() bool {
		for _, p := range f.procs {
			if n, _ := p.store.Pending(); n > 0 || p.store.Unavailable() != nil {
				return false
			}
		}
		return true
	})
}

// check asserts the promises: the API never charged more than the cap,
// never answered 402, and the shared ledger records every charge.
func (f *fleet) check() {
	f.t.Helper()
	f.settled()
	spent := f.api.spent()
	l, err := f.procs[0].store.Load(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Logf("the API charged %d of the %d cap; the shared ledger says %d spent, %d in flight", spent, f.cap, l.Spent, l.InFlight)
	if spent > f.cap {
		f.t.Errorf("the API charged %d, over the shared cap of %d", spent, f.cap)
	}
	if n := f.n402.Load(); n != 0 {
		t := f.t
		t.Errorf("the API answered 402 %d times", n)
	}
	if l.Spent < spent {
		f.t.Errorf("the shared ledger records %d spent, less than the %d the API charged: charges were dropped", l.Spent, spent)
	}
	// It may count a settlement twice when Redis lost its data just after
	// writing it and before answering: by at most what the calls in
	// flight could cost.
	if slack := int64(len(f.procs) * workers * 21); l.Spent > spent+slack {
		f.t.Errorf("the shared ledger records %d spent, %d more than the API charged (at most %d may be counted twice)", l.Spent, l.Spent-spent, slack)
	}
	if l.InFlight != 0 {
		f.t.Errorf("%d credits still held with no call in flight", l.InFlight)
	}
}

// exact asserts that the ledger records every charge exactly once.
func (f *fleet) exact() {
	f.t.Helper()
	l, err := f.procs[0].store.Load(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if spent := f.api.spent(); l.Spent != spent {
		f.t.Errorf("the shared ledger records %d spent, the API charged %d", l.Spent, spent)
	}
}

func TestRedisRestartedEmptyMidRun(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	f := newFleet(t, srv.URL(), 2, 600, fastOptions())
	f.runWith(srv.RestartEmpty)
}

func TestRedisDownMidRun(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	f := newFleet(t, srv.URL(), 2, 600, fastOptions())
	f.runWith(func() {
		srv.Kill()
		time.Sleep(400 * time.Millisecond)
		srv.Start() // empty: it kept nothing
	})
	if f.unknown.Load() == 0 {
		t.Error("no paid call halted while Redis was down")
	}
}

func TestRedisPausedMidRun(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	f := newFleet(t, srv.URL(), 2, 600, fastOptions())
	f.runWith(func() {
		srv.Pause()
		time.Sleep(700 * time.Millisecond)
		srv.Resume()
	})
	f.exact()
	if f.unknown.Load() == 0 {
		t.Error("no paid call halted while Redis was paused")
	}
}

// TestRedisSlowerThanTheTimeout pauses Redis for a little longer than the
// client waits, again and again: operations time out on the client's
// side, and some still run on Redis after the client gave up.
func TestRedisSlowerThanTheTimeout(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	opts := fastOptions()
	opts.Timeout = 40 * time.Millisecond
	f := newFleet(t, srv.URL(), 2, 600, opts)
	f.runWith(func() {
		for range 5 {
			srv.Pause()
			time.Sleep(60 * time.Millisecond)
			srv.Resume()
			time.Sleep(40 * time.Millisecond)
		}
	})
	f.exact()
}

func TestRedisAbsentAtStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short")
	}
	srv := redistest.Absent(t)
	f := newFleet(t, srv.URL(), 2, 300, fastOptions())
	ctx, stop := context.WithCancel(context.Background())
	wait := f.work(ctx, seedFor(t), workers)
	waitFor(t, 10*time.Second, "free calls with Redis absent", func() bool { return f.free.Load() >= 20 && f.unknown.Load() >= 20 })
	if n := f.paid.Load(); n != 0 {
		t.Errorf("%d paid calls were made with Redis absent", n)
	}
	srv.Start()
	waitFor(t, 20*time.Second, "the cap spent once Redis is up", f.capSpent)
	stop()
	wait()
	f.check()
	f.exact()
}

func TestRedisRestartedFromAnOldSnapshot(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	f := newFleet(t, srv.URL(), 2, 900, fastOptions())
	f.runWith(func() {
		srv.Save()
		waitFor(t, 10*time.Second, "spend after the snapshot", func() bool { return f.api.spent() >= 500 })
		srv.Crash() // comes back to the snapshot: the ledger is older than what the processes saw
	})
}

// TestAProcessKilledHoldingCreditsIsChargedInFull: a process dies with a
// call in flight. Its credits stay held while its lease lasts, then count
// as spent: its call may well have cost them.
func TestAProcessKilledHoldingCreditsIsChargedInFull(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	name := testName(t)
	opts := redisstore.BudgetOptions{LeaseTTL: 300 * time.Millisecond}
	a := newAPI(t, 10_000)
	ctx := context.Background()
	deadStore, err := redisstore.OpenBudget(url, name, opts)
	if err != nil {
		t.Fatal(err)
	}
	dead := newCtrl(t, budget.Config{MaxCredits: 100, Store: deadStore})
	live := newCtrl(t, budget.Config{MaxCredits: 100, Store: open(t, url, name, opts)})

	r, err := dead.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 60})
	if err != nil {
		t.Fatal(err)
	}
	// The call reaches the API and is charged; the process dies before
	// it can settle.
	client := a.client(t)
	if _, err := client.Do(ctx, &runtime.Request{Path: "/v1/ads", Query: url2("coffee", r.Rows)}); err != nil {
		t.Fatal(err)
	}
	deadStore.Abandon()

	st, err := live.Status(ctx)
	if err != nil || st.InFlight != 60 || st.Available != 40 {
		t.Fatalf("while the dead process's lease lasts: %+v, %v", st, err)
	}
	waitFor(t, 5*time.Second, "the lease to run out", func() bool {
		st, err := live.Status(ctx)
		return err == nil && st.InFlight == 0
	})
	st, _ = live.Status(ctx)
	if st.RunSpent != 60 || st.Available != 40 {
		t.Fatalf("after the lease ran out: %+v, want its 60 counted as spent", st)
	}
	if got := a.spent(); got > st.RunSpent || got > 100 {
		t.Errorf("the API charged %d; the ledger counts %d of the cap of 100", got, st.RunSpent)
	}
}

// TestAPausedProcessGetsItsCreditsBack: a process cut off for longer than
// its lease has its holds counted as spent; when it comes back and
// settles, the ledger takes back the difference.
func TestAPausedProcessGetsItsCreditsBack(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	name := testName(t)
	opts := redisstore.BudgetOptions{LeaseTTL: 300 * time.Millisecond}
	ctx := context.Background()
	cutOff := open(t, url, name, opts)
	other := open(t, url, name, opts)
	lim := budget.Limits{Cap: 100}
	if _, held, err := cutOff.Reserve(ctx, budget.Hold{ID: "1", Ask: budget.Ask{Rows: 50}, Limits: lim, Now: sandboxNow}); err != nil || held != 50 {
		t.Fatalf("reserve: %d, %v", held, err)
	}
	// Its lease runs out as if it had stopped beating.
	raw := rawClient(t, url)
	if err := raw.HSet(ctx, cutOff.Keys()[2], cutOff.ID(), 0).Err(); err != nil {
		t.Fatal(err)
	}
	l, err := other.Load(ctx)
	if err != nil || l.Spent != 50 || l.InFlight != 0 {
		t.Fatalf("after the lease ran out: %+v, %v", l, err)
	}
	l, err = cutOff.Settle(ctx, budget.Settlement{ID: "1", Release: 50, Charge: 12, Now: sandboxNow})
	if err != nil || l.Spent != 12 || l.InFlight != 0 {
		t.Fatalf("after it settled for 12: %+v, %v", l, err)
	}
}

func TestCloseReportsChargesItCouldNotWrite(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	opts := fastOptions()
	opts.CloseTimeout = 300 * time.Millisecond
	store, err := redisstore.OpenBudget(srv.URL(), testName(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	c := newCtrl(t, budget.Config{MaxCredits: 100, Store: store})
	ctx := context.Background()
	r, err := c.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 30})
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := r.Finish(ctx, &runtime.Response{Status: 200, Metering: runtime.Metering{UsageCost: runtime.Known(17)}}, nil); err != nil {
		t.Fatalf("Finish with Redis gone: %v", err)
	}
	if n, credits := store.Pending(); n != 1 || credits != 17 {
		t.Fatalf("kept %d settlements of %d credits, want 1 of 17", n, credits)
	}
	err = store.Close()
	var ue *redisstore.UnrecordedError
	if !errors.As(err, &ue) || ue.Settlements != 1 || ue.Credits != 17 || ue.Held != 30 {
		t.Fatalf("Close = %v, want an UnrecordedError of 1 charge, 17 credits, 30 held", err)
	}
	t.Log(err)
}

// TestSoak runs two processes through several faults in a row.
func TestSoak(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short")
	}
	srv := redisServer(t)
	f := newFleet(t, srv.URL(), 2, 1500, fastOptions())
	f.runWith(func() {
		at := func(spent int64) {
			waitFor(t, 10*time.Second, "spend to go on", func() bool { return f.api.spent() >= spent })
		}
		srv.Pause()
		time.Sleep(300 * time.Millisecond)
		srv.Resume()
		at(700)
		srv.RestartEmpty()
		at(850)
		srv.Save()
		at(1000)
		srv.Crash()
		at(1150)
		srv.Kill()
		time.Sleep(200 * time.Millisecond)
		srv.Start()
	})
}

// TestSoakLong is TestSoak at length, with faults at random: run it with
// -soak DURATION. Each round is a fleet of three processes spending a
// cap of its own while Redis fails under it, checked as the fault tests
// are.
func TestSoakLong(t *testing.T) {
	if *soak == 0 {
		t.Skip("run with -soak DURATION")
	}
	srv := redisServer(t)
	rng := rand.New(rand.NewPCG(seedFor(t), 99))
	faults := []struct {
		name string
		do   func()
	}{
		{"pause", func() { srv.Pause(); time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond); srv.Resume() }},
		{"restart empty", srv.RestartEmpty},
		{"crash to snapshot", func() { srv.Save(); time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond); srv.Crash() }},
		{"down", func() { srv.Kill(); time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond); srv.Start() }},
	}
	for round, end := 1, time.Now().Add(*soak); time.Now().Before(end); round++ {
		t.Run("round"+strconv.Itoa(round), func(t *testing.T) {
			f := newFleet(t, srv.URL(), 3, 3000, fastOptions())
			f.runWith(func() {
				for !f.capSpent() {
					time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
					fault := faults[rng.IntN(len(faults))]
					t.Logf("%s (the API charged %d so far)", fault.name, f.api.spent())
					fault.do()
				}
			})
		})
	}
}

func url2(search string, limit int64) url.Values {
	return url.Values{"search": {search}, "limit": {strconv.FormatInt(limit, 10)}}
}
