package budget_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// wired returns a client for key that reports to observers, and a
// controller that refreshes through it.
func wired(t *testing.T, e *env, key string, cfg budget.Config, observers ...runtime.Observer) (*runtime.Client, *budget.Controller) {
	t.Helper()
	client := e.client(key, observers...)
	cfg.Usage = client
	return client, newCtrl(t, cfg)
}

// call reserves for ask, makes req with the granted rows, and finishes.
func call(t *testing.T, ctx context.Context, ctrl *budget.Controller, client *runtime.Client, ask budget.Ask, req runtime.Request) (*budget.Reservation, error) {
	t.Helper()
	res, err := ctrl.Reserve(ctx, ask)
	if err != nil {
		return nil, err
	}
	if ask.Rows > 0 {
		q := url.Values{}
		for k, v := range req.Query {
			q[k] = v
		}
		q.Set("limit", itoa(res.Rows))
		req.Query = q
	}
	resp, err := client.Do(ctx, &req)
	return res, res.Finish(ctx, resp, err)
}

func listAds(search string, page int64) runtime.Request {
	return runtime.Request{Path: "/v1/ads", Operation: "listAds",
		Query: url.Values{"search": {search}, "page": {itoa(page)}}}
}

func getAd(id string) runtime.Request {
	return runtime.Request{Path: "/v1/ads/{adId}", Operation: "getAd", PathParams: map[string]string{"adId": id}}
}

var searchTerms = []string{"coffee", "skin", "new", "best", "the", "shop"} // "shop" matches nothing: a 0-credit page

// mix is how a workload splits its calls, in percent: the rest are
// getAd calls (1 credit; one in ten asks for an unknown id, a free 404).
type mix struct {
	lookups int // free lookup calls
	lists   int // listAds calls with a random limit of 1..100
}

// workload drives a controller with random calls over real HTTP.
type workload struct {
	t      *testing.T
	ctrl   *budget.Controller
	client *runtime.Client
	adIDs  []string
	mix    mix
	done   atomic.Bool // set to stop the workers early

	calls    atomic.Int64 // API calls made
	paid     atomic.Int64 // calls with a reservation > 0
	fitted   atomic.Int64
	apiHalts atomic.Int64 // 402s turned into halts by Finish
	maxSpent atomic.Int64 // highest RunSpent seen after a call

	mu    sync.Mutex
	cond  *sync.Cond
	gen   int // calls finished; halted workers wait for it to change
	halts map[string]int
}

// run starts n workers, each making at most perWorker calls, and waits
// for them. A halted worker waits for a call in flight to finish, since
// that may free credits, and stops when nothing can: nothing in flight
// and nothing available, or the budget exhausted.
func (w *workload) run(seed uint64, n, perWorker int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { w.worker(rand.New(rand.NewPCG(seed, uint64(i))), perWorker) })
	}
	wg.Wait()
}

func newWorkload(t *testing.T, ctrl *budget.Controller, client *runtime.Client, adIDs []string, m mix) *workload {
	w := &workload{t: t, ctrl: ctrl, client: client, adIDs: adIDs, mix: m, halts: map[string]int{}}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// stop ends the workers' loops and wakes whoever waits.
func (w *workload) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done.Store(true)
	w.cond.Broadcast()
}

func (w *workload) haltCount(code string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.halts[code]
}

