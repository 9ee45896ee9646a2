package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// usageReport is the JSON of tollgate usage --json.
type usageReport struct {
	// API is GET /v1/usage as the API answered it.
	API *runtime.Usage `json:"api"`
	// Budget is the controller's view with the flags given.
	Budget budget.Status `json:"budget"`
}

// runUsage prints the balance and refill date of the configured API and
// what the budget controller would let this process spend.
func runUsage(ctx context.Context, c *cli, o *usageOptions) error {
	log, err := newLogger(c.stderr, o.logLevel)
	if err != nil {
		return err
	}
	st, err := o.stack.build(ctx, log, "tollgate/"+version())
	if err != nil {
		return err
	}
	defer st.Close()
	if st.UsageErr != nil {
		a := runtime.Advise(st.UsageErr)
		return fmt.Errorf("GET /v1/usage failed: %s (%s). %s", a.Message, a.Code, a.Action)
	}
	rep := usageReport{API: st.Usage, Budget: st.Budget.Status()}
	if o.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printUsage(c, st.BaseURL, o.stack.sharedName(), rep, time.Now())
	return nil
}

func printUsage(c *cli, baseURL, shared string, rep usageReport, now time.Time) {
	u, b := rep.API, rep.Budget
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "API\t%s\n", baseURL)
	fmt.Fprintf(w, "Workspace\t%s (%s)\n", u.Workspace.Name, u.Workspace.Slug)
	fmt.Fprintf(w, "Key access\t%s\n", u.Credential.AccessLevel)
	fmt.Fprintf(w, "Credits left\t%d\n", u.Credits.TotalRemaining)
	fmt.Fprintf(w, "  recurring\t%d of %d (%d used this period)\n", u.Credits.Recurring.Remaining, u.Credits.Recurring.Limit, u.Credits.Recurring.Used)
	fmt.Fprintf(w, "  top-up\t%d (never expires)\n", u.Credits.Topup.Balance)
	if at, ok := u.RefillAt(); ok {
		fmt.Fprintf(w, "Refills\t%s (in %s)\n", at.Format(time.RFC3339), humanDuration(at.Sub(now)))
	} else {
		fmt.Fprintf(w, "Refills\tunknown (billing not configured)\n")
	}
	fmt.Fprintf(w, "\t\n")
	if shared != "" {
		fmt.Fprintf(w, "Budget shared through Redis\t%q (every process using it)\n", shared)
	} else {
		fmt.Fprintf(w, "Budget of one tollgate process\t(with these flags)\n")
	}
	if b.RunCap != nil {
		fmt.Fprintf(w, "  run cap\t%s (--max-credits)\n", plural(*b.RunCap, "credit"))
	} else {
		fmt.Fprintf(w, "  run cap\tnone (--max-credits none)\n")
	}
	fmt.Fprintf(w, "  floor\t%s never spent (--reserve)\n", plural(b.Reserve, "credit"))
	if b.Available == budget.NoLimit {
		fmt.Fprintf(w, "  may spend now\tno limit known\n")
	} else {
		fmt.Fprintf(w, "  may spend now\t%s\n", plural(b.Available, "credit"))
	}
	if b.Exhausted {
		fmt.Fprintf(w, "  state\texhausted until the refill\n")
	}
	w.Flush()
}

func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "the past"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	default:
		return d.Round(time.Minute).String()
	}
}
