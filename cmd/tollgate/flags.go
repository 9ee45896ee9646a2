package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Flag groups, in the order help shows them. A command lists only the
// groups, and within them only the flags, it uses.
const (
	groupServer  = "Server"
	groupBatch   = "Batch"
	groupAPI     = "API"
	groupBudget  = "Budget"
	groupTools   = "Tools"
	groupSandbox = "Sandbox"
	groupOutput  = "Output"
)

// groupKey is the pflag annotation holding a flag's group.
const groupKey = "tollgate_group"

// addGroup registers the flags that add defines on cmd, in group title.
func addGroup(cmd *cobra.Command, title string, add func(fs *pflag.FlagSet)) {
	fs := pflag.NewFlagSet(title, pflag.ContinueOnError)
	fs.SortFlags = false
	add(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		_ = fs.SetAnnotation(f.Name, groupKey, []string{title})
	})
	cmd.Flags().SortFlags = false // help lists flags in the order they are added
	cmd.Flags().AddFlagSet(fs)
}

// stackParts says which of the shared flags a command uses.
type stackParts struct {
	sandboxRate bool // --sandbox-rate and --sandbox-burst
	perCall     bool // --max-per-call and --warn-at
	pacing      bool // --rate
	tools       bool // --toolsets, --tools, --read-only, --max-result-bytes
}

// addStackFlags registers the flags of stackFlags that a command uses:
// where the API is, the budget, and (with parts) pacing, the sandbox's
// rate limit and the tool selection.
func (f *stackFlags) addStackFlags(cmd *cobra.Command, parts stackParts) {
	getenv := f.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	f.budgetRedisEnv = strings.TrimSpace(getenv(envBudgetRedis))
	f.credits = sandbox.DefaultRecurringLimit
	f.maxCredits = budget.DefaultMaxCredits

	addGroup(cmd, groupAPI, func(fs *pflag.FlagSet) {
		fs.BoolVar(&f.sandbox, "sandbox", false, "use the embedded API simulator instead of the real API (no key needed)")
		if parts.pacing {
			fs.Var(&floatValue{p: &f.rate, min: 0, minOpen: true, max: 1e6, want: "requests per second, a number above 0 (leave --rate out for no client-side pacing)", typ: "R"},
				"rate", "client-side pacing in requests per second (default: none; the API's own limit still applies)")
		}
	})
	addGroup(cmd, groupBudget, func(fs *pflag.FlagSet) {
		fs.Var(&intValue[int64]{p: &f.maxCredits, min: 0, word: "none", wordVal: budget.Unlimited,
			want: "a number of credits, 0 or more, or none for no cap", typ: "N|none", why: maxCreditsWhy},
			"max-credits", "the most credits this process may spend, or with --budget-redis every process sharing the budget together; 0: free calls only; none: no cap")
		fs.Var(&intValue[int64]{p: &f.reserve, min: 0, want: "a number of credits, 0 or more", typ: "N"},
			"reserve", "credits of the workspace never to spend (left for other users)")
		if parts.perCall {
			fs.Var(&intValue[int64]{p: &f.maxPerCall, min: 0, want: "a number of credits, 0 (no limit) or more", typ: "N"},
				"max-per-call", "the most credits one call may reserve (0: no limit)")
			f.warnAt = budget.DefaultWarnAt
			fs.Var(&floatValue{p: &f.warnAt, min: 0, minOpen: true, max: 1, want: "a fraction above 0 and at most 1, e.g. 0.8", typ: "F"},
				"warn-at", "fraction of --max-credits after which results carry a warning")
		}
		fs.StringVar(&f.budgetRedis, "budget-redis", "", "share the budget (spend, calls in flight, balance) with every tollgate process using the Redis at `URL` and --budget-name: "+
			"redis://[user:password@]host[:port][/db], rediss://... or unix:///path (default $"+envBudgetRedis+")")
		fs.StringVar(&f.budgetName, "budget-name", "default", "with --budget-redis: the shared budget's `NAME`; its spend stays in Redis after the run, so use a new name to start a new cap")
	})
	if parts.tools {
		f.maxResult = tools.DefaultMaxResultBytes
		addGroup(cmd, groupTools, func(fs *pflag.FlagSet) {
			fs.StringVar(&f.toolsets, "toolsets", "", "comma-separated `LIST` of toolsets to offer (default all)")
			fs.StringVar(&f.tools, "tools", "", "comma-separated `LIST` of tool names to offer (default all)")
			fs.BoolVar(&f.readOnly, "read-only", false, "offer only tools that change nothing")
			fs.Var(&intValue[int]{p: &f.maxResult, min: 1024, want: "a number of bytes, 1024 or more", typ: "N"},
				"max-result-bytes", "cut results larger than this many bytes of JSON (by whole rows)")
		})
		f.addCacheFlags(cmd) // cache.go
		_ = cmd.RegisterFlagCompletionFunc("toolsets", completeWith(func() []string { return tools.BuiltIn().Toolsets() }))
		_ = cmd.RegisterFlagCompletionFunc("tools", completeWith(func() []string { return toolNames(nil) }))
	}
	addGroup(cmd, groupSandbox, func(fs *pflag.FlagSet) {
		fs.Var(&intValue[int64]{p: &f.credits, min: 0, want: "a number of credits, 0 or more", typ: "N"},
			"sandbox-credits", "with --sandbox: the demo workspace's starting balance")
	})
	if parts.sandboxRate {
		f.addSandboxRateFlags(cmd)
	}
}

