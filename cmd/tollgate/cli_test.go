package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/tollgate-mcp/tollgate/internal/buildinfo"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// runCLI runs one command line in process with the given environment and
// returns the exit code, stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	c, out, errb := testCLI(env)
	code := run(context.Background(), c, args)
	return code, out.String(), errb.String()
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestHelpGoesToStdoutWithExamplesForEveryCommand(t *testing.T) {
	for _, name := range []string{"demo", "serve", "batch", "usage", "sandbox", "version", "completion", "help"} {
		for _, args := range [][]string{{"help", name}, {name, "--help"}, {name, "-h"}} {
			code, out, errb := runCLI(t, nil, args...)
			if code != exitOK || errb != "" {
				t.Errorf("%q: exit %d, stderr %q", args, code, errb)
				continue
			}
			for _, want := range []string{"Usage:\n  tollgate " + name, "\nExamples:\n", "-h, --help"} {
				if !strings.Contains(out, want) {
					t.Errorf("%q: help lacks %q:\n%s", args, want, out)
				}
			}
		}
	}
	code, out, _ := runCLI(t, nil, "--help")
	if code != exitOK || !strings.Contains(out, "Start here:\n  demo") || !strings.Contains(out, "Exit codes: 0 success, 1 failure, 2 bad usage") {
		t.Errorf("tollgate --help: exit %d\n%s", code, out)
	}
	// A bare "tollgate" is a mistake: the help goes where errors go.
	code, out, errb := runCLI(t, nil)
	if code != exitUsage || out != "" || !strings.Contains(errb, "Usage:\n  tollgate <command>") {
		t.Errorf("bare tollgate: exit %d, stdout %q, stderr:\n%s", code, out, errb)
	}
}

func TestEachCommandListsOnlyTheFlagsItUses(t *testing.T) {
	for _, tc := range []struct {
		cmd        string
		has, lacks []string
	}{
		{"usage", []string{"--max-credits N|none", "--reserve N", "--budget-redis URL", "--json", "--sandbox ", "--log-level"},
			[]string{"--toolsets", "--tools ", "--read-only", "--max-result-bytes", "--rate", "--max-per-call", "--warn-at", "--sandbox-rate", "--http"}},
		{"serve", []string{"--http ADDR", "--mode static|dynamic", "--toolsets LIST", "--rate R", "--max-per-call N", "--warn-at F", "--sandbox-rate R", "--sandbox-burst N", "--quiet"},
			[]string{"--in ", "--concurrency", "--json"}},
		{"batch", []string{"--in FILE", "--concurrency N", "--max-failures N|none", "--sandbox-rate R", "--progress-every DURATION"},
			[]string{"--http", "--mode", "--quiet", "--json"}},
		{"demo", []string{"--max-credits N", "--retry-after SECONDS", "--search WORDS", "--sandbox-rate R", "--sandbox-burst N"},
			[]string{"--reserve", "--http", "--toolsets", "--budget-redis"}},
	} {
		_, out, _ := runCLI(t, nil, tc.cmd, "--help")
		for _, w := range tc.has {
			if !strings.Contains(out, w) {
				t.Errorf("%s --help lacks %q", tc.cmd, w)
			}
		}
		for _, w := range tc.lacks {
			if strings.Contains(out, w) {
				t.Errorf("%s --help lists %q, a flag it does not use", tc.cmd, w)
			}
		}
	}
	// Flags come in groups, in a fixed order.
	_, out, _ := runCLI(t, nil, "serve", "--help")
	var order []int
	for _, g := range []string{"Server flags:", "API flags:", "Budget flags:", "Tools flags:", "Sandbox flags:", "Output flags:", "Other flags:"} {
		order = append(order, strings.Index(out, "\n"+g+"\n"))
	}
	for i := 1; i < len(order); i++ {
		if order[i-1] < 0 || order[i] <= order[i-1] {
			t.Fatalf("flag groups out of order or missing (%v):\n%s", order, out)
		}
	}
}