func (w *workload) worker(rng *rand.Rand, perWorker int) {
	ctx := context.Background()
	for made := 0; made < perWorker && !w.done.Load(); {
		var (
			ask budget.Ask
			req runtime.Request
		)
		switch p := rng.IntN(100); {
		case p < w.mix.lookups:
			q := "zzqx" // no match: a cheap answer
			if rng.IntN(10) == 0 {
				q = "coffee"
			}
			ask = budget.Ask{Operation: "lookup"}
			req = runtime.Request{Path: "/v1/lookup", Operation: "lookup", Query: url.Values{"q": {q}}}
		case p < w.mix.lookups+w.mix.lists:
			ask = budget.Ask{Operation: "listAds", Rows: 1 + rng.Int64N(100), MinRows: 1 + rng.Int64N(3)}
			req = listAds(searchTerms[rng.IntN(len(searchTerms))], 1+rng.Int64N(3))
		default:
			id := w.adIDs[rng.IntN(len(w.adIDs))]
			if rng.IntN(10) == 0 {
				id = "facebook_999999999999999" // unknown: 404, costs nothing
			}
			ask = budget.Ask{Operation: "getAd", Fixed: 1}
			req = getAd(id)
		}
		w.mu.Lock()
		gen := w.gen
		w.mu.Unlock()
		res, err := w.ctrl.Reserve(ctx, ask)
		if err != nil {
			h, ok := budget.AsHalt(err)
			if !ok {
				w.t.Errorf("Reserve: %v", err)
				return
			}
			st := status(w.t, w.ctrl)
			w.mu.Lock()
			w.halts[h.Code]++
			if st.Exhausted || st.InFlight == 0 && st.Available == 0 {
				w.mu.Unlock()
				return // nothing will free credits: the work is over
			}
			for st.InFlight > 0 && w.gen == gen && !w.done.Load() {
				w.cond.Wait()
			}
			w.mu.Unlock()
			continue
		}
		if ask.Rows > 0 {
			req.Query.Set("limit", itoa(res.Rows))
		}
		if res.Fitted {
			w.fitted.Add(1)
		}
		if res.Credits > 0 {
			w.paid.Add(1)
		}
		resp, err := w.client.Do(ctx, &req)
		err = res.Finish(ctx, resp, err)
		w.mu.Lock()
		w.gen++
		w.cond.Broadcast()
		w.mu.Unlock()
		made++
		w.calls.Add(1)
		spent := status(w.t, w.ctrl).RunSpent
		for cur := w.maxSpent.Load(); spent > cur && !w.maxSpent.CompareAndSwap(cur, spent); cur = w.maxSpent.Load() {
		}
		switch h, isHalt := budget.AsHalt(err); {
		case err == nil, isStatus(err, http.StatusNotFound):
		case isHalt && h.Code == runtime.CodeInsufficientCredits:
			w.apiHalts.Add(1)
		default:
			w.t.Errorf("call %s: %v", req.Operation, err)
		}
	}
}

// seedFor returns the seed of a randomised test: BUDGET_SEED if set (to
// replay a failure), else the clock. It is logged either way.
func seedFor(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("BUDGET_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("BUDGET_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("random seed %d (replay the call mix with BUDGET_SEED=%d)", seed, seed)
	return seed
}

// TestConcurrentCallsStayUnderTheCap is the controller's main promise:
// many goroutines making calls of mixed cost never see a 402, never spend
// past the cap, agree with the API on what was spent, and use the cap to
// the last credits.
func TestConcurrentCallsStayUnderTheCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.srv.NewWorkspace(sandbox.Credits{Recurring: 10000, Topup: 20000})
	counter := &statusCounter{}
	const runCap = 2500
	client, ctrl := wired(t, e, key, budget.Config{MaxCredits: runCap}, counter)
	if _, err := ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := newWorkload(t, ctrl, client, e.adIDs(40), mix{lookups: 20, lists: 2})
	w.run(seedFor(t), 16, 1000)

	st := status(t, ctrl)
	t.Logf("%d calls (%d paid, %d fitted), spent %d of %d, %d cap halts", w.calls.Load(), w.paid.Load(), w.fitted.Load(),
		st.RunSpent, runCap, w.haltCount(budget.CodeCapReached))
	if n := counter.n402.Load(); n != 0 {
		t.Errorf("%d responses were 402", n)
	}
	if w.calls.Load() < 1000 {
		t.Errorf("only %d calls were made", w.calls.Load())
	}
	if st.RunSpent > runCap || w.maxSpent.Load() > runCap {
		t.Errorf("spent %d (at most %d seen), over the cap of %d", st.RunSpent, w.maxSpent.Load(), runCap)
	}
	if got := e.srv.Spent(key); got != st.RunSpent {
		t.Errorf("the API charged %d, the controller counted %d", got, st.RunSpent)
	}
	if st.RunSpent < runCap*99/100 {
		t.Errorf("spent only %d of the %d cap while work remained", st.RunSpent, runCap)
	}
	if st.InFlight != 0 {
		t.Errorf("%d credits still in flight", st.InFlight)
	}
	if st.CreditsRemaining == nil || *st.CreditsRemaining != e.total(key) {
		t.Errorf("controller's balance %s, the API's %d", fmtPtr(st.CreditsRemaining), e.total(key))
	}
	if w.haltCount(budget.CodeCapReached) == 0 {
		t.Error("the cap never halted a call")
	}
	if st.Warning == "" {
		t.Error("a spent cap carries no warning")
	}
}

