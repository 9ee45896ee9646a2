// Package bench is tollgate's measuring harness, behind `go run ./internal/cmd/bench`:
// it runs each comparison of the performance goals (issue 11) against
// its baseline, interleaved in one run, and prints the table of ratios
// with their spread.
//
// Every figure is a ratio against a baseline measured in the same run,
// round by round (A B, then B A, ...), so that a machine whose speed
// drifts moves both sides of a round together; the table quotes the
// median of the per-round ratios and their minimum and maximum. What it
// compares:
//
//   - CPU per call (process CPU time, user and system, every thread) of
//     runtime.Client.Do, Toolbox.Call and the MCP face through mcp-go's
//     in-process client, each against a raw net/http GET of the same URL
//     (package bare's Get). The embedded sandbox serves every call over
//     loopback, in this process and with its rate limit off, so its CPU
//     is in both sides of each ratio, as it is in `serve --sandbox`.
//   - MCP tools/call over Streamable HTTP: calls per second, p50 and p99
//     latency and CPU per call at 1, 4, 16 and 64 sessions, tollgate's
//     server (mcpserver behind gateway, as `serve --http` wires it)
//     against package bare's server, whose one tool GETs the same sandbox
//     URL and returns the body as it came. Each session (initialize, then
//     tools/call in a loop) is driven with bare JSON-RPC posts whose
//     answers are read whole but not decoded, so that the load
//     generator's CPU (3 % of the run) does not hide the servers'; an
//     mcp-go client decoding every 80 KB answer took 58 % of it.
//   - Start to the first tools/list answer over stdio, `tollgate serve
//     --sandbox` against the bare server's binary, both spawned.
//   - Idle RSS (VmRSS) of `serve --sandbox` over stdio and over HTTP,
//     read a settling time after the server answered initialize, with
//     the bare binary's beside it.
//   - Peak RSS (VmHWM at exit) of `tollgate batch --sandbox` for inputs
//     of 1k, 10k and 100k lines of a free local tool (estimate_cost), so
//     that the size of the input, not the API, is what varies.
//   - tools.Parse of the built-in OpenAPI document (what every start
//     does), CPU and bytes allocated, against json.Unmarshal of the same
//     document into an any: the floor of reading that JSON at all.
//
// The binaries (tollgate and the bare server, package bare/baremcp) are
// built from the module's source in the run, so the harness needs only
// the Go toolchain and a checkout; it reads /proc, so Linux only.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Sections of a run, for Config.Only.
const (
	SectionCPU   = "cpu"   // Client.Do, Toolbox.Call, in-process MCP vs raw GET
	SectionMCP   = "mcp"   // MCP over Streamable HTTP vs bare, 1..64 sessions
	SectionStart = "start" // start to first tools/list vs bare
	SectionRSS   = "rss"   // idle RSS, stdio and HTTP
	SectionBatch = "batch" // batch peak RSS by input size
	SectionParse = "parse" // tools.Parse vs json.Unmarshal
)

// Sections lists every section in the order a run measures them.
var Sections = []string{SectionCPU, SectionMCP, SectionStart, SectionRSS, SectionBatch, SectionParse}

// Config configures a run. The zero value measures everything with the
// defaults below.
type Config struct {
	// Only limits the run to these sections (default all).
	Only []string
	// Rounds is how many interleaved rounds each comparison runs
	// (default 9; the start runs twice as many, the idle RSS a third, the
	// load runs LoadRounds).
	Rounds int
	// Calls is how many calls each side makes per round in the CPU
	// comparisons (default 200).
	Calls int
	// Sessions are the session counts of the load runs (default 1, 4,
	// 16, 64); the table's calls/s rows quote 1 and 16 when present.
	Sessions []int
	// LoadRounds is how many rounds each session count runs (default 5),
	// each LoadDuration long per server (default 1 s): short rounds
	// interleave the servers more finely on a shared machine.
	LoadRounds   int
	LoadDuration time.Duration
	// BatchLines are the input sizes of the batch runs (default 1000,
	// 10000, 100000).
	BatchLines []int
	// Settle is how long an idle server is left before its RSS is read
	// (default 1 s).
	Settle time.Duration
	// Tollgate and Bare are the binaries to spawn; empty means build
	// them from ModuleDir (default: the module of the working
	// directory) into a temporary directory.
	Tollgate, Bare string
	ModuleDir      string
	// Log receives progress lines (nil: discard).
	Log io.Writer
}