func TestVersionFlagAndCommand(t *testing.T) {
	want := "tollgate " + buildinfo.Read().String() + "\n"
	for _, args := range [][]string{{"--version"}, {"-v"}} {
		if code, out, _ := runCLI(t, nil, args...); code != exitOK || out != want {
			t.Errorf("%q: exit %d, %q; want %q", args, code, out, want)
		}
	}
	code, out, _ := runCLI(t, nil, "version")
	if code != exitOK || !strings.HasPrefix(out, want) || !strings.Contains(out, "go1.") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestBinaryVersionNamesTheRevision builds the binary from this checkout
// with VCS stamping on and checks that --version names the commit the
// toolchain recorded.
func TestBinaryVersionNamesTheRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := t.TempDir() + "/tollgate"
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Skipf("go build -buildvcs=true: %v\n%s", err, out)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`vcs\.revision=([0-9a-f]{12})`).FindSubmatch(meta)
	if m == nil {
		// A git worktree (.git is a file) or a tree without git: the
		// toolchain records no revision, so there is none to show.
		t.Skipf("the toolchain recorded no VCS revision here:\n%s", meta)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), string(m[1])) {
		t.Errorf("--version = %q, want it to name commit %s", out, m[1])
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_tollgate", "zsh": "#compdef tollgate", "fish": "complete -c tollgate"} {
		code, out, errb := runCLI(t, nil, "completion", shell)
		if code != exitOK || !strings.Contains(out, want) || errb != "" {
			t.Errorf("completion %s: exit %d, script lacks %q (%d bytes); stderr %q", shell, code, want, len(out), errb)
		}
	}
	// The scripts ask the binary; it completes flag values too.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "serve", "--mode", ""}, []string{"static", "dynamic"}},
		{[]string{"__complete", "serve", "--log-level", ""}, []string{"debug", "warn"}},
		{[]string{"__complete", "batch", "--crawl", ""}, []string{"search_ads"}},
		{[]string{"__complete", "serve", "--toolsets", ""}, []string{"ads", "lookup"}},
		{[]string{"__complete", "ser"}, []string{"serve"}},
	} {
		_, out, _ := runCLI(t, nil, tc.args...)
		for _, w := range tc.want {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(w) + `(\t|$)`).MatchString(out) {
				t.Errorf("%q: completions lack %q:\n%s", tc.args, w, out)
			}
		}
	}
	if code, _, errb := runCLI(t, nil, "completion", "bsh"); code != exitUsage || !strings.Contains(errb, "did you mean bash") {
		t.Errorf("completion bsh: exit %d, stderr %q", code, errb)
	}
}