// TestConcurrentCallsStopAtTheFloor: the balance, not the cap, binds; the
// controller leaves the Reserve credits untouched and uses nearly all the
// rest.
func TestConcurrentCallsStopAtTheFloor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const balance, floor = 1200, 300
	key := e.srv.NewWorkspace(sandbox.Credits{Recurring: balance})
	counter := &statusCounter{}
	client, ctrl := wired(t, e, key, budget.Config{MaxCredits: budget.Unlimited, Reserve: floor}, counter)
	if _, err := ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := newWorkload(t, ctrl, client, e.adIDs(40), mix{lookups: 30, lists: 10})
	w.run(seedFor(t), 16, 1000)

	st := status(t, ctrl)
	t.Logf("%d calls (%d paid, %d fitted), spent %d, %d left, %d floor halts", w.calls.Load(), w.paid.Load(), w.fitted.Load(),
		st.RunSpent, e.total(key), w.haltCount(budget.CodeFloorReached))
	if n := counter.n402.Load(); n != 0 {
		t.Errorf("%d responses were 402", n)
	}
	if left := e.total(key); left < floor {
		t.Errorf("the workspace is down to %d, below the floor of %d", left, floor)
	}
	if got := e.srv.Spent(key); got != st.RunSpent {
		t.Errorf("the API charged %d, the controller counted %d", got, st.RunSpent)
	}
	if usable := int64(balance - floor); st.RunSpent < usable*99/100 {
		t.Errorf("spent only %d of the %d above the floor", st.RunSpent, usable)
	}
	if w.haltCount(budget.CodeFloorReached) == 0 {
		t.Error("the floor never halted a call")
	}
	_, err := ctrl.Reserve(context.Background(), budget.Ask{Operation: "getAd", Fixed: 1})
	h := mustHalt(t, err, budget.CodeFloorReached)
	if !strings.Contains(h.Advice().Action, "keeps 300 in reserve") {
		t.Errorf("floor action = %q", h.Advice().Action)
	}
}

