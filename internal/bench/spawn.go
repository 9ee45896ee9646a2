package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// bins are the binaries the spawned sections run.
type bins struct {
	tollgate, bare string
	tmp            string // where inputs and outputs go
}

// releaseBuild is how .goreleaser.yaml builds the binaries users get:
// static (CGO_ENABLED=0, so no libc or dynamic loader is mapped or run at
// start), -trimpath, and stripped (-s -w). Both sides are built alike, so
// the start and memory rows measure what a user runs.
var releaseBuild = []string{"build", "-trimpath", "-ldflags=-s -w"}

// binaries builds tollgate and the bare server (unless cfg names them)
// into a temporary directory, which cleanup removes, as releaseBuild says.
func binaries(ctx context.Context, cfg *Config) (*bins, func(), error) {
	tmp, err := os.MkdirTemp("", "tollgate-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	b := &bins{tollgate: cfg.Tollgate, bare: cfg.Bare, tmp: tmp}
	if b.tollgate != "" && b.bare != "" {
		return b, cleanup, nil
	}
	dir := cfg.ModuleDir
	if dir == "" {
		if dir, err = moduleDir(ctx); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	for _, t := range []struct {
		dst *string
		pkg string
	}{{&b.tollgate, "./cmd/tollgate"}, {&b.bare, "./internal/bench/bare/baremcp"}} {
		if *t.dst != "" {
			continue
		}
		out := filepath.Join(tmp, filepath.Base(t.pkg))
		logf(cfg.Log, "building %s", t.pkg)
		cmd := exec.CommandContext(ctx, "go", append(append([]string(nil), releaseBuild...), "-o", out, t.pkg)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("go build %s: %v\n%s", t.pkg, err, msg)
		}
		*t.dst = out
	}
	return b, cleanup, nil
}

// moduleDir finds the tollgate module around the working directory.
func moduleDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (the harness builds from source: install Go and run it in a tollgate checkout)", err)
	}
	gomod := strings.TrimSpace(string(out))
	data, err := os.ReadFile(gomod)
	if err != nil || !bytes.HasPrefix(data, []byte("module github.com/tollgate-mcp/tollgate\n")) {
		return "", errors.New("not in a tollgate checkout: run go run ./internal/cmd/bench from the repository (it builds the binaries it spawns), or pass -tollgate and -bare")
	}
	return filepath.Dir(gomod), nil
}

// child is a spawned server with pipes to its stdio.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *tail
	done   chan struct{}
	err    error
}