// TestEveryNumericFlagIsValidated runs each bad value through the real
// command line: exit 2, one line naming the flag and what it takes, and
// a hint at the help; nothing starts.
func TestEveryNumericFlagIsValidated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the first line, after "tollgate CMD: "
	}{
		{[]string{"serve", "--max-credits", "-500"}, "--max-credits -500: a cap cannot be negative"},
		{[]string{"serve", "--max-credits", "-1"}, "--max-credits -1: a cap cannot be negative (-1 no longer means no cap)"},
		{[]string{"usage", "--max-credits", "-5"}, "--max-credits -5: a cap cannot be negative"},
		{[]string{"serve", "--max-credits", "lots"}, "--max-credits lots: want a number of credits, 0 or more, or none"},
		{[]string{"serve", "--max-credits", "1.5"}, "--max-credits 1.5: want a number of credits"},
		{[]string{"serve", "--reserve", "-1"}, "--reserve -1: want a number of credits, 0 or more"},
		{[]string{"usage", "--reserve", "ten"}, "--reserve ten: want a number of credits, 0 or more"},
		{[]string{"serve", "--max-per-call", "-3"}, "--max-per-call -3: want a number of credits, 0 (no limit) or more"},
		{[]string{"serve", "--rate", "0"}, "--rate 0: want requests per second, a number above 0"},
		{[]string{"batch", "--rate", "-2"}, "--rate -2: want requests per second"},
		{[]string{"serve", "--rate", "NaN"}, "--rate NaN: want requests per second"},
		{[]string{"serve", "--warn-at", "0"}, "--warn-at 0: want a fraction above 0 and at most 1"},
		{[]string{"serve", "--warn-at", "1.5"}, "--warn-at 1.5: want a fraction above 0 and at most 1"},
		{[]string{"batch", "--warn-at", "-0.1"}, "--warn-at -0.1: want a fraction"},
		{[]string{"batch", "--concurrency", "0"}, "--concurrency 0: want a number of calls from 1 to 256"},
		{[]string{"batch", "--concurrency", "257"}, "--concurrency 257: want a number of calls from 1 to 256"},
		{[]string{"batch", "--max-pages", "0"}, "--max-pages 0: 0 no longer means no limit"},
		{[]string{"batch", "--max-pages", "-1"}, "--max-pages -1: want a number of pages, 1 or more"},
		{[]string{"batch", "--max-failures", "0"}, "--max-failures 0: 0 no longer means never"},
		{[]string{"batch", "--max-failures", "-3"}, "--max-failures -3: want a number of failures, 1 or more, or none"},
		{[]string{"serve", "--max-result-bytes", "0"}, "--max-result-bytes 0: want a number of bytes, 1024 or more"},
		{[]string{"batch", "--progress-every", "-1s"}, "--progress-every -1s: want a duration of 0 (never) or more"},
		{[]string{"serve", "--http", ":8099x"}, `--http :8099x: port "8099x" is not a number from 0 to 65535`},
		{[]string{"serve", "--http", "127.0.0.1:70000"}, `--http 127.0.0.1:70000: port "70000" is not a number`},
		{[]string{"serve", "--http", "localhost"}, "--http localhost: want host:port or a port"},
		{[]string{"serve", "--http", "my host:80"}, `--http "my host:80": host "my host" is not a host name`},
		{[]string{"serve", "--sandbox-rate", "0"}, "--sandbox-rate 0: want requests per second, a number above 0"},
		{[]string{"batch", "--sandbox-burst", "0"}, "--sandbox-burst 0: want a number of requests, 1 or more"},
		{[]string{"serve", "--sandbox-credits", "-1"}, "--sandbox-credits -1: want a number of credits, 0 or more"},
		{[]string{"serve", "--mode", "fast"}, "--mode fast: want static or dynamic"},
		{[]string{"usage", "--log-level", "loud"}, "--log-level loud: want debug, info, warn or error"},
		{[]string{"demo", "--max-credits", "0"}, "--max-credits 0: want a number of credits, 1 or more"},
		{[]string{"demo", "--retry-after", "-1"}, "--retry-after -1: want a number of seconds from 0 to 60"},
		{[]string{"demo", "--sandbox-rate", "-1"}, "--sandbox-rate -1: want requests per second"},
		{[]string{"sandbox", "--rate", "0"}, "--rate 0: want requests per second, a number above 0"},
		{[]string{"sandbox", "--burst", "0"}, "--burst 0: want a number of requests, 1 or more"},
		{[]string{"sandbox", "--credits", "-10"}, "--credits -10: want a number of credits, 0 or more"},
		{[]string{"sandbox", "--error-rate", "1.5"}, "--error-rate 1.5: want a fraction from 0 to 1"},
		{[]string{"sandbox", "--drop-rate", "-0.5"}, "--drop-rate -0.5: want a fraction from 0 to 1"},
		{[]string{"sandbox", "--latency", "-1s"}, "--latency -1s: want a duration of 0 or more"},
		{[]string{"sandbox", "--addr", ":x"}, `--addr :x: port "x" is not a number`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errb := runCLI(t, nil, tc.args...)
			l := lines(errb)
			if code != exitUsage || out != "" || len(l) != 2 {
				t.Fatalf("exit %d (want 2), stdout %q, stderr (want one line and a hint):\n%s", code, out, errb)
			}
			if prefix := "tollgate " + tc.args[0] + ": " + tc.want; !strings.HasPrefix(l[0], prefix) {
				t.Errorf("stderr says\n  %s\nwant it to start with\n  %s", l[0], prefix)
			}
			if !strings.Contains(l[1], "tollgate "+tc.args[0]+" --help") {
				t.Errorf("hint = %q", l[1])
			}
		})
	}
}

