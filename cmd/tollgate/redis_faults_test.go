package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// Faults of a budget shared through a real redis-server, seen from the
// built binary: a process killed while it holds credits, and a server
// whose Redis goes away and comes back.

// testLease is the shared budget's lease in these tests
// ($TOLLGATE_BUDGET_LEASE_TTL), so that a dead process's holds run out
// in well under a second instead of 30.
const testLease = "600ms"

// heldAPI stands in front of api for one process: each tool call is
// passed to the sandbox, which charges it, and its answer is then held
// back until the caller goes away. held receives the path of each call
// charged and held.
type heldAPI struct {
	url  string
	held chan string
}

func startHeldAPI(t *testing.T, api *batchAPI) *heldAPI {
	t.Helper()
	h := &heldAPI{held: make(chan string, 64)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/usage" || r.URL.Path == "/v1/openapi.json" {
			api.sb.ServeHTTP(w, r)
			return
		}
		api.calls.Add(1)
		rec := httptest.NewRecorder()
		api.sb.ServeHTTP(rec, r)
		if rec.Code == http.StatusPaymentRequired {
			api.s402.Add(1)
		}
		h.held <- r.URL.Path
		<-r.Context().Done()
	}))
	t.Cleanup(ts.Close)
	h.url = ts.URL
	return h
}

// binEnv is the environment of a tollgate subprocess calling the API at
// baseURL, with the tests' lease.
func binEnv(t *testing.T, baseURL string) []string {
	home := t.TempDir()
	return append(os.Environ(), envAPIKey+"="+sandbox.DemoKey, envBaseURL+"="+baseURL,
		"HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"), envBudgetLease+"="+testLease)
}

// runSharedBatch runs the built binary's batch of n 10-credit calls in dir
// against baseURL and returns its exit code and output lines.
func runSharedBatch(t *testing.T, dir, baseURL string, n int, shared []string) (int, []outLine, string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, out := writeCalls(t, dir, n, 10), filepath.Join(dir, "out.jsonl")
	var stderr batchBuffer
	cmd := exec.Command(tollgateBinary(t), append([]string{"batch", "--in", in, "--out", out, "--concurrency", "2"}, shared...)...)
	cmd.Env, cmd.Stderr = binEnv(t, baseURL), &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, readOut(t, out, false), stderr.String()
}

func okLines(lines []outLine) int {
	n := 0
	for _, l := range lines {
		if l.OK {
			n++
		}
	}
	return n
}

// TestAProcessKilledHoldingSharedCreditsLiftsNoCap: process A shares a
// cap of 100 with others through Redis and has four 10-credit calls
// charged by the API when it is killed with SIGKILL, before it could
// settle them. While its lease lasts its 40 credits stay held; then the
// group counts them as spent. Process B, started at once, spends only
// what is left of the cap; process C, started after the lease, nothing.
// The API charges at most the cap and never answers 402.
func TestAProcessKilledHoldingSharedCreditsLiftsNoCap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	url, name := testRedis(t)
	bin := tollgateBinary(t)
	api := startBatchAPI(t, 0)
	held := startHeldAPI(t, api)
	dir := t.TempDir()
	// No cache: the same calls of processes B and C must reach the API,
	// not the answers A's calls left in the shared cache.
	shared := []string{"--max-credits", "100", "--progress-every", "0", "--budget-redis", url, "--budget-name", name, "--no-cache"}

	aDir := filepath.Join(dir, "a")
	if err := os.Mkdir(aDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var aErr batchBuffer
	a := exec.Command(bin, append([]string{"batch", "--in", writeCalls(t, aDir, 4, 10), "--out", filepath.Join(aDir, "out.jsonl"),
		"--concurrency", "4"}, shared...)...)
	a.Env, a.Stderr = binEnv(t, held.url), &aErr
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	aDone := make(chan struct{})
	go func() { _ = a.Wait(); close(aDone) }()
	t.Cleanup(func() { _ = a.Process.Kill(); <-aDone })
	for range 4 {
		select {
		case <-held.held:
		case <-aDone:
			t.Fatalf("process A exited before its calls were charged:\n%s", aErr.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("process A's calls did not reach the API:\n%s", aErr.String())
		}
	}
	if l := sharedLedger(t, url, name); l.InFlight != 40 || l.Spent != 0 {
		t.Fatalf("with A's four calls charged and unsettled, the shared ledger is %+v; want 40 in flight", l)
	}
	if spent := api.sb.Spent(sandbox.DemoKey); spent != 40 {
		t.Fatalf("the API charged %d for A's calls, want 40", spent)
	}
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-aDone

	code, lines, stderr := runSharedBatch(t, filepath.Join(dir, "b"), api.url, 10, shared)
	if code != exitCap {
		t.Fatalf("process B: exit %d, want %d (the cap); stderr:\n%s", code, exitCap, stderr)
	}
	if n := okLines(lines); n < 6 {
		t.Errorf("process B completed %d calls; the 60 credits A did not hold allow 6", n)
	}

	var l budget.Ledger
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if l = sharedLedger(t, url, name); l.InFlight == 0 || time.Now().After(deadline) {
			break
		}
	}
	charged := api.sb.Spent(sandbox.DemoKey)
	if l.InFlight != 0 || l.Spent != 100 {
		t.Errorf("after A's lease: shared ledger %+v; want its holds counted as spent: 100 spent, nothing in flight", l)
	}
	if charged > 100 || charged > l.Spent {
		t.Errorf("the API charged %d; the cap is 100 and the shared ledger counts %d", charged, l.Spent)
	}

	code, lines, stderr = runSharedBatch(t, filepath.Join(dir, "c"), api.url, 2, shared)
	if code != exitCap || okLines(lines) != 0 {
		t.Errorf("process C after the lease: exit %d with %d calls done; want %d and none; stderr:\n%s", code, okLines(lines), exitCap, stderr)
	}
	if got := api.sb.Spent(sandbox.DemoKey); got != charged {
		t.Errorf("process C spent %d past the cap", got-charged)
	}
	if n := api.s402.Load(); n != 0 {
		t.Errorf("the API answered 402 %d times", n)
	}
}

