package batch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate"
	"github.com/tollgate-mcp/tollgate/batch"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// noSleep is a runtime.Clock whose waits end at once, so retries in tests
// never really sleep.
type noSleep struct{}

func (noSleep) Now() time.Time                                   { return time.Now() }
func (noSleep) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// envConfig sets up a test environment; the zero value is a sandbox with
// 10000 credits, no rate limit, no cap and no latency.
type envConfig struct {
	maxCredits int64 // 0: no cap
	reserve    int64
	credits    *sandbox.Credits
	latency    time.Duration
	key        string // default sandbox.DemoKey
	noCache    bool   // no cache of paid reads (tollgate.Config.NoCache)
}

// env is a sandbox served over real HTTP and the tollgate stack in front
// of it: client, budget controller (balance refreshed) and toolbox.
type env struct {
	t    *testing.T
	sb   *sandbox.Server
	url  string
	ctrl *budget.Controller
	box  *tools.Toolbox

	mu       sync.Mutex
	statuses map[int]int // responses seen by the client, by status
	paths    map[string]int

	active, maxActive atomic.Int64 // concurrent requests at the server
}

func newEnv(t *testing.T, cfg envConfig) *env {
	t.Helper()
	sbc := sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}, Faults: sandbox.Faults{Latency: cfg.latency}}
	if cfg.credits != nil {
		sbc.DemoCredits = *cfg.credits
	}
	e := &env{t: t, sb: sandbox.New(sbc), statuses: map[int]int{}, paths: map[string]int{}}
	if cfg.credits != nil && *cfg.credits == (sandbox.Credits{}) {
		e.sb.SetCredits(sandbox.DemoKey, sandbox.Credits{})
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/usage" && r.URL.Path != "/v1/openapi.json" && r.URL.Path != "/v1/system/freshness" && r.URL.Path != "/v1/workspace" {
			n := e.active.Add(1)
			defer e.active.Add(-1)
			for {
				m := e.maxActive.Load()
				if n <= m || e.maxActive.CompareAndSwap(m, n) {
					break
				}
			}
			e.mu.Lock()
			e.paths[r.URL.Path+"?"+r.URL.RawQuery]++
			e.mu.Unlock()
		}
		e.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	e.ctrl, e.box = e.stack(cfg)
	return e
}

// stack builds a new client, controller and toolbox against the sandbox,
// as a new process would.
func (e *env) stack(cfg envConfig) (*budget.Controller, *tools.Toolbox) {
	t := e.t
	t.Helper()
	key := cfg.key
	if key == "" {
		key = sandbox.DemoKey
	}
	maxCredits := cfg.maxCredits
	if maxCredits == 0 {
		maxCredits = budget.Unlimited
	}
	count := runtime.ObserverFuncs{Response: func(_ context.Context, _ *runtime.Request, status int, _ runtime.Metering) {
		e.mu.Lock()
		e.statuses[status]++
		e.mu.Unlock()
	}}
	kit, err := tollgate.New(context.Background(), tollgate.Config{
		APIKey: key, BaseURL: e.url, MaxCredits: maxCredits, Reserve: cfg.reserve,
		Catalogue: tools.BuiltIn(), MaxResultBytes: 8 << 20, NoCache: cfg.noCache,
		ClientOptions: []runtime.Option{runtime.WithObserver(count), runtime.WithClock(noSleep{}),
			runtime.WithRetryPolicy(runtime.RetryPolicy{MaxRetries: 1, MaxRateLimitRetries: 1, MaxWait: time.Second,
				RateLimitWait: time.Millisecond, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})},
	})
	if err != nil {
		t.Fatal(err)
	}
	if kit.UsageErr != nil && key == sandbox.DemoKey {
		t.Fatal(kit.UsageErr)
	}
	ctrl, box := kit.Budget, kit.Tools
	return ctrl, box
}

// status returns how many responses with that status the clients saw.
func (e *env) status(code int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.statuses[code]
}

// requests returns how many API requests reached the server, tollgate's
// own free probes (usage, freshness, the workspace) aside.
func (e *env) requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.paths {
		n += c
	}
	return n
}

// outPath is a fresh output path in the test's temp dir.
func outPath(t *testing.T) string { return filepath.Join(t.TempDir(), "results.jsonl") }

func openOut(t *testing.T, path string) *batch.Output {
	t.Helper()
	o, err := batch.OpenOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// searchJobs are n jobs searching ads for "coffee" (270 ads), one page
// of limit rows each: every job costs exactly limit credits.
func searchJobs(n, limit int) []batch.Job {
	jobs := make([]batch.Job, n)
	for i := range jobs {
		jobs[i] = batch.Job{ID: json.RawMessage(fmt.Sprintf(`"s%02d"`, i+1)), Tool: "search_ads",
			Args: map[string]any{"search": "coffee", "limit": limit, "page": i + 1}}
	}
	return jobs
}

// line is a parsed output line.
type line struct {
	ID     json.RawMessage `json:"id"`
	Tool   string          `json:"tool"`
	Args   map[string]any  `json:"args"`
	OK     bool            `json:"ok"`
	Result *tools.Success  `json:"result"`
	Error  *runtime.Advice `json:"error"`
	Budget *budget.Status  `json:"budget"`
}

// readLines parses an output file, failing on anything but whole JSON
// lines.
func readLines(t *testing.T, path string) []line {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d of %s: %v: %s", len(out)+1, path, err, sc.Bytes())
		}
		out = append(out, l)
	}
	return out
}

// idCounts counts the ids of lines by their JSON text.
func idCounts(lines []line) map[string]int {
	m := map[string]int{}
	for _, l := range lines {
		m[string(l.ID)]++
	}
	return m
}

// checkExactlyOnce fails unless the lines hold each of ids exactly once
// and nothing else.
func checkExactlyOnce(t *testing.T, lines []line, ids []json.RawMessage) {
	t.Helper()
	counts := idCounts(lines)
	for _, id := range ids {
		if counts[string(id)] != 1 {
			t.Errorf("id %s is in the output %d times, want once", id, counts[string(id)])
		}
		delete(counts, string(id))
	}
	for id, n := range counts {
		t.Errorf("unexpected id %s in the output (%d times)", id, n)
	}
}

func jobIDs(jobs []batch.Job) []json.RawMessage {
	ids := make([]json.RawMessage, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}
