package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageOptions are the flags of tollgate usage.
type usageOptions struct {
	stack    stackFlags
	json     bool
	logLevel string
}

func newUsageCmd(c *cli) *cobra.Command {
	o := &usageOptions{stack: stackFlags{getenv: c.getenv, noTools: true}}
	cmd := &cobra.Command{
		Use:     "usage",
		GroupID: cmdGroupRun,
		Short:   "Print the balance, the refill date and the budget's view",
		Long: `Print the workspace's credit balance and refill date (GET /v1/usage, which is
free) and what the budget controller would let one process spend with the
given --max-credits, --reserve and shared budget.

Reads ` + envAPIKey + ` (and ` + envBaseURL + `), or use --sandbox.`,
		Example: `  export TRENDTRACK_API_KEY=tt_live_...
  tollgate usage

  # As JSON: the API's answer and the budget's view
  tollgate usage --json --max-credits 500 --reserve 1000

  # What a shared budget has left
  tollgate usage --budget-redis redis://localhost:6379/0 --budget-name team`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.stack.check(cmd.Flags()); err != nil {
				return err
			}
			return runUsage(cmd.Context(), c, o)
		},
	}
	o.stack.addStackFlags(cmd, stackParts{})
	addGroup(cmd, groupOutput, func(fs *pflag.FlagSet) {
		fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	})
	addLogLevel(cmd, &o.logLevel)
	return cmd
}
