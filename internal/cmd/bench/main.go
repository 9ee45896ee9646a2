// Command bench measures tollgate against its baselines (package
// internal/bench) and prints the ratio table on stdout:
//
//	go run ./internal/cmd/bench                      # everything, about 7 minutes
//	go run ./internal/cmd/bench -quick               # a short run to try the harness
//	go run ./internal/cmd/bench -only cpu,start -rounds 15
//	go run ./internal/cmd/bench -only cpu -cpuprofile cpu.out
//	go tool pprof -tagfocus side=tollgate cpu.out
//
// It runs in a tollgate checkout on Linux: it builds the binaries it
// spawns and reads /proc. It is a command of the repository, not of the
// tollgate binary, so that the release does not carry a harness that
// cannot run outside a checkout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/tollgate-mcp/tollgate/internal/bench"
)

// Exit codes, as tollgate's: 2 is bad usage.
const (
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a flag the harness cannot use.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run parses args, runs the harness and prints its table on stdout; it
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, cpuProfile, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = measure(ctx, cfg, cpuProfile, stdout, stderr)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "bench:", err)
	if _, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintln(stderr, "Run 'go run ./internal/cmd/bench -h' for the flags.")
		return exitUsage
	}
	return exitFailure
}

// parse reads the flags into the harness's Config.
func parse(args []string, stderr io.Writer) (bench.Config, string, error) {
	cfg := bench.Config{Rounds: 9, Calls: 200, LoadRounds: 5}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", "", "comma-separated sections to run: "+strings.Join(bench.Sections, ", ")+" (default all)")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "interleaved rounds of each comparison (the start runs twice as many)")
	fs.IntVar(&cfg.Calls, "calls", cfg.Calls, "calls per side per round in the CPU comparisons")
	sessions := fs.String("sessions", "1,4,16,64", "session counts of the MCP HTTP load runs")
	fs.IntVar(&cfg.LoadRounds, "load-rounds", cfg.LoadRounds, "rounds of each load run")
	fs.DurationVar(&cfg.LoadDuration, "duration", 0, "length of one load run per server (default 1s)")
	batchLines := fs.String("batch-lines", "1000,10000,100000", "input sizes of the batch runs")
	fs.DurationVar(&cfg.Settle, "settle", 0, "how long an idle server is left before its RSS is read (default 1s)")
	fs.StringVar(&cfg.Tollgate, "tollgate", "", "tollgate binary to spawn (default: built from the checkout)")
	fs.StringVar(&cfg.Bare, "bare", "", "baseline server binary to spawn (default: built from internal/bench/bare/baremcp)")
	quick := fs.Bool("quick", false, "a short run (3 rounds, 1 and 16 sessions, 1k and 10k batch lines) to try the harness")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE` (servers are labelled: pprof -tagfocus side=tollgate)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, "", err
		}
		return cfg, "", &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return cfg, "", usagef("unexpected argument %q: the harness takes flags only", fs.Arg(0))
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"-rounds", cfg.Rounds}, {"-calls", cfg.Calls}, {"-load-rounds", cfg.LoadRounds}} {
		if f.n < 1 {
			return cfg, "", usagef("%s %d: want 1 or more", f.name, f.n)
		}
	}
	var err error
	if cfg.Sessions, err = positiveList("-sessions", *sessions); err != nil {
		return cfg, "", err
	}
	if cfg.BatchLines, err = positiveList("-batch-lines", *batchLines); err != nil {
		return cfg, "", err
	}
	if *quick {
		cfg.Rounds, cfg.Calls, cfg.LoadRounds = 3, 50, 1
		cfg.Sessions, cfg.BatchLines = []int{1, 16}, []int{1000, 10000}
	}
	cfg.Only = splitList(*only)
	for _, s := range cfg.Only {
		if !slices.Contains(bench.Sections, s) {
			return cfg, "", usagef("-only %q: want some of %s", s, strings.Join(bench.Sections, ", "))
		}
	}
	return cfg, *cpuProfile, nil
}

// measure runs the harness, with a CPU profile when asked.
func measure(ctx context.Context, cfg bench.Config, cpuProfile string, stdout, stderr io.Writer) error {
	cfg.Log = stderr
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Markdown(stdout)
	return nil
}

func positiveList(flagName, s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, usagef("%s: %q is not a positive number", flagName, p)
		}
		out = append(out, n)
	}
	return out, nil
}

// splitList splits a comma-separated flag value, spaces ignored.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