// TestExternalSpenderThen402 plays, step by step, another client draining
// the workspace: the controller adapts from headers, turns the 402 it
// could not foresee into an insufficient_credits halt, then halts every
// paid call until a Refresh shows credits again.
func TestExternalSpenderThen402(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.srv.NewWorkspace(sandbox.Credits{Recurring: 400})
	other := e.client(e.srv.NewKey(key, sandbox.AccessFull)) // no controller
	counter := &statusCounter{}
	client, ctrl := wired(t, e, key, budget.Config{MaxCredits: 5000, Now: e.clock.Now}, counter)
	ctx := context.Background()
	u, err := ctrl.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := status(t, ctrl); *st.CreditsRemaining != 400 || u.Credits.TotalRemaining != 400 {
		t.Fatalf("after Refresh: %+v", st)
	}
	if _, err := call(t, ctx, ctrl, client, budget.Ask{Operation: "listAds", Rows: 50}, listAds("coffee", 1)); err != nil {
		t.Fatal(err)
	}
	drainTo := func(left int64) {
		t.Helper()
		for {
			rem := e.total(key)
			if rem <= left {
				return
			}
			req := listAds("the", 1)
			req.Query.Set("limit", itoa(min(100, rem-left)))
			if _, err := other.Do(ctx, &req); err != nil {
				t.Fatal(err)
			}
		}
	}
	drainTo(30)
	if st := status(t, ctrl); *st.CreditsRemaining != 350 {
		t.Fatalf("the controller cannot know yet: %+v", st)
	}
	ids := e.adIDs(3)
	if _, err := call(t, ctx, ctrl, client, budget.Ask{Operation: "getAd", Fixed: 1}, getAd(ids[0])); err != nil {
		t.Fatal(err)
	}
	if st := status(t, ctrl); *st.CreditsRemaining != 29 || st.BalanceSource != "header" {
		t.Fatalf("the header did not lower the balance: %+v", st)
	}
	g, err := ctrl.Preview(context.Background(), budget.Ask{Operation: "listAds", Rows: 100})
	if err != nil || g.Rows != 29 || !g.Fitted {
		t.Fatalf("a 100-row call is not fitted to the 29 credits left: %+v, %v", g, err)
	}

	drainTo(0) // behind the controller's back again
	cctx, cancel := context.WithCancel(ctx)
	res, err := ctrl.Reserve(cctx, budget.Ask{Operation: "listAds", Rows: 25})
	if err != nil {
		t.Fatal(err)
	}
	req := listAds("coffee", 1)
	req.Query.Set("limit", itoa(res.Rows))
	_, callErr := client.Do(cctx, &req)
	if !isStatus(callErr, http.StatusPaymentRequired) {
		t.Fatalf("want the API's 402, got %v", callErr)
	}
	cancel() // a cancelled call still refreshes
	err = res.Finish(cctx, nil, callErr)
	h := mustHalt(t, err, runtime.CodeInsufficientCredits)
	if h.Needed != 25 || h.Available != 0 || h.Shortfall != 25 || h.Operation != "listAds" {
		t.Errorf("halt = %+v", h)
	}
	if ae, ok := runtime.AsAPIError(err); !ok || ae != callErr {
		t.Errorf("the halt does not wrap the APIError: %v", err)
	}
	st := h.Status
	if !st.Exhausted || st.RefillAt == nil || !st.RefillAt.Equal(sandboxRefill) || *st.CreditsRemaining != 0 || st.BalanceSource != "usage" {
		t.Errorf("status at the halt = %+v", st)
	}
	a := h.Advice()
	if a.Source != "api" || a.HTTPStatus != 402 || a.Code != "insufficient_credits" || a.Retryable ||
		a.RequestID == "" || !strings.Contains(a.Action, "2026-12-01") || !strings.Contains(a.Action, "25 short") {
		t.Errorf("advice = %+v", a)
	}
	if again := res.Finish(cctx, nil, callErr); again != err {
		t.Errorf("a second Finish gave %v", again)
	}

	// Every paid call now halts before reaching the API; free calls go on.
	before := e.srv.Requests()
	for _, ask := range []budget.Ask{{Operation: "getAd", Fixed: 1}, {Operation: "listAds", Rows: 1}} {
		_, err := ctrl.Reserve(ctx, ask)
		h := mustHalt(t, err, budget.CodeExhausted)
		if !strings.Contains(h.Advice().Action, "refill on 2026-12-01") {
			t.Errorf("exhausted action = %q", h.Advice().Action)
		}
	}
	if e.srv.Requests() != before {
		t.Error("a halted call reached the API")
	}
	if _, err := call(t, ctx, ctrl, client, budget.Ask{Operation: "lookup"},
		runtime.Request{Path: "/v1/lookup", Query: url.Values{"q": {"coffee"}}}); err != nil {
		t.Fatalf("a free call was stopped: %v", err)
	}
	if _, err := ctrl.Refresh(ctx); err != nil || !status(t, ctrl).Exhausted {
		t.Fatalf("a Refresh showing no credits cleared the mark (%v)", err)
	}

	e.srv.SetCredits(key, sandbox.Credits{Recurring: 500}) // a top-up
	if _, err := ctrl.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st := status(t, ctrl); st.Exhausted || *st.CreditsRemaining != 500 {
		t.Fatalf("after the top-up: %+v", st)
	}
	if _, err := call(t, ctx, ctrl, client, budget.Ask{Operation: "getAd", Fixed: 1}, getAd(ids[1])); err != nil {
		t.Fatal(err)
	}
	if n := counter.n402.Load(); n != 1 {
		t.Errorf("%d 402 responses, want exactly the one", n)
	}
	if st := status(t, ctrl); st.RunSpent != 50+1+1 {
		t.Errorf("the controller counted %d, want 52", st.RunSpent)
	}
	if got := e.srv.Spent(key) - status(t, ctrl).RunSpent; got != 400-50-1 {
		t.Errorf("the other client spent %d by the API's count, want %d", got, 400-50-1)
	}
}