// TestServeKeepsServingWhileRedisIsDown runs the built binary's serve
// --http on a budget shared through Redis, kills the redis-server under
// it and starts it again, empty: while it is down paid calls answer
// budget_store_unavailable and free calls work; once it is back the
// server rebuilds the ledger from what it knows and paid calls work
// again, with no restart.
func TestServeKeepsServingWhileRedisIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := redistest.Start(t)
	s := startRedisServe(t, srv)
	if code, rows := s.paid(1); code != "" || rows != 5 {
		t.Fatalf("with Redis up: %q, %d rows; stderr:\n%s", code, rows, s.errb)
	}
	srv.Kill()
	s.wantPaidHaltedFreeWorks()
	srv.Start() // without its data
	s.wantRecovered(10)
}

// TestServeStartsWhileRedisIsAbsent: serve --http with a shared budget
// whose Redis is not up yet starts all the same, halts paid calls and
// answers free ones, and once Redis is up spends again and subscribes
// to the other instances' events, with no restart.
func TestServeStartsWhileRedisIsAbsent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := redistest.Absent(t)
	s := startRedisServe(t, srv)
	s.wantPaidHaltedFreeWorks()
	srv.Start()
	s.wantRecovered(5)
	waitFor(t, s.errb, regexp.MustCompile(`subscribed to the other instances' events`))
}

// redisServe is the built binary's serve --http on a budget (cap 100)
// shared through srv, against a sandbox, with an MCP client.
type redisServe struct {
	t    *testing.T
	srv  *redistest.Server
	name string
	api  *batchAPI
	cmd  *exec.Cmd
	errb *syncBuffer
	ctx  context.Context
	mc   *client.Client
}

func startRedisServe(t *testing.T, srv *redistest.Server) *redisServe {
	t.Helper()
	s := &redisServe{t: t, srv: srv, name: "serve-" + strconv.FormatInt(time.Now().UnixNano(), 36), api: startBatchAPI(t, 0)}
	home := t.TempDir()
	var url string
	s.cmd, url, s.errb = startServe(t, []string{envAPIKey + "=" + sandbox.DemoKey, envBaseURL + "=" + s.api.url,
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"), envBudgetLease + "=" + testLease},
		"--max-credits", "100", "--budget-redis", srv.URL(), "--budget-name", s.name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s.ctx, s.mc = ctx, httpMCP(t, ctx, url, "")
	return s
}

// paid makes a 5-row search on a page of its own: the advice code of a
// failure, or the rows.
func (s *redisServe) paid(page int) (code string, rows int) {
	s.t.Helper()
	res := callTool(s.t, s.ctx, s.mc, "search_ads", map[string]any{"search": "coffee", "limit": 5, "page": page})
	var sc struct {
		Data  []any
		Error *struct{ Code, Source string }
	}
	b, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(b, &sc)
	if sc.Error != nil {
		return sc.Error.Code, 0
	}
	return "", len(sc.Data)
}

// wantPaidHaltedFreeWorks checks the server with its Redis down.
func (s *redisServe) wantPaidHaltedFreeWorks() {
	s.t.Helper()
	if code, _ := s.paid(2); code != budget.CodeStoreUnavailable {
		s.t.Errorf("a paid call with Redis down answered %q, want %s", code, budget.CodeStoreUnavailable)
	}
	if res := callTool(s.t, s.ctx, s.mc, "lookup", map[string]any{"q": "coffee"}); res.IsError {
		s.t.Errorf("a free call with Redis down failed: %v", res.StructuredContent)
	}
}

// wantRecovered waits for paid calls to work again after Redis is back,
// and checks the shared ledger agrees with what the API charged (want).
func (s *redisServe) wantRecovered(want int64) {
	s.t.Helper()
	var code string
	var rows int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, rows = s.paid(3); code != budget.CodeStoreUnavailable {
			break
		}
	}
	if code != "" || rows != 5 {
		s.t.Fatalf("after Redis came back: %q, %d rows; want the call to run; stderr:\n%s", code, rows, s.errb)
	}
	if err := s.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		s.t.Errorf("serve is gone: %v", err)
	}
	charged := s.api.sb.Spent(sandbox.DemoKey)
	if l := sharedLedger(s.t, s.srv.URL(), s.name); charged != want || l.Spent != charged || l.InFlight != 0 {
		s.t.Errorf("the API charged %d; the shared ledger is %+v; want %d both, nothing in flight", charged, l, want)
	}
	if n := s.api.s402.Load(); n != 0 {
		s.t.Errorf("the API answered 402 %d times", n)
	}
}