// addSandboxRateFlags registers the embedded sandbox's rate limit.
func (f *stackFlags) addSandboxRateFlags(cmd *cobra.Command) {
	f.sandboxRate, f.sandboxBurst = sandbox.DefaultRatePerSecond, sandbox.DefaultRateBurst
	addGroup(cmd, groupSandbox, func(fs *pflag.FlagSet) {
		fs.Var(&floatValue{p: &f.sandboxRate, min: 0, minOpen: true, max: 1e6, want: "requests per second, a number above 0", typ: "R"},
			"sandbox-rate", "with --sandbox: the simulator's rate limit per key, requests per second")
		fs.Var(&intValue[int]{p: &f.sandboxBurst, min: 1, max: 1 << 20, want: "a number of requests, 1 or more", typ: "N"},
			"sandbox-burst", "with --sandbox: the simulator's rate limit burst per key")
	})
}

// maxCreditsWhy explains why a negative --max-credits, which older
// versions read as "no cap", is refused.
func maxCreditsWhy(n int64) string {
	if n < 0 {
		return "a cap cannot be negative (-1 no longer means no cap); give a number of credits, 0 (free calls only) or more, or none for no cap"
	}
	return ""
}

// check reports flags that only mean something with another flag.
func (f *stackFlags) check(fs *pflag.FlagSet) error {
	if !f.sandbox {
		for _, name := range []string{"sandbox-credits", "sandbox-rate", "sandbox-burst"} {
			if fs.Changed(name) {
				return usageErrorf("--%s goes with --sandbox: the real API sets its own credits and rate limit", name)
			}
		}
	}
	if fs.Changed("budget-name") && f.sharedName() == "" {
		return usageErrorf("--budget-name goes with --budget-redis (or $%s): without Redis the budget is this process's own", envBudgetRedis)
	}
	return nil
}

// addLogLevel registers --log-level, whose default is the same for
// every command.
func addLogLevel(cmd *cobra.Command, p *string) {
	*p = defaultLogLevel
	addGroup(cmd, groupOutput, func(fs *pflag.FlagSet) {
		fs.Var(&choiceValue{p: p, choices: []string{"debug", "info", "warn", "error"}}, "log-level", "what to log on stderr")
	})
	_ = cmd.RegisterFlagCompletionFunc("log-level", completeList([]string{"debug", "info", "warn", "error"}))
}

// defaultLogLevel is every command's --log-level: warnings and errors
// only, so that logs on stderr are things to act on. info adds retries,
// budget halts and the shared budget's identity; debug adds every call.
const defaultLogLevel = "warn"

func completeList(words []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeWith is completeList of words computed when a shell asks, so
// that commands that are not completing do not build them.
func completeWith(words func() []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return words(), cobra.ShellCompDirectiveNoFileComp
	}
}

// toolNames lists the built-in catalogue's tools that keep accepts (all
// when keep is nil), for completions.
func toolNames(keep func(*tools.Tool) bool) []string {
	var names []string
	for _, t := range tools.BuiltIn().Tools() {
		if keep == nil || keep(t) {
			names = append(names, t.Name)
		}
	}
	return names
}

// flagNames returns the long names of cmd's flags.
func flagNames(cmd *cobra.Command) []string {
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	return names
}

// quoteValue shows a flag value in a message: as it is when it is a
// plain word or number, quoted otherwise.
func quoteValue(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\") {
		return s
	}
	return fmt.Sprintf("%q", s)
}