// TestExternalSpenderConcurrently drains the workspace with a second
// client while 16 workers run: the cap holds, every 402 surfaces as an
// insufficient_credits halt, and the controller ends exhausted until a
// Refresh after a top-up.
func TestExternalSpenderConcurrently(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const balance, runCap = 1500, 1450
	key := e.srv.NewWorkspace(sandbox.Credits{Recurring: balance})
	drainCount := &statusCounter{}
	other := e.client(e.srv.NewKey(key, sandbox.AccessFull), drainCount)
	counter := &statusCounter{}
	client, ctrl := wired(t, e, key, budget.Config{MaxCredits: runCap, Now: e.clock.Now}, counter)
	ctx := context.Background()
	if _, err := ctrl.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	w := newWorkload(t, ctrl, client, e.adIDs(40), mix{lookups: 30, lists: 10})
	var drainer sync.WaitGroup
	drainer.Go(func() {
		w.mu.Lock()
		for status(t, ctrl).RunSpent < 100 && !w.done.Load() {
			w.cond.Wait() // let the run get going first
		}
		w.mu.Unlock()
		// Drain to the last credit; a 402 (the controller's calls hold
		// the rest for now) is simply tried again.
		for rem := e.total(key); rem > 0; rem = e.total(key) {
			req := listAds("the", 1)
			req.Query.Set("limit", itoa(min(50, rem)))
			if _, err := other.Do(ctx, &req); err != nil && !isStatus(err, http.StatusPaymentRequired) {
				t.Errorf("drainer: %v", err)
				return
			}
		}
	})
	w.run(seedFor(t), 16, 1000)
	w.stop()
	drainer.Wait()

	// Until the controller has seen the workspace empty, a paid call may
	// still get a 402; after that, it halts before reaching the API.
	var code string
	for range 3 {
		_, err := call(t, ctx, ctrl, client, budget.Ask{Operation: "getAd", Fixed: 1}, getAd(w.adIDs[0]))
		h, ok := budget.AsHalt(err)
		if !ok {
			t.Fatalf("a call into an empty workspace: %v", err)
		}
		if code = h.Code; code == runtime.CodeInsufficientCredits {
			w.apiHalts.Add(1)
			continue
		}
		break
	}
	st := status(t, ctrl)
	t.Logf("%d calls, controller spent %d, other client %d, %d 402s turned into halts, final halt %s",
		w.calls.Load(), st.RunSpent, drainCount.costs.Load(), w.apiHalts.Load(), code)
	capped := st.RunSpent == runCap // only if the other client got under 50 credits
	if code != budget.CodeExhausted && !(capped && code == budget.CodeCapReached) {
		t.Errorf("an empty workspace halts with %s, want %s", code, budget.CodeExhausted)
	}
	if st.RunSpent > runCap || w.maxSpent.Load() > runCap {
		t.Errorf("spent %d, over the cap", st.RunSpent)
	}
	if got := e.srv.Spent(key) - drainCount.costs.Load(); got != st.RunSpent {
		t.Errorf("the API charged this client %d, the controller counted %d", got, st.RunSpent)
	}
	if n := counter.n402.Load(); n != w.apiHalts.Load() {
		t.Errorf("%d 402 responses but %d insufficient_credits halts", n, w.apiHalts.Load())
	}
	if w.apiHalts.Load() > 0 && (!st.Exhausted || st.RefillAt == nil) {
		t.Errorf("after a 402 the budget is not marked exhausted: %+v", st)
	}
	e.srv.SetCredits(key, sandbox.Credits{Recurring: 1000})
	if _, err := ctrl.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st := status(t, ctrl); st.Exhausted || *st.CreditsRemaining != 1000 {
		t.Fatalf("after a top-up and Refresh: %+v", st)
	}
	_, err := call(t, ctx, ctrl, client, budget.Ask{Operation: "getAd", Fixed: 1}, getAd(w.adIDs[0]))
	if capped {
		mustHalt(t, err, budget.CodeCapReached)
	} else if err != nil {
		t.Fatalf("after a top-up and Refresh: %v", err)
	}
}

// stripHeaders removes response headers on paths with prefix before they
// are sent, as a proxy might.
func stripHeaders(prefix string, names ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, prefix) {
				w = &strippingWriter{ResponseWriter: w, names: names}
			}
			next.ServeHTTP(w, r)
		})
	}
}