// spawn starts bin. Its stderr is kept (the last few KB) for error
// messages.
func spawn(bin string, args ...string) (*child, error) {
	cmd := exec.Command(bin, args...)
	c := &child{cmd: cmd, stderr: &tail{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c.stdout = bufio.NewReaderSize(out, 1<<16)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop ends the child (stdin closed, then SIGTERM, then SIGKILL after
// 5 s) and waits for it.
func (c *child) stop() {
	_ = c.stdin.Close()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan struct{})
	go func() { c.err = c.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-waited
	}
}

func (c *child) fail(what string, err error) error {
	return fmt.Errorf("%s %s: %s: %w\n%s", filepath.Base(c.cmd.Path), strings.Join(c.cmd.Args[1:], " "), what, err, c.stderr)
}

// send writes one JSON-RPC message to the child's stdin.
func (c *child) send(msg string) error {
	_, err := io.WriteString(c.stdin, msg+"\n")
	return err
}

// await reads stdout lines until the answer to id, and returns it.
func (c *child) await(id int) (json.RawMessage, error) {
	res, _, err := c.awaitAt(id)
	return res, err
}

// awaitAt is await, also returning when the answer's line had been read
// (before it was decoded: the harness's decoding is not the server's
// time).
func (c *child) awaitAt(id int) (json.RawMessage, time.Time, error) {
	for {
		line, err := c.stdout.ReadBytes('\n')
		at := time.Now()
		if err != nil {
			return nil, at, err
		}
		var m struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if json.Unmarshal(line, &m) != nil || m.ID == nil || *m.ID != id {
			continue
		}
		if m.Error != nil {
			return nil, at, fmt.Errorf("request %d failed: %s", id, m.Error)
		}
		return m.Result, at, nil
	}
}

var initializeMsg = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"` +
	mcp.LATEST_LEGACY_PROTOCOL_VERSION + `","capabilities":{},"clientInfo":{"name":"tollgate-bench","version":"1"}}}`

const (
	initializedMsg = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	toolsListMsg   = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
)

// startToList spawns a stdio server and returns how long it took from
// the spawn to the answer of its first tools/list (after initialize),
// read whole but not yet decoded (decoding tollgate's 184 KB answer took
// the harness about a millisecond, which was counted as tollgate's), the
// CPU time the server had used by then, and how many tools it listed.
func startToList(bin string, args ...string) (wall, cpu time.Duration, tools int, err error) {
	t0 := time.Now()
	c, err := spawn(bin, args...)
	if err != nil {
		return 0, 0, 0, err
	}
	defer c.stop()
	if err := c.send(initializeMsg); err != nil {
		return 0, 0, 0, c.fail("initialize", err)
	}
	if _, err := c.await(1); err != nil {
		return 0, 0, 0, c.fail("initialize", err)
	}
	if err := c.send(initializedMsg); err != nil {
		return 0, 0, 0, c.fail("initialized", err)
	}
	if err := c.send(toolsListMsg); err != nil {
		return 0, 0, 0, c.fail("tools/list", err)
	}
	res, at, err := c.awaitAt(2)
	wall = at.Sub(t0)
	if err != nil {
		return 0, 0, 0, c.fail("tools/list", err)
	}
	if cpu, err = procCPU(c.pid()); err != nil {
		return 0, 0, 0, c.fail("reading its CPU time", err)
	}
	var list struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(res, &list); err != nil {
		return 0, 0, 0, c.fail("tools/list", err)
	}
	return wall, cpu, len(list.Tools), nil
}

func runStart(_ context.Context, cfg *Config, b *bins, r *Report) error {
	rounds := 2 * cfg.Rounds // a spawn is cheap and its wall time noisy
	logf(cfg.Log, "start: tollgate serve --sandbox and the bare server, spawned in turn, %d rounds", rounds)
	sides := [2][]string{{b.tollgate, "serve", "--sandbox"}, {b.bare}}
	var times, cpus [2][]float64
	var tools [2]int
	for round := -1; round < rounds; round++ { // round -1 warms the page cache
		for k := range 2 {
			i := (k + max(round, 0)) % 2
			wall, cpu, n, err := startToList(sides[i][0], sides[i][1:]...)
			if err != nil {
				return err
			}
			if round >= 0 {
				times[i] = append(times[i], float64(wall)/1e6)
				cpus[i] = append(cpus[i], float64(cpu)/1e6)
			}
			tools[i] = n
		}
	}
	r.Rows = append(r.Rows, Row{
		What:   "start to first `tools/list` answer (stdio, spawned) vs the bare mcp-go server, wall",
		Figure: ratioText(SpreadOf(Ratios(times[0], times[1]))),
		Detail: fmt.Sprintf("%.1f ms vs %.1f ms (%d tools vs %d)", median(times[0]), median(times[1]), tools[0], tools[1]),
		Goal:   "≤ 2×",
	}, Row{
		What:   "the same, CPU the server used by its answer (all threads)",
		Figure: ratioText(SpreadOf(Ratios(cpus[0], cpus[1]))),
		Detail: fmt.Sprintf("%.1f ms vs %.1f ms", median(cpus[0]), median(cpus[1])),
		Goal:   "—",
	})
	return nil
}

// rss is a process's resident memory: the total (VmRSS) and its
// anonymous part (RssAnon: heap, stacks); the rest is file pages, most of
// them the binary's code and read-only data.
type rss struct{ total, anon int64 }

// idleRSS spawns a server, waits for it to answer initialize (over stdio,
// or over HTTP when httpAddr is set), leaves it settle, and reads its RSS.
func idleRSS(cfg *Config, httpAddr string, bin string, args ...string) (rss, error) {
	c, err := spawn(bin, args...)
	if err != nil {
		return rss{}, err
	}
	defer c.stop()
	if httpAddr == "" {
		if err := c.send(initializeMsg); err != nil {
			return rss{}, c.fail("initialize", err)
		}
		if _, err := c.await(1); err != nil {
			return rss{}, c.fail("initialize", err)
		}
	} else if err := initializeHTTP(c, "http://"+httpAddr+"/mcp"); err != nil {
		return rss{}, c.fail("initialize over HTTP", err)
	}
	time.Sleep(cfg.Settle)
	var r rss
	if r.total, err = procStatus(c.pid(), "VmRSS"); err != nil {
		return rss{}, c.fail("reading VmRSS", err)
	}
	if r.anon, err = procStatus(c.pid(), "RssAnon"); err != nil {
		return rss{}, c.fail("reading RssAnon", err)
	}
	return r, nil
}

// initializeHTTP posts initialize until the server answers it (it may
// still be starting), for at most 10 s.
func initializeHTTP(c *child, url string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(initializeMsg))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if time.Now().After(deadline) || c.cmd.ProcessState != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func runIdleRSS(_ context.Context, cfg *Config, b *bins, r *Report) error {
	rounds := max(3, cfg.Rounds/3)
	logf(cfg.Log, "rss: idle RSS of serve --sandbox and the bare server, stdio and HTTP, %d rounds, read %v after initialize", rounds, cfg.Settle)
	type side struct {
		http bool
		bin  string
		args []string
	}
	sides := []side{
		{false, b.tollgate, []string{"serve", "--sandbox"}},
		{false, b.bare, nil},
		{true, b.tollgate, []string{"serve", "--sandbox", "--quiet", "--http"}},
		{true, b.bare, []string{"-http"}},
	}
	total := make([][]float64, len(sides))
	anon := make([][]float64, len(sides))
	for round := range rounds {
		for k := range sides {
			i := (k + round) % len(sides)
			s := sides[i]
			addr := ""
			args := s.args
			if s.http {
				var err error
				if addr, err = freeAddr(); err != nil {
					return err
				}
				args = append(append([]string(nil), args...), addr)
			}
			v, err := idleRSS(cfg, addr, s.bin, args...)
			if err != nil {
				return err
			}
			total[i] = append(total[i], float64(v.total))
			anon[i] = append(anon[i], float64(v.anon))
		}
	}
	for i, what := range []string{"stdio", "HTTP"} {
		tg, bs := SpreadOf(total[2*i]), SpreadOf(total[2*i+1])
		tgAnon, bsAnon := median(anon[2*i]), median(anon[2*i+1])
		r.Rows = append(r.Rows, Row{
			What:   "idle RSS, `serve --sandbox` over " + what,
			Figure: fmt.Sprintf("%s (%s–%s)", mbText(tg.Median), mbText(tg.Min), mbText(tg.Max)),
			Detail: fmt.Sprintf("anonymous %s, file pages (the binary) %s; bare mcp-go server over %s: %s (%s and %s); ratio %s",
				mbText(tgAnon), mbText(tg.Median-tgAnon), what, mbText(bs.Median), mbText(bsAnon), mbText(bs.Median-bsAnon),
				ratioText(SpreadOf(Ratios(total[2*i], total[2*i+1])))),
			Goal: "≤ 20 MB",
		})
	}
	return nil
}

// batchPeak runs tollgate batch --sandbox on an input of n lines and
// returns its peak RSS.
func batchPeak(ctx context.Context, b *bins, n int) (int64, time.Duration, error) {
	in := filepath.Join(b.tmp, fmt.Sprintf("in-%d.jsonl", n))
	out := filepath.Join(b.tmp, fmt.Sprintf("out-%d.jsonl", n))
	_ = os.Remove(out)
	defer os.Remove(out)
	if _, err := os.Stat(in); err != nil {
		var buf bytes.Buffer
		for i := 1; i <= n; i++ {
			buf.WriteString(`{"id":` + strconv.Itoa(i) + `,"tool":"estimate_cost","args":{"tool":"search_ads","arguments":{"search":"coffee","limit":20}}}` + "\n")
		}
		if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
			return 0, 0, err
		}
	}
	cmd := exec.CommandContext(ctx, b.tollgate, "batch", "--sandbox", "--in", in, "--out", out)
	stderr := &tail{}
	cmd.Stderr = stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	// The child's VmHWM, polled until it exits: its rusage at exit is no
	// use, since Linux carries the parent's high-water mark into a child
	// forked from it (with the parent's memory mapped) and across exec.
	var peak int64
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
poll:
	for {
		if hwm, perr := procStatus(cmd.Process.Pid, "VmHWM"); perr == nil {
			peak = max(peak, hwm)
		}
		select {
		case err = <-exited:
			break poll
		case <-tick.C:
		}
	}
	d := time.Since(t0)
	if err != nil {
		return 0, 0, fmt.Errorf("tollgate batch of %d lines: %w\n%s", n, err, stderr)
	}
	lines, err := countLines(out)
	if err != nil {
		return 0, 0, err
	}
	if lines != n {
		return 0, 0, fmt.Errorf("tollgate batch of %d lines wrote %d lines\n%s", n, lines, stderr)
	}
	return peak, d, nil
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 1<<16)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte("\n"))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func runBatch(ctx context.Context, cfg *Config, b *bins, r *Report) error {
	var parts []string
	var peaks []float64
	for _, n := range cfg.BatchLines {
		logf(cfg.Log, "batch: tollgate batch --sandbox, %d lines of estimate_cost", n)
		peak, d, err := batchPeak(ctx, b, n)
		if err != nil {
			return err
		}
		peaks = append(peaks, float64(peak))
		parts = append(parts, fmt.Sprintf("%s lines: %s (%.1f s)", count(n), mbText(float64(peak)), d.Seconds()))
	}
	fig := strings.Join(parts, "; ")
	detail := ""
	if k := len(peaks); k >= 2 {
		lo, hi := cfg.BatchLines[0], cfg.BatchLines[k-1]
		detail = fmt.Sprintf("%+.2f KB per line from %s to %s lines", (peaks[k-1]-peaks[0])/float64(hi-lo)/1e3, count(lo), count(hi))
	}
	r.Rows = append(r.Rows, Row{What: "`tollgate batch --sandbox` peak RSS (VmHWM) by input size", Figure: fig, Detail: detail, Goal: "flat: 100k lines under 40 MB"})
	return nil
}

func count(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// tail keeps the last 4 KB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 4096; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
