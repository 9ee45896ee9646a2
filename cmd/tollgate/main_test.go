package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/internal/syncbuffer"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// syncBuffer is shared with the other packages' tests.
type syncBuffer = syncbuffer.Buffer

// testCLI returns a cli with buffers and the given environment only.
func testCLI(env map[string]string) (*cli, *syncBuffer, *syncBuffer) {
	out, errb := &syncBuffer{}, &syncBuffer{}
	return &cli{stdin: strings.NewReader(""), stdout: out, stderr: errb,
		getenv: func(k string) string { return env[k] }}, out, errb
}

// waitFor polls s until re matches, or fails the test after 20 s.
func waitFor(t *testing.T, s *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.String()); m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %v in:\n%s", re, s.String())
	return nil
}

func TestRunUnknownCommandAndHelp(t *testing.T) {
	c, _, errb := testCLI(nil)
	if code := run(context.Background(), c, []string{"bogus"}); code != exitUsage {
		t.Fatalf("unknown command: exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errb.String(), `unknown command "bogus"`) || !strings.Contains(errb.String(), "tollgate help") {
		t.Fatalf("stderr does not name the command and where to look:\n%s", errb)
	}
	c, _, _ = testCLI(nil)
	if code := run(context.Background(), c, []string{"--help"}); code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	c, _, _ = testCLI(nil)
	if code := run(context.Background(), c, []string{"serve", "-h"}); code != exitOK {
		t.Fatalf("serve -h: exit %d", code)
	}
}

func TestUsageWithoutKeyNamesTheVariable(t *testing.T) {
	c, out, errb := testCLI(nil)
	code := run(context.Background(), c, []string{"usage"})
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], envAPIKey) {
		t.Fatalf("want one line naming %s, got:\n%s", envAPIKey, errb)
	}
	if out.String() != "" {
		t.Fatalf("stdout should be empty, got %q", out)
	}
}

