package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

// batchBuffer is a bytes.Buffer safe for the concurrent writes of a
// command's logger and progress lines.
type batchBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *batchBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *batchBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// batchAPI is a sandbox on a real port that counts what reaches it.
type batchAPI struct {
	sb    *sandbox.Server
	url   string
	calls atomic.Int64 // tool calls: every request but usage and the OpenAPI document
	s402  atomic.Int64 // 402 answers
}

func startBatchAPI(t *testing.T, latency time.Duration) *batchAPI {
	t.Helper()
	a := &batchAPI{sb: sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}, Faults: sandbox.Faults{Latency: latency}})}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/usage" && r.URL.Path != "/v1/openapi.json" && r.URL.Path != "/v1/system/freshness" {
			a.calls.Add(1)
		}
		rec := &statusRecorder{ResponseWriter: w}
		a.sb.ServeHTTP(rec, r)
		if rec.status == http.StatusPaymentRequired {
			a.s402.Add(1)
		}
	}))
	t.Cleanup(ts.Close)
	a.url = ts.URL
	// tools.Load caches the OpenAPI document in the user cache dir when
	// not on --sandbox: keep it out of the real one.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	return a
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// batchCLI is a fake process pointed at api (nil: no API configured).
func batchCLI(api *batchAPI, stdin string) (*cli, *batchBuffer, *batchBuffer) {
	stdout, stderr := &batchBuffer{}, &batchBuffer{}
	env := map[string]string{}
	if api != nil {
		env[envAPIKey], env[envBaseURL] = sandbox.DemoKey, api.url
	}
	return &cli{stdin: strings.NewReader(stdin), stdout: stdout, stderr: stderr,
		getenv: func(k string) string { return env[k] }}, stdout, stderr
}

// writeCalls writes an input file of n search_ads calls of limit rows,
// ids "c1".. "cn", and returns its path.
func writeCalls(t *testing.T, dir string, n, limit int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"id":"c%d","tool":"search_ads","args":{"search":"coffee","limit":%d,"page":%d}}`+"\n", i, limit, i)
	}
	path := filepath.Join(dir, "calls.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// outLine is the part of an output line the tests check.
type outLine struct {
	ID    json.RawMessage `json:"id"`
	Tool  string          `json:"tool"`
	OK    bool            `json:"ok"`
	Error *struct {
		Code   string `json:"code"`
		Source string `json:"source"`
	} `json:"error"`
	Result json.RawMessage `json:"result"`
}

// readOut parses an output file. With torn set, a last line without a
// newline is allowed (a killed run) and left out.
func readOut(t *testing.T, path string, torn bool) []outLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i != len(b)-1 {
		if !torn {
			t.Fatalf("%s ends in a torn line: %q", path, b[i+1:])
		}
		b = b[:i+1]
	}
	var lines []outLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l outLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s line %d: %v: %.200s", path, len(lines)+1, err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	return lines
}

// checkOnce fails unless lines hold each id of want exactly once and
// nothing else.
func checkOnce(t *testing.T, lines []outLine, want []string) {
	t.Helper()
	count := map[string]int{}
	for _, l := range lines {
		count[string(l.ID)]++
	}
	for _, id := range want {
		if count[id] != 1 {
			t.Errorf("id %s is in the output %d times, want once", id, count[id])
		}
		delete(count, id)
	}
	for id, n := range count {
		t.Errorf("unexpected id %s in the output (%d times)", id, n)
	}
}

func callIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"c%d"`, i+1)
	}
	return ids
}

func TestBatchHelpExitsZero(t *testing.T) {
	c, stdout, stderr := batchCLI(nil, "")
	if code := run(context.Background(), c, []string{"batch", "-h"}); code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, want := range []string{"--in calls.jsonl --out results.jsonl", "--concurrency N", "--max-credits N|none", "--crawl TOOL", "Exit codes", "Examples:", "Batch flags:", "Budget flags:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help on stdout does not mention %q", want)
		}
	}
	if stderr.String() != "" {
		t.Errorf("help wrote to stderr: %q", stderr)
	}
}

func TestBatchUsageErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	in := writeCalls(t, dir, 2, 1)
	out := filepath.Join(dir, "out.jsonl")
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no out":            {[]string{"--in", in}, "--out FILE is required"},
		"out is stdout":     {[]string{"--in", in, "--out", "-"}, "--out must be a file"},
		"neither":           {[]string{"--out", out}, "either --in FILE"},
		"both":              {[]string{"--in", in, "--crawl", "search_ads", "--out", out}, "either --in FILE"},
		"args without":      {[]string{"--in", in, "--out", out, "--args", "{}"}, "--args goes with --crawl"},
		"bad args":          {[]string{"--crawl", "search_ads", "--args", "[1]", "--out", out}, "want a JSON object"},
		"concurrency 0":     {[]string{"--in", in, "--out", out, "--concurrency", "0"}, "--concurrency 0"},
		"in is out":         {[]string{"--in", in, "--out", in}, "same file"},
		"missing in":        {[]string{"--in", filepath.Join(dir, "nope.jsonl"), "--out", out}, "--in: open"},
		"no key":            {[]string{"--in", in, "--out", out}, envAPIKey + " is not set"},
		"unknown flag":      {[]string{"--in", in, "--out", out, "--bogus"}, "unknown flag --bogus"},
		"stray argument":    {[]string{"--in", in, "--out", out, "extra"}, `unexpected argument "extra"`},
		"negative max-page": {[]string{"--crawl", "search_ads", "--out", out, "--max-pages", "-1"}, "--max-pages -1"},
		"crawl args schema": {[]string{"--sandbox", "--crawl", "search_ads", "--args", `{"search":"x","limit":500}`, "--out", out}, "--args: invalid arguments for search_ads: limit: must be <= 100 but got 500"},
	} {
		t.Run(name, func(t *testing.T) {
			cl, _, stderr := batchCLI(nil, "")
			if code := run(context.Background(), cl, append([]string{"batch"}, c.args...)); code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, stderr)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed command created %s", out)
	}
}

func TestBatchBadInputExit2BeforeAnyCall(t *testing.T) {
	api := startBatchAPI(t, 0)
	dir := t.TempDir()
	for name, c := range map[string]struct {
		input string
		want  []string
	}{
		"duplicate ids": {`{"id":"a","tool":"get_budget"}` + "\n" + `{"id":2,"tool":"get_budget"}` + "\n" + `{"id":"a","tool":"search_ads","args":{"search":"x"}}` + "\n",
			[]string{"calls.jsonl: line 3: id \"a\" is already used on line 1"}},
		"malformed lines": {`{"id":"a","tool":"get_budget"}` + "\n" + `{"id":"b","tool":` + "\n\n" + `not json` + "\n",
			[]string{"2 problems in the input", "line 2: the JSON object is cut short", "line 4: not a JSON object"}},
		"unknown tool": {`{"id":"a","tool":"get_budget"}` + "\n" + `{"id":"b","tool":"search_adds"}` + "\n",
			[]string{`line 2: there is no tool named "search_adds"; did you mean search_ads?`}},
		// One run reports every kind of problem: no second round.
		"everything at once": {`{"id":"a","tool":"get_budget"}` + "\n" + `{"id":"b","tool":` + "\n" +
			`{"id":"c","tool":"serch_ads","args":{"search":"x"}}` + "\n" + `{"id":"d","tool":"search_ads","args":{"search":"x","limit":500}}` + "\n" +
			`{"id":"a","tool":"lookup","args":{"q":"x"}}` + "\n",
			[]string{"4 problems in the input", "line 2: the JSON object is cut short", `line 3: there is no tool named "serch_ads"; did you mean search_ads?`,
				"line 4: invalid arguments for search_ads: limit", `line 5: id "a" is already used on line 1`}},
	} {
		t.Run(name, func(t *testing.T) {
			in := filepath.Join(dir, "calls.jsonl")
			out := filepath.Join(t.TempDir(), "out.jsonl")
			if err := os.WriteFile(in, []byte(c.input), 0o644); err != nil {
				t.Fatal(err)
			}
			before := api.calls.Load()
			cl, _, stderr := batchCLI(api, "")
			if code := run(context.Background(), cl, []string{"batch", "--in", in, "--out", out}); code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			if n := api.calls.Load() - before; n != 0 {
				t.Errorf("%d tool calls were made", n)
			}
			if lines := readOut(t, out, false); len(lines) != 0 {
				t.Errorf("%d lines written", len(lines))
			}
		})
	}
}

