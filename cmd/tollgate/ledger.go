package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/gateway"
)

// newLedgerCmd is tollgate ledger: the audit ledger of serve --ledger,
// summed.
func newLedgerCmd(c *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ledger FILE",
		GroupID: cmdGroupRun,
		Short:   "Sum an audit ledger (serve --ledger) by day, client and tool",
		Long: `Sum the audit ledger that tollgate serve --ledger FILE writes, one line per
paid call, by day (UTC), client and tool: calls, failed calls, credits
reserved and credits charged.`,
		Example: `  tollgate ledger /var/lib/tollgate/ledger.jsonl

  # As JSON, for a spreadsheet or a script
  tollgate ledger --json ledger.jsonl | jq '.rows[] | select(.client == "alice")'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &cmdUsageError{cmd: cmd, msg: fmt.Sprintf("want one ledger file, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runLedger(c, args[0], asJSON) },
	}
	addGroup(cmd, groupOutput, func(fs *pflag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	})
	return cmd
}

// runLedger prints the summary of the ledger at path.
func runLedger(c *cli, path string, asJSON bool) error {
	f, err := os.Open(path)
	if err != nil {
		return usageErrorf("%v", err)
	}
	defer f.Close()
	s, err := gateway.SummarizeLedger(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if s.Skipped > 0 {
		fmt.Fprintf(c.stderr, "tollgate ledger: skipped %d line(s) that are not ledger entries (a line torn by a crash mid-write can only be the last)\n", s.Skipped)
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "day\tclient\ttool\tcalls\tfailed\treserved\tcharged")
	row := func(r gateway.LedgerRow) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Day, r.Client, r.Tool, r.Calls, r.Failed,
			strconv.FormatInt(r.Reserved, 10), strconv.FormatInt(r.Charged, 10))
	}
	for _, r := range s.Rows {
		row(r)
	}
	row(s.Total)
	return tw.Flush()
}
