package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/bench"
)

// runBench measures tollgate against its baselines (package
// internal/bench) and prints the ratio table on stdout.
func runBench(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("tollgate bench", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var cfg bench.Config
	only := fs.String("only", "", "comma-separated sections to run: "+strings.Join(bench.Sections, ", ")+" (default all)")
	fs.IntVar(&cfg.Rounds, "rounds", 9, "interleaved rounds of each comparison (the start runs twice as many)")
	fs.IntVar(&cfg.Calls, "calls", 200, "calls per side per round in the CPU comparisons")
	sessions := fs.String("sessions", "1,4,16,64", "session counts of the MCP HTTP load runs")
	fs.IntVar(&cfg.LoadRounds, "load-rounds", 5, "rounds of each load run")
	fs.DurationVar(&cfg.LoadDuration, "duration", 0, "length of one load run per server (default 1s)")
	batchLines := fs.String("batch-lines", "1000,10000,100000", "input sizes of the batch runs")
	fs.DurationVar(&cfg.Settle, "settle", 0, "how long an idle server is left before its RSS is read (default 1s)")
	fs.StringVar(&cfg.Tollgate, "tollgate", "", "tollgate binary to spawn (default: built from the checkout)")
	fs.StringVar(&cfg.Bare, "bare", "", "baseline server binary to spawn (default: built from internal/bench/bare/baremcp)")
	quick := fs.Bool("quick", false, "a short run (3 rounds, 1 and 16 sessions, 1k and 10k batch lines) to try the harness")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to FILE (servers are labelled: pprof -tagfocus side=tollgate)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "Usage: tollgate bench [flags]\n\nMeasure tollgate against its baselines, interleaved, and print the ratio table\n(median and min–max of the rounds) on stdout. Run it in a tollgate checkout: it\nbuilds the binaries it spawns. Linux only.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if cfg.Sessions, err = intList("--sessions", *sessions); err != nil {
		return err
	}
	if cfg.BatchLines, err = intList("--batch-lines", *batchLines); err != nil {
		return err
	}
	if *quick {
		cfg.Rounds, cfg.Calls, cfg.LoadRounds = 3, 50, 1
		cfg.Sessions, cfg.BatchLines = []int{1, 16}, []int{1000, 10000}
	}
	cfg.Only = splitList(*only)
	for _, s := range cfg.Only {
		if !slices.Contains(bench.Sections, s) {
			return usageErrorf("--only %q: want some of %s", s, strings.Join(bench.Sections, ", "))
		}
	}
	cfg.Log = c.stderr
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
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
	rep.Markdown(c.stdout)
	return nil
}

func intList(flagName, s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return nil, usageErrorf("%s: %q is not a positive number", flagName, p)
		}
		out = append(out, n)
	}
	return out, nil
}