type strippingWriter struct {
	http.ResponseWriter
	names []string
	wrote bool
}

func (s *strippingWriter) WriteHeader(code int) {
	if !s.wrote {
		s.wrote = true
		for _, n := range s.names {
			s.Header().Del(n)
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *strippingWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func TestMissingCostHeaderIsChargedTheWorstCase(t *testing.T) {
	tests := []struct {
		name      string
		strip     []string
		remaining int64 // the controller's balance afterwards
	}{
		// coffee matches 270 ads: page 3 of 100 returns 70 rows.
		{"no cost headers", []string{"X-Usage-Cost", "X-Credits-Used"}, 9930},
		{"no metering headers at all", []string{"X-Usage-Cost", "X-Credits-Used", "X-Credits-Remaining", "X-Credits-Source"}, 9900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, stripHeaders("/v1/ads", tt.strip...))
			key := e.srv.NewWorkspace(sandbox.Credits{Recurring: 10000})
			client, ctrl := wired(t, e, key, budget.Config{MaxCredits: 1000})
			ctx := context.Background()
			if _, err := ctrl.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := call(t, ctx, ctrl, client, budget.Ask{Operation: "listAds", Rows: 100}, listAds("coffee", 3)); err != nil {
				t.Fatal(err)
			}
			st := status(t, ctrl)
			if e.srv.Spent(key) != 70 || st.RunSpent != 100 || st.InFlight != 0 {
				t.Errorf("API charged %d; controller counted %d (in flight %d), want the worst case 100", e.srv.Spent(key), st.RunSpent, st.InFlight)
			}
			if *st.CreditsRemaining != tt.remaining {
				t.Errorf("balance %d, want %d", *st.CreditsRemaining, tt.remaining)
			}
		})
	}
}

func TestRetriedCallSettlesOnce(t *testing.T) {
	e := newEnv(t)
	key := e.srv.NewWorkspace(sandbox.Credits{Recurring: 10000})
	counter := &statusCounter{}
	client, ctrl := wired(t, e, key, budget.Config{MaxCredits: 1000}, counter)
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 2, PathPrefix: "/v1/ads"})
	if _, err := call(t, context.Background(), ctrl, client, budget.Ask{Operation: "listAds", Rows: 40}, listAds("skin", 1)); err != nil {
		t.Fatal(err)
	}
	st := status(t, ctrl)
	if st.RunSpent != 40 || e.srv.Spent(key) != 40 || st.InFlight != 0 || counter.n2xx.Load() != 1 {
		t.Fatalf("after two 500s and a 200: %+v, API spent %d", st, e.srv.Spent(key))
	}
}

func TestRefreshReadsRefillDateAndBalance(t *testing.T) {
	e := newEnv(t)
	key := e.srv.NewWorkspace(sandbox.Credits{Recurring: 700, Topup: 300})
	clock := newClock()
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, ctrl := wired(t, e, key, budget.Config{Now: clock.Now, Logger: logger})
	u, err := ctrl.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := u.RefillAt(); !ok || !r.Equal(sandboxRefill) {
		t.Fatalf("usage refill date = %v, %v; the sandbox's billing.currentPeriodEnd should be 2026-12-01", r, ok)
	}
	st := status(t, ctrl)
	if *st.CreditsRemaining != 1000 || !st.RefillAt.Equal(sandboxRefill) || st.BalanceSource != "usage" ||
		!st.BalanceAsOf.Equal(sandboxNow) || st.Stale || st.Available != 1000 {
		t.Fatalf("status = %+v", st)
	}
	clock.Advance(10 * time.Minute)
	if !status(t, ctrl).Stale {
		t.Fatal("a 10-minute-old balance is not stale")
	}
	if _, err := call(t, context.Background(), ctrl, client, budget.Ask{Operation: "getAd", Fixed: 1}, getAd(e.adIDs(1)[0])); err != nil {
		t.Fatal(err)
	}
	if st := status(t, ctrl); st.Stale || st.BalanceSource != "header" || *st.CreditsRemaining != 999 {
		t.Fatalf("after a metered call: %+v", st)
	}
	if out := logs.String(); !strings.Contains(out, "budget: reserved") || strings.Contains(out, key) {
		t.Fatalf("debug logs missing, or they hold the API key:\n%s", out)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
