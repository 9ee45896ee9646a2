package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/tollgate-mcp/tollgate/gateway"
)

// runLedger summarises an audit ledger (serve --ledger) by day, client
// and tool.
func runLedger(_ context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("tollgate ledger", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: tollgate ledger [--json] FILE\n\nSum the audit ledger of tollgate serve --ledger FILE by day (UTC), client and tool:\ncalls, failed calls, credits reserved and credits charged.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageErrorf("want one ledger file, got %d arguments", fs.NArg())
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return usageErrorf("%v", err)
	}
	defer f.Close()
	s, err := gateway.SummarizeLedger(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", fs.Arg(0), err)
	}
	if s.Skipped > 0 {
		fmt.Fprintf(c.stderr, "tollgate ledger: skipped %d line(s) that are not ledger entries (a line torn by a crash mid-write can only be the last)\n", s.Skipped)
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "day\tclient\ttool\tcalls\tfailed\treserved\tcharged\t")
	row := func(r gateway.LedgerRow) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t\n", r.Day, r.Client, r.Tool, r.Calls, r.Failed,
			strconv.FormatInt(r.Reserved, 10), strconv.FormatInt(r.Charged, 10))
	}
	for _, r := range s.Rows {
		row(r)
	}
	row(s.Total)
	return tw.Flush()
}