func TestBatchStopsAtTheCapWithExit3AndResumes(t *testing.T) {
	api := startBatchAPI(t, 0)
	dir := t.TempDir()
	in := writeCalls(t, dir, 12, 10)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"batch", "--in", in, "--out", out, "--max-credits", "35", "--progress-every", "0"}
	c, _, stderr := batchCLI(api, "")
	if code := run(context.Background(), c, args); code != exitCap {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, stderr)
	}
	s := stderr.String()
	for _, want := range []string{
		"tollgate batch: stopped by the budget: budget_cap_reached",
		"ids:     3 of 12 done (3 by this run), 9 left, next \"c4\", \"c5\", \"c6\", ...",
		"credits: 30 spent by this run (cap 35); workspace balance 9970",
		"refill:  ",
		"resume:  tollgate batch --in " + in + " --out " + out + " --max-credits 35 --progress-every 0",
		"raise it to go further",
		"tollgate batch: stopped by the budget (budget_cap_reached)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr does not say %q:\n%s", want, s)
		}
	}
	if n := len(readOut(t, out, false)); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}

	args[6] = "1000"
	c, _, stderr = batchCLI(api, "")
	if code := run(context.Background(), c, args); code != exitOK {
		t.Fatalf("resume: exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "all 12 done (9 by this run; 3 by earlier runs)") {
		t.Errorf("resume summary:\n%s", stderr)
	}
	checkOnce(t, readOut(t, out, false), callIDs(12))
	if n := api.s402.Load(); n != 0 {
		t.Errorf("the API answered 402 %d times", n)
	}
}

func TestBatchCrawlFollowsPagesAcrossRuns(t *testing.T) {
	api := startBatchAPI(t, 0)
	out := filepath.Join(t.TempDir(), "pages.jsonl")
	args := []string{"batch", "--crawl", "search_ads", "--args", `{"search":"matcha","limit":5}`, "--out", out, "--max-credits", "12"}
	c, _, stderr := batchCLI(api, "")
	if code := run(context.Background(), c, args); code != exitCap {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, stderr)
	}
	if s := stderr.String(); !strings.Contains(s, `pages:   2 of 4 done (2 by this run), 2 left, next "search_ads#p3"`) ||
		!strings.Contains(s, `resume:  tollgate batch --crawl search_ads --args '{"search":"matcha","limit":5}' --out `) {
		t.Errorf("summary:\n%s", s)
	}
	args[len(args)-1] = "100"
	c, _, stderr = batchCLI(api, "")
	if code := run(context.Background(), c, args); code != exitOK {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, stderr)
	}
	checkOnce(t, readOut(t, out, false), []string{`"search_ads#p1"`, `"search_ads#p2"`, `"search_ads#p3"`, `"search_ads#p4"`})

	c, _, stderr = batchCLI(api, "")
	bad := []string{"batch", "--crawl", "search_ads", "--args", `{"search":"tea"}`, "--out", out}
	if code := run(context.Background(), c, bad); code != exitUsage || !strings.Contains(stderr.String(), "holds a crawl of search_ads with the arguments") {
		t.Errorf("other args on the same output: exit %d; stderr:\n%s", code, stderr)
	}
	c, _, stderr = batchCLI(api, "")
	x := filepath.Join(t.TempDir(), "x.jsonl")
	if code := run(context.Background(), c, []string{"batch", "--crawl", "get_ad", "--out", x}); code != exitUsage ||
		!strings.Contains(stderr.String(), "get_ad does not page") {
		t.Errorf("crawl of get_ad: exit %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(x); !os.IsNotExist(err) {
		t.Errorf("a crawl of get_ad created %s", x)
	}
}

func TestBatchReadsStdinAndWritesFinalFailures(t *testing.T) {
	api := startBatchAPI(t, 0)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	input := `{"id":1,"tool":"search_ads","args":{"search":"coffee","limit":2}}
{"id":"missing","tool":"get_ad","args":{"adId":"facebook_0"}}
{"id":2.5,"tool":"get_shop","args":{"shopId":"999999999"}}
{"id":"free","tool":"lookup","args":{"q":"coffee"}}
`
	c, _, stderr := batchCLI(api, input)
	if code := run(context.Background(), c, []string{"batch", "--in", "-", "--out", out}); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	lines := readOut(t, out, false)
	checkOnce(t, lines, []string{`1`, `"missing"`, `2.5`, `"free"`})
	for _, l := range lines {
		switch string(l.ID) {
		case `1`, `"free"`:
			if !l.OK || len(l.Result) == 0 {
				t.Errorf("%s: %+v", l.ID, l)
			}
		case `"missing"`, `2.5`:
			if l.OK || l.Error == nil || l.Error.Code == "" {
				t.Errorf("%s: want a final failure with advice, got %+v", l.ID, l)
			}
		}
	}
	if !strings.Contains(stderr.String(), "2 failed for good, written with advice") {
		t.Errorf("summary:\n%s", stderr)
	}
}