func (c *Config) defaults() {
	if len(c.Only) == 0 {
		c.Only = Sections
	}
	if c.Rounds <= 0 {
		c.Rounds = 9
	}
	if c.Calls <= 0 {
		c.Calls = 200
	}
	if len(c.Sessions) == 0 {
		c.Sessions = []int{1, 4, 16, 64}
	}
	if c.LoadRounds <= 0 {
		c.LoadRounds = 5
	}
	if c.LoadDuration <= 0 {
		c.LoadDuration = time.Second
	}
	if len(c.BatchLines) == 0 {
		c.BatchLines = []int{1000, 10000, 100000}
	}
	if c.Settle <= 0 {
		c.Settle = time.Second
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

func (c *Config) wants(section string) bool { return slices.Contains(c.Only, section) }

// Report is what a run measured.
type Report struct {
	// Env describes the machine and the page.
	Env string
	// Rows are the goal table: one comparison each.
	Rows []Row
	// Scaling is the load table: one session count each.
	Scaling []Scale
	// Notes are remarks on what was measured (failed sanity checks, ...).
	Notes []string
}

// Row is one line of the goal table.
type Row struct {
	What   string
	Figure string // the median ratio (or size) with its spread
	Detail string // the absolute medians behind it
	Goal   string
}

// Scale is one session count of the load runs.
type Scale struct {
	Sessions int
	// Rate are calls per second of tollgate and bare (median of rounds),
	// Ratio tollgate's over bare's per round.
	Rate        [2]float64
	Ratio       Spread
	P50, P99    [2]time.Duration
	CPUPerCall  [2]time.Duration
	CPURatio    Spread
	Calls       [2]int
	Failed      [2]int
	RoundsTaken int
}

// Run measures what cfg selects and returns the report; print it with
// Report.Markdown. A failure to start what a section needs ends the run
// with an error naming it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if !supported {
		return nil, errors.New("bench: the harness reads /proc and getrusage: run it on Linux")
	}
	cfg.defaults()
	for _, s := range cfg.Only {
		if !slices.Contains(Sections, s) {
			return nil, fmt.Errorf("bench: unknown section %q (want %s)", s, strings.Join(Sections, ", "))
		}
	}
	r := &Report{}
	var st *stack
	if cfg.wants(SectionCPU) || cfg.wants(SectionMCP) {
		var err error
		if st, err = newStack(ctx); err != nil {
			return nil, err
		}
		defer st.Close()
		r.Env = envLine(len(st.page), st.rows)
	} else {
		r.Env = envLine(0, 0)
	}
	if cfg.wants(SectionCPU) {
		logf(cfg.Log, "cpu: Client.Do, Toolbox.Call and in-process MCP against a raw GET, %d rounds of %d calls", cfg.Rounds, cfg.Calls)
		if err := runCPU(ctx, &cfg, st, r); err != nil {
			return nil, fmt.Errorf("bench: cpu: %w", err)
		}
	}
	if cfg.wants(SectionMCP) {
		if err := runLoad(ctx, &cfg, st, r); err != nil {
			return nil, fmt.Errorf("bench: mcp: %w", err)
		}
	}
	if cfg.wants(SectionStart) || cfg.wants(SectionRSS) || cfg.wants(SectionBatch) {
		bins, cleanup, err := binaries(ctx, &cfg)
		if err != nil {
			return nil, fmt.Errorf("bench: building the binaries: %w", err)
		}
		defer cleanup()
		if cfg.wants(SectionStart) {
			if err := runStart(ctx, &cfg, bins, r); err != nil {
				return nil, fmt.Errorf("bench: start: %w", err)
			}
		}
		if cfg.wants(SectionRSS) {
			if err := runIdleRSS(ctx, &cfg, bins, r); err != nil {
				return nil, fmt.Errorf("bench: rss: %w", err)
			}
		}
		if cfg.wants(SectionBatch) {
			if err := runBatch(ctx, &cfg, bins, r); err != nil {
				return nil, fmt.Errorf("bench: batch: %w", err)
			}
		}
	}
	if cfg.wants(SectionParse) {
		logf(cfg.Log, "parse: tools.Parse of the built-in document against json.Unmarshal, %d rounds", cfg.Rounds)
		runParse(&cfg, r)
	}
	return r, nil
}

func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "bench: "+format+"\n", args...)
}

// Markdown writes the report as README's Measured section takes it: the
// goal table, then the load table.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "%s\n\n", r.Env)
	if len(r.Rows) > 0 {
		fmt.Fprintln(w, "| what | figure: median (min–max of the rounds) | medians behind it | goal |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, row := range r.Rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", row.What, row.Figure, row.Detail, row.Goal)
		}
		fmt.Fprintln(w)
	}
	if len(r.Scaling) > 0 {
		fmt.Fprintln(w, "MCP tools/call over Streamable HTTP, tollgate / bare mcp-go server:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| sessions | calls/s tollgate / bare | ratio (min–max) | p50 tollgate / bare | p99 tollgate / bare | CPU per call tollgate / bare | CPU ratio |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
		for _, s := range r.Scaling {
			fmt.Fprintf(w, "| %d | %.0f / %.0f | %s | %s / %s | %s / %s | %s / %s | %s |\n", s.Sessions,
				s.Rate[0], s.Rate[1], ratioText(s.Ratio),
				msText(s.P50[0]), msText(s.P50[1]), msText(s.P99[0]), msText(s.P99[1]),
				usText(us(s.CPUPerCall[0])), usText(us(s.CPUPerCall[1])), ratioText(s.CPURatio))
		}
		fmt.Fprintln(w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

func msText(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func us(d time.Duration) float64 { return float64(d) / 1e3 }

// note adds a remark to the report and logs it.
func (r *Report) note(log io.Writer, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Notes = append(r.Notes, msg)
	logf(log, "%s", msg)
}