func TestGoodFlagValuesAreAccepted(t *testing.T) {
	// none means no cap; 0 allows free calls only.
	for _, tc := range []struct {
		value string
		cap   *int64
	}{{"none", nil}, {"NONE", nil}, {"0", ptr(int64(0))}, {"1", ptr(int64(1))}, {"250", ptr(int64(250))}} {
		code, out, errb := runCLI(t, nil, "usage", "--sandbox", "--json", "--max-credits", tc.value, "--reserve", "0")
		if code != exitOK {
			t.Fatalf("--max-credits %s: exit %d: %s", tc.value, code, errb)
		}
		var rep struct {
			Budget struct {
				RunCap *int64 `json:"runCap"`
			} `json:"budget"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if (rep.Budget.RunCap == nil) != (tc.cap == nil) || tc.cap != nil && *rep.Budget.RunCap != *tc.cap {
			t.Errorf("--max-credits %s: runCap %v, want %v", tc.value, rep.Budget.RunCap, tc.cap)
		}
	}
	// Flags written with one dash, as the standard flag package took
	// them, still work.
	c, _, errb := testCLI(nil)
	if code := run(context.Background(), c, []string{"serve", "-sandbox", "-max-credits=30", "-warn-at", "0.5", "-quiet"}); code != exitOK {
		t.Errorf("single-dash flags: exit %d: %s", code, errb)
	}
}

func ptr[T any](v T) *T { return &v }

func TestMistypesGetSuggestions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serv"}, `tollgate: unknown command "serv"; did you mean serve?`},
		{[]string{"sandbx", "--addr", ":0"}, `tollgate: unknown command "sandbx"; did you mean sandbox?`},
		{[]string{"help", "bach"}, `tollgate help: no help for "bach": it is not a command; did you mean batch?`},
		{[]string{"serve", "--max-credit", "5"}, "tollgate serve: unknown flag --max-credit; did you mean --max-credits or --max-credits-per-session?"},
		{[]string{"batch", "--concurency", "2"}, "tollgate batch: unknown flag --concurency; did you mean --concurrency?"},
		{[]string{"serve", "-maxcredits", "5"}, "tollgate serve: unknown flag -maxcredits; did you mean --max-credits?"},
		{[]string{"usage", "--toolsets", "ads"}, "tollgate usage: unknown flag --toolsets; it is a flag of tollgate batch or tollgate serve, not of tollgate usage"},
		{[]string{"serve", "--frobnicate"}, "tollgate serve: unknown flag --frobnicate"},
		{[]string{"serve", "stdio"}, `tollgate serve: unexpected argument "stdio": tollgate serve takes flags only`},
		{[]string{"serve", "--reserve"}, "tollgate serve: --reserve needs a value"},
	} {
		code, out, errb := runCLI(t, nil, tc.args...)
		l := lines(errb)
		if code != exitUsage || out != "" || len(l) != 2 || l[0] != tc.want || !strings.HasPrefix(l[1], "Run 'tollgate ") {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exactly:\n%s\nRun 'tollgate ...", tc.args, code, errb, tc.want)
		}
	}
}

func TestFlagsThatNeedAnotherFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--sandbox-rate", "5"}, "--sandbox-rate goes with --sandbox"},
		{[]string{"batch", "--sandbox-credits", "5", "--in", "x", "--out", "y"}, "--sandbox-credits goes with --sandbox"},
		{[]string{"usage", "--sandbox", "--budget-name", "team"}, "--budget-name goes with --budget-redis"},
	} {
		code, _, errb := runCLI(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(errb, tc.want) {
			t.Errorf("%q: exit %d, stderr %q", tc.args, code, errb)
		}
	}
}

func TestAnAPIKeyWithWhitespaceIsRefusedAtStart(t *testing.T) {
	const key = "tt_live_0123456789abcdef"
	for _, tc := range []struct{ value, want string }{
		{key + "\n", "holds a line break (\\n) at its end"},
		{key + "\r", "holds a carriage return (\\r) at its end"},
		{" " + key, "holds a space at its start"},
		{key[:8] + "\t" + key[8:], "holds a tab at character 9 of 25"},
		{key[:8] + "\x00" + key[8:], "holds the character U+0000"},
	} {
		for _, cmd := range []string{"usage", "serve"} {
			code, out, errb := runCLI(t, map[string]string{envAPIKey: tc.value, envBaseURL: "http://127.0.0.1:1"}, cmd)
			l := lines(errb)
			if code != exitUsage || out != "" || len(l) != 1 {
				t.Errorf("%s with %q: exit %d, stderr:\n%s", cmd, tc.value, code, errb)
				continue
			}
			if !strings.Contains(l[0], envAPIKey+" "+tc.want) {
				t.Errorf("%s: %q does not say %q", cmd, l[0], tc.want)
			}
			if strings.Contains(errb, "0123456789") {
				t.Errorf("the key was printed: %s", errb)
			}
		}
	}
}

// TestBinaryRefusesAKeyWithANewline checks the real process: exit 2 and
// one line, no retries on a "network error".
func TestBinaryRefusesAKeyWithANewline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd := exec.Command(tollgateBinary(t), "usage")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), envAPIKey + "=tt_live_secretvalue\n", envBaseURL + "=http://127.0.0.1:1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
		t.Fatalf("err = %v, want exit %d; stderr:\n%s", err, exitUsage, stderr.String())
	}
	if l := lines(stderr.String()); len(l) != 1 || !strings.Contains(l[0], envAPIKey+" holds a line break") || strings.Contains(l[0], "secretvalue") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
}

func TestBinaryUnknownFlagIsOneLinePlusAHint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd := exec.Command(tollgateBinary(t), "serve", "--sandbox", "--max-credit", "5")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
		t.Fatalf("err = %v, want exit 2", err)
	}
	want := "tollgate serve: unknown flag --max-credit; did you mean --max-credits or --max-credits-per-session?\nRun 'tollgate serve --help' for its flags and examples.\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Fatalf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
}

func TestServeBannerOnlyOnATerminal(t *testing.T) {
	c, out, errb := testCLI(nil)
	c.stdin = strings.NewReader("")
	if code := run(context.Background(), c, []string{"serve", "--sandbox"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if errb.String() != "" || out.String() != "" {
		t.Errorf("no terminal: want nothing on stderr or stdout, got stderr %q", errb)
	}
	c, _, errb = testCLI(nil)
	c.stderrIsTerminal = true
	c.stdin = strings.NewReader("")
	if code := run(context.Background(), c, []string{"serve", "--sandbox", "--quiet"}); code != exitOK || errb.String() != "" {
		t.Errorf("--quiet on a terminal: exit %d, stderr %q", code, errb)
	}
}

func TestAdvertisedURLs(t *testing.T) {
	host := func() (string, error) { return "box.example", nil }
	for _, tc := range []struct {
		asked, bound, local, remote string
	}{
		{"0.0.0.0:8081", "[::]:8081", "http://127.0.0.1:8081/mcp", "http://box.example:8081/mcp"},
		{"[::]:8081", "[::]:8081", "http://[::1]:8081/mcp", "http://box.example:8081/mcp"},
		{"127.0.0.1:0", "127.0.0.1:40123", "http://127.0.0.1:40123/mcp", ""},
		{"[::1]:8080", "[::1]:8080", "http://[::1]:8080/mcp", ""},
		{"localhost:8080", "127.0.0.1:8080", "http://localhost:8080/mcp", ""},
		{"10.1.2.3:9000", "10.1.2.3:9000", "http://10.1.2.3:9000/mcp", ""},
	} {
		bound, err := net.ResolveTCPAddr("tcp", tc.bound)
		if err != nil {
			t.Fatal(err)
		}
		local, remote := advertisedURLs(tc.asked, bound, host)
		if local != tc.local || remote != tc.remote {
			t.Errorf("%s: %q, %q; want %q, %q", tc.asked, local, remote, tc.local, tc.remote)
		}
	}
}

// TestServeHTTPOnEveryInterfaceAdvertisesALoopbackURL listens on
// 0.0.0.0 (loopback traffic only) and connects to the URL it prints.
func TestServeHTTPOnEveryInterfaceAdvertisesALoopbackURL(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _, errb := testCLI(map[string]string{envHTTPToken: "tok"})
	done := make(chan int, 1)
	go func() { done <- run(ctx, c, []string{"serve", "--sandbox", "--http", "0.0.0.0:0"}) }()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("exit %d: %s", code, errb)
		}
	}()
	url := waitFor(t, errb, regexp.MustCompile(`Streamable HTTP at (\S+)\n`))[1]
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.Contains(url, "[::]") {
		t.Fatalf("advertised %q", url)
	}
	mc, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer tok"}))
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	initialize(t, ctx, mc)
	if err := mc.Ping(ctx); err != nil {
		t.Fatalf("ping %s: %v", url, err)
	}
}

// TestSandboxRateLimitFlagsReachTheSandbox starts serve --sandbox with a
// tight rate limit and asks the embedded sandbox directly.
func TestSandboxRateLimitFlagsReachTheSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _, errb := testCLI(nil)
	c.stderrIsTerminal = true // the banner names the sandbox's URL
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, c, []string{"serve", "--sandbox", "--http", "127.0.0.1:0", "--sandbox-rate", "0.5", "--sandbox-burst", "3"})
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("exit %d: %s", code, errb)
		}
	}()
	base := waitFor(t, errb, regexp.MustCompile(`embedded sandbox at (http://\S+)`))[1]
	var statuses []int
	for range 5 {
		req, _ := http.NewRequest("GET", base+"/v1/ads?search=coffee&limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-RateLimit-Limit"); got != "3" {
			t.Fatalf("X-RateLimit-Limit = %q, want the burst 3", got)
		}
		statuses = append(statuses, resp.StatusCode)
	}
	// The banner's startup made some calls of its own; a burst of 3 at
	// 0.5/s lets at most 3 of these through.
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	if ok > 3 || statuses[len(statuses)-1] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v: want the rate limit of burst 3 to answer 429", statuses)
	}
}
