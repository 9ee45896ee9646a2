package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

// runSandbox serves the simulator alone until interrupted.
func runSandbox(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("tollgate sandbox", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", "127.0.0.1:8787", "address to listen on")
	seed := fs.Int64("seed", sandbox.DefaultSeed, "seed of the synthetic data set and of random faults")
	credits := fs.Int64("credits", sandbox.DefaultRecurringLimit, "recurring credits of the demo workspace")
	topup := fs.Int64("topup", 0, "top-up credits of the demo workspace")
	perSecond := fs.Float64("rate", sandbox.DefaultRatePerSecond, "rate limit per key, requests per second")
	burst := fs.Int("burst", sandbox.DefaultRateBurst, "rate limit burst per key")
	noLimit := fs.Bool("no-rate-limit", false, "disable the rate limit")
	errorRate := fs.Float64("error-rate", 0, "fraction of requests answered 500 internal_error")
	dropRate := fs.Float64("drop-rate", 0, "fraction of connections dropped without an answer")
	malformedRate := fs.Float64("malformed-rate", 0, "fraction of successes with a malformed body")
	latency := fs.Duration("latency", 0, "latency added to every request")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "Usage: tollgate sandbox [flags]\n\nServe the TrendTrack API simulator. It prints its base URL and a demo key.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	for name, r := range map[string]float64{"--error-rate": *errorRate, "--drop-rate": *dropRate, "--malformed-rate": *malformedRate} {
		if r < 0 || r > 1 {
			return usageErrorf("%s %v: want a fraction from 0 to 1", name, r)
		}
	}
	cfg := sandbox.Config{
		Seed:        *seed,
		RateLimit:   sandbox.RateLimit{PerSecond: *perSecond, Burst: *burst, Disabled: *noLimit},
		Faults:      sandbox.Faults{ErrorRate: *errorRate, DropRate: *dropRate, MalformedRate: *malformedRate, Latency: *latency},
		DemoCredits: sandbox.Credits{Recurring: *credits, Topup: *topup},
	}
	sb, err := sandbox.Start(*addr, cfg)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	if *credits == 0 && *topup == 0 {
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

// flagError maps flag parsing errors: -h is a success, the rest usage.
func flagError(err error) error {
	if err == flag.ErrHelp {
		return &exitError{code: exitOK, err: fmt.Errorf("")}
	}
	return usageErrorf("%v", err)
}
