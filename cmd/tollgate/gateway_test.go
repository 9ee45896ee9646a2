package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// startServe runs the built binary's serve with args (quiet, JSON logs)
// and returns the process, its /mcp URL and its stderr.
func startServe(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	bin := tollgateBinary(t)
	errb := &syncBuffer{}
	cmd := exec.Command(bin, append([]string{"serve", "--quiet", "--log-format", "json", "--log-level", "info", "--http", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line := waitFor(t, errb, regexp.MustCompile(`\{[^\n]*"serving MCP over Streamable HTTP"[^\n]*\}`))[0]
	var rec struct{ URL, Level string }
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.URL == "" || rec.Level != "INFO" {
		t.Fatalf("--log-format json: the serving line is not a JSON record with the URL: %v\n%s", err, line)
	}
	return cmd, rec.URL, errb
}

func httpMCP(t *testing.T, ctx context.Context, url, token string) *client.Client {
	t.Helper()
	var h map[string]string
	if token != "" {
		h = map[string]string{"Authorization": "Bearer " + token}
	}
	mc, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(h))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mc.Close() })
	initialize(t, ctx, mc)
	return mc
}

// TestLedgerHoldsEveryAnsweredCallAfterKill9 spends through the built
// binary from four clients at once, kills it with SIGKILL mid-run, and
// checks that every call whose result came back has its line in the
// ledger, whole.
func TestLedgerHoldsEveryAnsweredCallAfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	cmd, url, errb := startServe(t, []string{envAPIKey + "="}, "--sandbox", "--sandbox-credits", "1000000", "--max-credits", "none", "--ledger", ledger)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var (
		mu       sync.Mutex
		answered []string // requestIds of results that came back
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 4 {
		mc := httpMCP(t, ctx, url, "")
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := mc.CallTool(ctx, callReq("search_ads", map[string]any{"search": "coffee", "limit": 3, "page": 1 + (w*50+i)%30}))
				if err != nil {
					return // the server is gone
				}
				var sc struct{ RequestID string }
				b, _ := json.Marshal(res.StructuredContent)
				if json.Unmarshal(b, &sc) == nil && sc.RequestID != "" {
					mu.Lock()
					answered = append(answered, sc.RequestID)
					mu.Unlock()
				}
			}
		})
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(answered)
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()

	f, err := os.Open(ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inLedger := map[string]bool{}
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		var e gateway.LedgerEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("a torn ledger line after SIGKILL: %q (%v)", sc.Text(), err)
		}
		inLedger[e.RequestID] = true
		lines++
	}
	mu.Lock()
	defer mu.Unlock()
	if len(answered) < 40 {
		t.Fatalf("only %d calls answered before the kill:\n%s", len(answered), errb)
	}
	for _, id := range answered {
		if !inLedger[id] {
			t.Errorf("call %s was answered but is not in the ledger", id)
		}
	}
	t.Logf("%d calls answered, %d ledger lines", len(answered), lines)
}

func callReq(name string, args map[string]any) (r mcp.CallToolRequest) {
	r.Params.Name = name
	r.Params.Arguments = args
	return r
}