func TestUsageJSONAgainstTheConfiguredAPI(t *testing.T) {
	sb, err := sandbox.Start("127.0.0.1:0", sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	key := sb.NewWorkspace(sandbox.Credits{Recurring: 700, Topup: 50})
	c, out, errb := testCLI(map[string]string{envAPIKey: key, envBaseURL: sb.URL})
	if code := run(context.Background(), c, []string{"usage", "--json", "--max-credits", "300", "--reserve", "100"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var rep struct {
		API struct {
			Credits struct {
				TotalRemaining int64 `json:"totalRemaining"`
			} `json:"credits"`
			Billing struct {
				CurrentPeriodEnd *string `json:"currentPeriodEnd"`
			} `json:"billing"`
		} `json:"api"`
		Budget struct {
			RunCap    *int64 `json:"runCap"`
			Reserve   int64  `json:"reserve"`
			Available int64  `json:"available"`
		} `json:"budget"`
	}
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if rep.API.Credits.TotalRemaining != 750 || rep.API.Billing.CurrentPeriodEnd == nil {
		t.Fatalf("api view = %+v", rep.API)
	}
	if rep.Budget.RunCap == nil || *rep.Budget.RunCap != 300 || rep.Budget.Reserve != 100 || rep.Budget.Available != 300 {
		t.Fatalf("budget view = %+v", rep.Budget)
	}
	if strings.Contains(out.String()+errb.String(), key) {
		t.Fatal("the API key was printed")
	}

	// The table names the balance, the refill date and the cap.
	c, out, errb = testCLI(map[string]string{envAPIKey: key, envBaseURL: sb.URL})
	if code := run(context.Background(), c, []string{"usage"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{`Credits left\s+750\n`, `Refills\s+2\d{3}-\d\d-\d\dT`, `run cap\s+1000 credits`, `may spend now\s+750 credits`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageReportsAPIErrorsWithAdvice(t *testing.T) {
	sb, err := sandbox.Start("127.0.0.1:0", sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c, _, errb := testCLI(map[string]string{envAPIKey: sandbox.KeyRevoked, envBaseURL: sb.URL})
	if code := run(context.Background(), c, []string{"usage"}); code != exitFailure {
		t.Fatalf("exit %d, want %d: %s", code, exitFailure, errb)
	}
	if !strings.Contains(errb.String(), "credential_revoked") {
		t.Fatalf("stderr lacks the code:\n%s", errb)
	}
}

func TestSandboxCommandPrintsURLAndWorkingKey(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _, errb := testCLI(nil)
	done := make(chan int, 1)
	go func() { done <- run(ctx, c, []string{"sandbox", "--addr", "127.0.0.1:0"}) }()
	m := waitFor(t, errb, regexp.MustCompile(`base URL: (http://\S+)\n\s+demo key: (\S+)`))
	req, _ := http.NewRequest("GET", m[1]+"/v1/usage", nil)
	req.Header.Set("Authorization", "Bearer "+m[2])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/usage with the printed key: %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
}

func TestDemoReachesTheCapAndPrintsAdvice(t *testing.T) {
	c, out, errb := testCLI(nil)
	if code := run(context.Background(), c, []string{"demo", "--retry-after", "0"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	o := out.String()
	for _, want := range []string{"progress  search_ads: rate_limited (HTTP 429)", "limit lowered", `"code": "budget_cap_reached"`,
		`"source": "budget"`, "budget: search_ads halted (budget_cap_reached): needs 1 credit but", "claude mcp add",
		"← 20 rows (rows 1-20 of ", "← 20 rows (rows 21-40 of ", "← 10 rows (rows 41-50 of ", "at most 50 credits (--max-credits)"} {
		if !strings.Contains(o, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The model called search_ads: no operationId, no page renumbering,
	// and the advice reads error first, as README shows it.
	for _, bad := range []string{"listAds", "page 5,", "1 credits"} {
		if strings.Contains(o, bad) {
			t.Errorf("demo output says %q:\n%s", bad, o)
		}
	}
	if e, b := strings.Index(o, `"error": {`), strings.Index(o, `"budget": {`); e < 0 || b < e {
		t.Errorf("the halt advice prints budget before error:\n%s", o)
	}
}

func TestServeHTTPRequiresTheToken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _, errb := testCLI(map[string]string{envHTTPToken: "s3cret"})
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, c, []string{"serve", "--sandbox", "--http", "127.0.0.1:0", "--log-level", "warn"})
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exit %d: %s", code, errb)
		}
	}()
	url := waitFor(t, errb, regexp.MustCompile(`Streamable HTTP at (http://\S+/mcp)`))[1]
	if strings.Contains(errb.String(), "s3cret") {
		t.Fatal("the token was printed")
	}

	resp, err := http.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: HTTP %d, want 401", resp.StatusCode)
	}

	mc, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	initialize(t, ctx, mc)
	list, err := mc.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Tools) < 15 {
		t.Fatalf("%d tools over HTTP", len(list.Tools))
	}
}

func TestServeRefusesAnExposedAddressWithoutToken(t *testing.T) {
	c, _, errb := testCLI(nil)
	if code := run(context.Background(), c, []string{"serve", "--sandbox", "--http", "0.0.0.0:0"}); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errb.String(), "--http-token") {
		t.Fatalf("stderr does not say how to fix it:\n%s", errb)
	}
}

func TestServeStdioBannerGoesToStderr(t *testing.T) {
	c, out, errb := testCLI(nil)
	c.stderrIsTerminal = true
	c.stdin = strings.NewReader("") // the host hangs up at once
	if code := run(context.Background(), c, []string{"serve", "--sandbox"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if out.String() != "" {
		t.Fatalf("stdout is the MCP channel and must stay clean; got %q", out)
	}
	for _, want := range []string{"stdio", "embedded sandbox", "tools", "cap 1000 credits", "claude mcp add"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, errb)
		}
	}
}

// TestServeStdioSubprocess drives the built binary over stdio with
// mcp-go's stdio client, as Claude Desktop would.
func TestServeStdioSubprocess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := tollgateBinary(t)
	env := append(os.Environ(), envAPIKey+"=") // the sandbox needs no key
	mc, err := client.NewStdioMCPClient(bin, env, "serve", "--sandbox", "--max-credits", "30", "--log-level", "warn")
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	initialize(t, ctx, mc)
	list, err := mc.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tl := range list.Tools {
		names[tl.Name] = true
	}
	for _, want := range []string{"lookup", "search_ads", "get_budget", "estimate_cost", "create_brandtracker"} {
		if !names[want] {
			t.Errorf("tools/list lacks %s", want)
		}
	}

	res := callTool(t, ctx, mc, "search_ads", map[string]any{"search": "coffee", "limit": 20})
	if res.IsError {
		t.Fatalf("search_ads failed: %s", textOf(res))
	}
	res = callTool(t, ctx, mc, "search_ads", map[string]any{"search": "coffee", "limit": 20, "page": 2})
	if res.IsError || !strings.Contains(textOf(res), "limit lowered from 20 to 10") {
		t.Fatalf("second page should be fitted to the 10 credits left: %s", textOf(res))
	}
	res = callTool(t, ctx, mc, "search_ads", map[string]any{"search": "coffee"})
	var f struct {
		Error struct{ Code, Source string } `json:"error"`
	}
	if !res.IsError || json.Unmarshal([]byte(textOf(res)), &f) != nil || f.Error.Code != "budget_cap_reached" || f.Error.Source != "budget" {
		t.Fatalf("third call should halt at the cap: %s", textOf(res))
	}
	res = callTool(t, ctx, mc, "search_ads", map[string]any{"search": "coffee", "limit": 500})
	if !res.IsError || !strings.Contains(textOf(res), "invalid_arguments") {
		t.Fatalf("limit 500 should be refused: %s", textOf(res))
	}
}

// TestBinaryUsageExitCode checks the real process's exit code and stderr.
func TestBinaryUsageExitCode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd := exec.Command(tollgateBinary(t), "usage")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitUsage {
		t.Fatalf("err = %v, want exit %d", err, exitUsage)
	}
	if !strings.Contains(stderr.String(), envAPIKey) {
		t.Fatalf("stderr = %q", stderr.String())
	}
}

func initialize(t *testing.T, ctx context.Context, mc *client.Client) {
	t.Helper()
	if err := mc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "tollgate-test", Version: "1"}
	if _, err := mc.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
}

func callTool(t *testing.T, ctx context.Context, mc *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := mc.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: JSON-RPC error %v (tool failures must be results)", name, err)
	}
	return res
}

var _ = io.Discard
