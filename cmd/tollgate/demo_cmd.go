package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// demoOptions are the flags of tollgate demo.
type demoOptions struct {
	stack      stackFlags // always the sandbox; the rate-limit flags set it
	maxCredits int64
	retryAfter int
	search     string
}

func newDemoCmd(c *cli) *cobra.Command {
	o := &demoOptions{
		stack: stackFlags{sandbox: true, credits: sandbox.DefaultRecurringLimit, warnAt: budget.DefaultWarnAt,
			maxResult: tools.DefaultMaxResultBytes, getenv: c.getenv},
		maxCredits: 50, retryAfter: 2, search: "coffee",
	}
	cmd := &cobra.Command{
		Use:     "demo",
		GroupID: cmdGroupStart,
		Short:   "Play a short scripted agent session against the embedded sandbox",
		Long: `Play a scripted agent session in this process: the API simulator, tollgate's
MCP server and an MCP client talking MCP. The agent lists the tools, pages
through a search, waits out a rate limit (the sandbox is told to answer 429),
has its last page fitted to the budget, and is stopped at the credit cap with
the advice a model receives. No key, no network, no real credits.`,
		Example: `  tollgate demo

  # A wider search and a larger cap
  tollgate demo --search shoes --max-credits 120

  # No provoked wait
  tollgate demo --retry-after 0`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd.Context(), c, o) },
	}
	addGroup(cmd, groupBudget, func(fs *pflag.FlagSet) {
		fs.Var(&intValue[int64]{p: &o.maxCredits, min: 1, want: "a number of credits, 1 or more", typ: "N"},
			"max-credits", "the run cap the demo plays against")
	})
	addGroup(cmd, groupSandbox, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.search, "search", o.search, "the `WORDS` the scripted agent searches for")
		fs.Var(&intValue[int]{p: &o.retryAfter, min: 0, max: 60, want: "a number of seconds from 0 to 60", typ: "SECONDS"},
			"retry-after", "seconds of the rate limit the demo provokes")
	})
	o.stack.addSandboxRateFlags(cmd)
	return cmd
}