// TestLedgerCommandSumsByDayClientAndTool runs tollgate ledger on a
// small ledger, as a table and as JSON.
func TestLedgerCommandSumsByDayClientAndTool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	lines := `{"time":"2026-12-01T10:00:00Z","client":"alice","tool":"search_ads","reserved":20,"charged":18,"outcome":"ok"}
{"time":"2026-12-01T11:00:00Z","client":"bob","tool":"get_ad","reserved":1,"charged":0,"outcome":"not_found"}
{"time":"2026-12-02T09:00:00Z","client":"alice","tool":"search_ads","reserved":10,"charged":10,"outcome":"ok"}
`
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	c, out, errb := testCLI(nil)
	if code := run(context.Background(), c, []string{"ledger", path}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{`day\s+client\s+tool\s+calls\s+failed\s+reserved\s+charged`,
		`2026-12-01\s+alice\s+search_ads\s+1\s+0\s+20\s+18`, `2026-12-01\s+bob\s+get_ad\s+1\s+1\s+1\s+0`,
		`2026-12-02\s+alice\s+search_ads\s+1\s+0\s+10\s+10`, `total\s+3\s+1\s+31\s+28`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	c, out, errb = testCLI(nil)
	if code := run(context.Background(), c, []string{"ledger", "--json", path}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var s gateway.LedgerSummary
	if err := json.Unmarshal([]byte(out.String()), &s); err != nil || len(s.Rows) != 3 || s.Total.Charged != 28 {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	c, _, errb = testCLI(nil)
	if code := run(context.Background(), c, []string{"ledger"}); code != exitUsage {
		t.Errorf("no file: exit %d, want %d (%s)", code, exitUsage, errb)
	}
}

// TestKeyFromAFileWarnsWhenOthersCanReadIt follows the secrets-file
// convention: TRENDTRACK_API_KEY_FILE names the key's file.
func TestKeyFromAFileWarnsWhenOthersCanReadIt(t *testing.T) {
	sb, err := sandbox.Start("127.0.0.1:0", sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	key := sb.NewWorkspace(sandbox.Credits{Recurring: 700})
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	c, out, errb := testCLI(map[string]string{envAPIKey + "_FILE": path, envBaseURL: sb.URL})
	if code := run(context.Background(), c, []string{"usage", "--json", "--log-level", "warn"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), `"totalRemaining": 700`) {
		t.Errorf("usage with the key from a file: %s", out)
	}
	if !strings.Contains(errb.String(), "readable by every user") || strings.Contains(out.String()+errb.String(), key) {
		t.Errorf("want a warning that names the file, not the key:\n%s", errb)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, errb = testCLI(map[string]string{envAPIKey + "_FILE": path, envBaseURL: sb.URL})
	if code := run(context.Background(), c, []string{"usage", "--log-level", "warn"}); code != exitOK || strings.Contains(errb.String(), "readable") {
		t.Errorf("a 0600 key file: exit %d, stderr %s", code, errb)
	}
	c, _, errb = testCLI(map[string]string{envAPIKey + "_FILE": filepath.Join(t.TempDir(), "missing")})
	if code := run(context.Background(), c, []string{"usage"}); code != exitUsage || !strings.Contains(errb.String(), envAPIKey+"_FILE") {
		t.Errorf("a missing key file: exit %d, stderr %s", code, errb)
	}
}

// TestClientsFileReloadsOnSIGHUP adds a client to the file of a running
// binary and sends it SIGHUP.
func TestClientsFileReloadsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const alice, carol = "alice-token-0123456789", "carol-token-0123456789"
	path := filepath.Join(t.TempDir(), "clients.json")
	write := func(body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"clients": [{"name": "alice", "token": "` + alice + `"}]}`)
	cmd, url, errb := startServe(t, []string{envAPIKey + "="}, "--sandbox", "--clients", path)
	status := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status(alice) != http.StatusOK || status(carol) != http.StatusUnauthorized {
		t.Fatalf("before the reload: alice %d, carol %d", status(alice), status(carol))
	}
	write(`{"clients": [{"name": "alice", "token": "` + alice + `"}, {"name": "carol", "token": "` + carol + `"}]}`)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, errb, regexp.MustCompile(`clients file reloaded`))
	if status(carol) != http.StatusOK {
		t.Errorf("carol after SIGHUP: HTTP %d", status(carol))
	}

	base := strings.TrimSuffix(url, "/mcp")
	for _, path := range []string{"/healthz", "/readyz"} {
		c, _, hb := testCLI(nil)
		if code := run(context.Background(), c, []string{"healthcheck", base + path}); code != exitOK {
			t.Errorf("healthcheck %s: exit %d: %s", path, code, hb)
		}
	}
	c, _, hb := testCLI(nil)
	if code := run(context.Background(), c, []string{"healthcheck", base + "/nothing-here"}); code != exitFailure || !strings.Contains(hb.String(), "404") {
		t.Errorf("healthcheck of a 404: exit %d: %s", code, hb)
	}
}

// TestServeTeamOnRedis wires serve --http --clients --budget-redis in
// process: a client's cap binds, and its session is in Redis.
func TestServeTeamOnRedis(t *testing.T) {
	url, name := testRedis(t)
	const alice = "alice-token-0123456789"
	path := filepath.Join(t.TempDir(), "clients.json")
	if err := os.WriteFile(path, []byte(`{"clients": [{"name": "alice", "token": "`+alice+`", "maxCredits": 9}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, _, errb := testCLI(map[string]string{envClientsFile: path})
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, c, []string{"serve", "--sandbox", "--http", "127.0.0.1:0", "--quiet", "--budget-redis", url, "--budget-name", name,
			"--max-credits-per-session", "6", "--metrics", "127.0.0.1:0", "--log-level", "info"})
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exit %d: %s", code, errb)
		}
	}()
	mcpURL := waitFor(t, errb, regexp.MustCompile(`url=(http://\S+/mcp)`))[1]
	metricsURL := waitFor(t, errb, regexp.MustCompile(`url=(http://\S+/metrics)`))[1]
	mc := httpMCP(t, ctx, mcpURL, alice)
	var rows []int
	for i := range 3 {
		// Distinct pages: the same call again would come from the cache.
		res := callTool(t, ctx, mc, "search_ads", map[string]any{"search": "coffee", "limit": 4, "page": i + 1})
		var sc struct{ Data []any }
		b, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(b, &sc)
		rows = append(rows, len(sc.Data))
	}
	// Stateless calls (mcp-go negotiates 2026-07-28): each its own
	// session of 6; alice's cap of 9 binds the third.
	if rows[0] != 4 || rows[1] != 4 || rows[2] != 1 {
		t.Errorf("rows per call %v, want [4 4 1]: the client's cap of 9 binds", rows)
	}
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("--metrics: HTTP %d", resp.StatusCode)
	}
	if r, err := http.Get(strings.TrimSuffix(mcpURL, "/mcp") + "/metrics"); err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("/metrics on the MCP listener with --metrics: HTTP %d, want 404", r.StatusCode)
		}
	}
	rc := rawRedis(t, url)
	defer rc.Close()
	keys, _ := rc.Keys(ctx, "tollgate:*").Result()
	var client bool
	for _, k := range keys {
		client = client || strings.Contains(k, name+":client:alice")
		if strings.Contains(k, "{"+name+"}") {
			defer rc.Del(context.Background(), k)
		}
	}
	if !client {
		t.Errorf("no client budget in Redis: %v", keys)
	}
}
