package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

// sandboxOptions are the flags of tollgate sandbox.
type sandboxOptions struct {
	addr          string
	seed          int64
	credits       int64
	topup         int64
	rate          float64
	burst         int
	noLimit       bool
	errorRate     float64
	dropRate      float64
	malformedRate float64
	latency       time.Duration
}

func newSandboxCmd(c *cli) *cobra.Command {
	o := &sandboxOptions{addr: "127.0.0.1:8787", seed: sandbox.DefaultSeed, credits: sandbox.DefaultRecurringLimit,
		rate: sandbox.DefaultRatePerSecond, burst: sandbox.DefaultRateBurst}
	cmd := &cobra.Command{
		Use:     "sandbox",
		GroupID: cmdGroupRun,
		Short:   "Serve the API simulator alone",
		Long: `Serve the TrendTrack API simulator on its own, for your own client, curl, or a
tollgate pointed at it with ` + envBaseURL + `. It prints its base URL and a
working demo key on stderr. The data set is synthetic and deterministic for
a seed; credits, rate limits and faults behave as the real API's do.`,
		Example: `  tollgate sandbox
  # in another shell, with the URL and key it printed:
  export TRENDTRACK_BASE_URL=http://127.0.0.1:8787 TRENDTRACK_API_KEY=tt_live_demo...
  tollgate serve --max-credits 100

  # A flaky API: 5 % of requests answered 500, 1 % of connections dropped
  tollgate sandbox --error-rate 0.05 --drop-rate 0.01

  # A tight rate limit, to watch tollgate pace itself
  tollgate sandbox --rate 2 --burst 2`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSandbox(cmd.Context(), c, o) },
	}
	fraction := func(p *float64) *floatValue {
		return &floatValue{p: p, min: 0, max: 1, want: "a fraction from 0 to 1", typ: "F"}
	}
	addGroup(cmd, groupSandbox, func(fs *pflag.FlagSet) {
		fs.Var(&listenValue{p: &o.addr}, "addr", "address to listen on (a port or :port binds 127.0.0.1)")
		fs.Int64Var(&o.seed, "seed", o.seed, "seed of the synthetic data set and of random faults")
		fs.Var(&intValue[int64]{p: &o.credits, min: 0, want: "a number of credits, 0 or more", typ: "N"}, "credits", "recurring credits of the demo workspace")
		fs.Var(&intValue[int64]{p: &o.topup, min: 0, want: "a number of credits, 0 or more", typ: "N"}, "topup", "top-up credits of the demo workspace")
		fs.Var(&floatValue{p: &o.rate, min: 0, minOpen: true, max: 1e6, want: "requests per second, a number above 0", typ: "R"}, "rate", "rate limit per key, requests per second")
		fs.Var(&intValue[int]{p: &o.burst, min: 1, max: 1 << 20, want: "a number of requests, 1 or more", typ: "N"}, "burst", "rate limit burst per key")
		fs.BoolVar(&o.noLimit, "no-rate-limit", false, "disable the rate limit")
		fs.Var(fraction(&o.errorRate), "error-rate", "fraction of requests answered 500 internal_error")
		fs.Var(fraction(&o.dropRate), "drop-rate", "fraction of connections dropped without an answer")
		fs.Var(fraction(&o.malformedRate), "malformed-rate", "fraction of successes with a malformed body")
		fs.Var(&durationValue{p: &o.latency, want: "a duration of 0 or more, e.g. 200ms"}, "latency", "latency added to every request")
	})
	return cmd
}

// runSandbox serves the simulator alone until interrupted.
func runSandbox(ctx context.Context, c *cli, o *sandboxOptions) error {
	addr, err := listenAddr(o.addr)
	if err != nil {
		return usageErrorf("--addr: %v", err)
	}
	cfg := sandbox.Config{
		Seed:        o.seed,
		RateLimit:   sandbox.RateLimit{PerSecond: o.rate, Burst: o.burst, Disabled: o.noLimit},
		Faults:      sandbox.Faults{ErrorRate: o.errorRate, DropRate: o.dropRate, MalformedRate: o.malformedRate, Latency: o.latency},
		DemoCredits: sandbox.Credits{Recurring: o.credits, Topup: o.topup},
	}
	sb, err := sandbox.Start(addr, cfg)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if o.credits == 0 && o.topup == 0 {
		sb.SetCredits(sandbox.DemoKey, sandbox.Credits{})
	}
	fmt.Fprintf(c.stderr, "tollgate sandbox: the TrendTrack API simulator is serving\n  base URL: %s\n  demo key: %s\n\nUse it:\n  export %s=%s %s=%s\n  curl -H \"Authorization: Bearer $%s\" \"$%s/v1/ads?search=coffee&limit=3\"\n\nCtrl-C stops it.\n",
		sb.URL, sandbox.DemoKey, envBaseURL, sb.URL, envAPIKey, sandbox.DemoKey, envAPIKey, envBaseURL)
	<-ctx.Done()
	done := make(chan error, 1)
	go func() { done <- sb.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the sandbox did not stop within 10s")
	}
}
