package main

import (
	"context"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/internal/bench"
)

// benchOptions are the flags of tollgate bench.
type benchOptions struct {
	cfg        bench.Config
	only       string
	sessions   string
	batchLines string
	quick      bool
	cpuProfile string
}

func newBenchCmd(c *cli) *cobra.Command {
	o := &benchOptions{cfg: bench.Config{Rounds: 9, Calls: 200, LoadRounds: 5}, sessions: "1,4,16,64", batchLines: "1000,10000,100000"}
	cmd := &cobra.Command{
		Use:     "bench",
		GroupID: cmdGroupOther,
		Short:   "Measure tollgate against its baselines (in a checkout)",
		Long: `Measure tollgate against its baselines, interleaved round by round in one run,
and print the ratio table (median and min-max of the rounds) on stdout: the
runtime client and Toolbox.Call against a raw GET, the MCP server over
Streamable HTTP against a bare mcp-go server at 1 to 64 sessions, the start
to the first tools/list answer, idle RSS, and batch's peak RSS. Run it in a
tollgate checkout: it builds the binaries it spawns. Linux only.`,
		Example: `  # Everything (about 5 minutes)
  tollgate bench

  # A short run to try the harness
  tollgate bench --quick

  # Only the CPU comparisons, with a profile of both sides
  tollgate bench --only cpu --cpuprofile cpu.out
  go tool pprof -tagfocus side=tollgate cpu.out`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), c, o) },
	}
	addGroup(cmd, groupOutput, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.only, "only", "", "comma-separated sections to run: "+strings.Join(bench.Sections, ", ")+" (default all)")
		fs.Var(&intValue[int]{p: &o.cfg.Rounds, min: 1, want: "a number of rounds, 1 or more", typ: "N"}, "rounds", "interleaved rounds of each comparison (the start runs twice as many)")
		fs.Var(&intValue[int]{p: &o.cfg.Calls, min: 1, want: "a number of calls, 1 or more", typ: "N"}, "calls", "calls per side per round in the CPU comparisons")
		fs.StringVar(&o.sessions, "sessions", o.sessions, "session counts of the MCP HTTP load runs")
		fs.Var(&intValue[int]{p: &o.cfg.LoadRounds, min: 1, want: "a number of rounds, 1 or more", typ: "N"}, "load-rounds", "rounds of each load run")
		fs.DurationVar(&o.cfg.LoadDuration, "duration", 0, "length of one load run per server (default 1s)")
		fs.StringVar(&o.batchLines, "batch-lines", o.batchLines, "input sizes of the batch runs")
		fs.DurationVar(&o.cfg.Settle, "settle", 0, "how long an idle server is left before its RSS is read (default 1s)")
		fs.StringVar(&o.cfg.Tollgate, "tollgate", "", "tollgate binary to spawn (default: built from the checkout)")
		fs.StringVar(&o.cfg.Bare, "bare", "", "baseline server binary to spawn (default: built from internal/bench/bare/baremcp)")
		fs.BoolVar(&o.quick, "quick", false, "a short run (3 rounds, 1 and 16 sessions, 1k and 10k batch lines) to try the harness")
		fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to `FILE` (servers are labelled: pprof -tagfocus side=tollgate)")
	})
	return cmd
}

// runBench measures tollgate against its baselines (package
// internal/bench) and prints the ratio table on stdout.
func runBench(ctx context.Context, c *cli, o *benchOptions) error {
	cfg := o.cfg
	var err error
	if cfg.Sessions, err = intList("--sessions", o.sessions); err != nil {
		return err
	}
	if cfg.BatchLines, err = intList("--batch-lines", o.batchLines); err != nil {
		return err
	}
	if o.quick {
		cfg.Rounds, cfg.Calls, cfg.LoadRounds = 3, 50, 1
		cfg.Sessions, cfg.BatchLines = []int{1, 16}, []int{1000, 10000}
	}
	cfg.Only = splitList(o.only)
	for _, s := range cfg.Only {
		if !slices.Contains(bench.Sections, s) {
			return usageErrorf("--only %q: want some of %s", s, strings.Join(bench.Sections, ", "))
		}
	}
	cfg.Log = c.stderr
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
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