func TestBatchRepairsATornOutputAndPrintsProgressLines(t *testing.T) {
	api := startBatchAPI(t, 20*time.Millisecond)
	dir := t.TempDir()
	in := writeCalls(t, dir, 8, 1)
	out := filepath.Join(dir, "out.jsonl")
	first := `{"id":"c1","tool":"search_ads","ok":true,"result":{}}` + "\n"
	if err := os.WriteFile(out, []byte(first+`{"id":"c2","tool":"search_ads","ok":tr`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, stderr := batchCLI(api, "")
	if code := run(context.Background(), c, []string{"batch", "--in", in, "--out", out, "--concurrency", "1", "--progress-every", "5ms"}); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	s := stderr.String()
	if !strings.Contains(s, "ended in a torn line (") || !strings.Contains(s, "all 8 done (7 by this run; 1 by earlier runs)") {
		t.Errorf("stderr:\n%s", s)
	}
	if !strings.Contains(s, "/8 done (") || !strings.Contains(s, "credits ") || !strings.Contains(s, "ids/s") {
		t.Errorf("no progress line on stderr:\n%s", s)
	}
	checkOnce(t, readOut(t, out, false), callIDs(8))
}

func TestBatchInterruptFinishesCallsInFlight(t *testing.T) {
	api := startBatchAPI(t, 150*time.Millisecond)
	dir := t.TempDir()
	in := writeCalls(t, dir, 40, 1)
	out := filepath.Join(dir, "out.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // Ctrl-C once calls are in flight
		for api.calls.Load() < 4 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	c, _, stderr := batchCLI(api, "")
	code := run(ctx, c, []string{"batch", "--in", in, "--out", out, "--concurrency", "4", "--progress-every", "0"})
	if code != exitFailure || !strings.Contains(stderr.String(), "tollgate batch: interrupted; rerun the same command to resume") {
		t.Fatalf("exit %d, want 1 with the resume hint; stderr:\n%s", code, stderr)
	}
	lines := readOut(t, out, false)
	if len(lines) < 4 || int64(len(lines)) != api.calls.Load() {
		t.Errorf("%d lines for %d calls: every call in flight must finish and be written", len(lines), api.calls.Load())
	}
	for _, l := range lines {
		if !l.OK {
			t.Errorf("%s failed: %+v", l.ID, l.Error)
		}
	}
}

// batchEnv is the environment of a tollgate subprocess pointed at api.
func batchEnv(t *testing.T, api *batchAPI) []string {
	home := t.TempDir()
	return append(os.Environ(), envAPIKey+"="+sandbox.DemoKey, envBaseURL+"="+api.url,
		"HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
}

func TestBatchSurvivesSIGKILLAtRandomMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	bin := tollgateBinary(t)
	api := startBatchAPI(t, 10*time.Millisecond)
	dir := t.TempDir()
	// 120 paid searches, 10 final failures and 10 free lookups, with
	// string and number ids.
	var b strings.Builder
	var want []string
	for i := 1; i <= 140; i++ {
		switch {
		case i%14 == 0:
			fmt.Fprintf(&b, `{"id":%d,"tool":"get_ad","args":{"adId":"facebook_%d"}}`+"\n", i, i)
			want = append(want, fmt.Sprint(i))
		case i%14 == 7:
			fmt.Fprintf(&b, `{"id":"l%d","tool":"lookup","args":{"q":"coffee","limit":3}}`+"\n", i)
			want = append(want, fmt.Sprintf(`"l%d"`, i))
		default:
			fmt.Fprintf(&b, `{"id":"c%d","tool":"search_ads","args":{"search":"coffee","limit":1,"page":%d}}`+"\n", i, i)
			want = append(want, fmt.Sprintf(`"c%d"`, i))
		}
	}
	in := filepath.Join(dir, "calls.jsonl")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("seed %d", seed)

	env := batchEnv(t, api)
	killedMidway := 0
	var counts []int // lines after each round
	for round := 1; ; round++ {
		if round > 40 {
			t.Fatal("the batch did not complete in 40 rounds")
		}
		before := len(readOut(t, out, true))
		var stderr batchBuffer
		cmd := exec.Command(bin, "batch", "--in", in, "--out", out, "--concurrency", "4", "--max-credits", "none", "--progress-every", "0")
		cmd.Env, cmd.Stderr = env, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		kill := round <= 8
		var err error
		if kill {
			// Kill once the API has seen a random share of the calls left,
			// a few milliseconds later: inside a call, a write or a sync.
			target := api.calls.Load() + int64(rng.IntN(max(1, (len(want)-before)*3/4)))
			delay := time.Duration(rng.IntN(20)) * time.Millisecond
			deadline := time.Now().Add(30 * time.Second)
			for api.calls.Load() < target && time.Now().Before(deadline) && len(exited) == 0 {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(delay)
			_ = cmd.Process.Kill() // SIGKILL
		}
		err = <-exited
		lines := readOut(t, out, true)
		counts = append(counts, len(lines))
		seen := map[string]bool{}
		for _, l := range lines {
			if seen[string(l.ID)] {
				t.Fatalf("round %d: id %s written twice", round, l.ID)
			}
			seen[string(l.ID)] = true
		}
		if err == nil {
			t.Logf("round %d completed; %d rounds were killed midway; lines after each round: %v", round, killedMidway, counts)
			break
		}
		if !kill {
			t.Fatalf("round %d: %v; stderr:\n%s", round, err, stderr.String())
		}
		if len(lines) < len(want) {
			killedMidway++
		}
		// Every other kill also leaves a torn line, as a kill inside a
		// write would.
		if round%2 == 0 && len(lines) < len(want) {
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(f, `{"id":"c1","tool":"search_ads","ok":true,"result":{"data":[{"id":"fa`)
			f.Close()
		}
	}
	if killedMidway == 0 {
		t.Error("no kill landed before the batch completed; the test proved nothing")
	}
	lines := readOut(t, out, false)
	checkOnce(t, lines, want)
	for _, l := range lines {
		if !l.OK && (l.Error == nil || l.Error.Code != "not_found") {
			t.Errorf("%s: unexpected failure %+v", l.ID, l.Error)
		}
	}
	if n := api.s402.Load(); n != 0 {
		t.Errorf("the API answered 402 %d times", n)
	}
}

func TestBatchSIGINTFinishesInFlightCallsAndExits1(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	bin := tollgateBinary(t)
	api := startBatchAPI(t, 200*time.Millisecond)
	dir := t.TempDir()
	in := writeCalls(t, dir, 40, 1)
	out := filepath.Join(dir, "out.jsonl")
	var stderr batchBuffer
	cmd := exec.Command(bin, "batch", "--in", in, "--out", out, "--concurrency", "4", "--progress-every", "0")
	cmd.Env, cmd.Stderr = batchEnv(t, api), &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for api.calls.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitFailure {
		t.Fatalf("exit: %v, want code 1; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted; rerun the same command to resume") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	lines := readOut(t, out, false)
	if len(lines) < 4 || int64(len(lines)) != api.calls.Load() {
		t.Errorf("%d lines for %d calls: the calls in flight must finish and be written", len(lines), api.calls.Load())
	}
}

func TestBatchExampleRunsAgainstTheSandbox(t *testing.T) {
	in := filepath.Join("..", "..", "examples", "batch", "calls.jsonl")
	out := filepath.Join(t.TempDir(), "results.jsonl")
	c, _, stderr := batchCLI(nil, "")
	if code := run(context.Background(), c, []string{"batch", "--sandbox", "--in", in, "--out", out, "--progress-every", "0"}); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	lines := readOut(t, out, false)
	if len(lines) != 30 {
		t.Fatalf("%d lines, want 30", len(lines))
	}
	for _, l := range lines {
		switch string(l.ID) {
		case `"ad-that-does-not-exist"`, `"shop-that-does-not-exist"`: // failures on purpose
			if l.OK {
				t.Errorf("%s succeeded", l.ID)
			}
		default:
			if !l.OK {
				t.Errorf("%s failed: %+v", l.ID, l.Error)
			}
		}
	}
}

// A cap of 0 runs the free calls of a batch and stops at its first paid
// one, spending nothing.
func TestBatchWithACapOfZeroRunsOnlyFreeCalls(t *testing.T) {
	api := startBatchAPI(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	calls := `{"id":"free","tool":"lookup","args":{"q":"coffee"}}
{"id":"paid","tool":"search_ads","args":{"search":"coffee","limit":5}}
`
	if err := os.WriteFile(in, []byte(calls), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	c, _, stderr := batchCLI(api, "")
	if code := run(context.Background(), c, []string{"batch", "--in", in, "--out", out, "--max-credits", "0", "--concurrency", "1", "--progress-every", "0"}); code != exitCap {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, stderr)
	}
	if s := stderr.String(); !strings.Contains(s, "budget_cap_reached") || !strings.Contains(s, "0 spent by this run (cap 0)") {
		t.Errorf("summary:\n%s", s)
	}
	checkOnce(t, readOut(t, out, false), []string{`"free"`})
	if n := api.s402.Load(); n != 0 {
		t.Errorf("the API answered 402 %d times", n)
	}
}
