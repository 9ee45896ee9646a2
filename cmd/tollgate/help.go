package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpWidth is where flag descriptions wrap.
const helpWidth = 100

// flagGroupOrder is the order of flag groups in help.
var flagGroupOrder = []string{groupServer, groupBatch, groupAPI, groupBudget, groupTools, groupSandbox, groupOutput}

// usage writes a command's usage: the usage line, the subcommands by
// group, the examples, then the flags by group. Help is the command's
// description followed by this; both go to stdout when asked for (-h,
// --help, tollgate help CMD).
func usage(cmd *cobra.Command) error {
	w := cmd.OutOrStderr()
	fmt.Fprintf(w, "Usage:\n  %s\n", useLine(cmd))

	if cmd.HasAvailableSubCommands() {
		for _, g := range cmd.Groups() {
			var rows [][2]string
			for _, sub := range cmd.Commands() {
				if sub.GroupID == g.ID && (sub.IsAvailableCommand() || sub.Name() == "help") {
					rows = append(rows, [2]string{sub.Name(), sub.Short})
				}
			}
			if len(rows) > 0 {
				fmt.Fprintf(w, "\n%s\n", g.Title)
				writeRows(w, rows)
			}
		}
	}
	if cmd.HasExample() {
		fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(cmd.Example, "\n"))
	}
	writeFlagGroups(w, cmd)

	if !cmd.HasParent() {
		fmt.Fprintf(w, `
The real API reads %s (and optionally %s); --sandbox needs neither.
Exit codes: 0 success, 1 failure, 2 bad usage or configuration, 3 stopped by the credit budget.
Run 'tollgate help <command>' for a command's flags and examples.
`, envAPIKey, envBaseURL)
	} else if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nRun '%s <command> --help' for more.\n", cmd.CommandPath())
	}
	return nil
}

func useLine(cmd *cobra.Command) string {
	if cmd.HasAvailableSubCommands() && !cmd.Runnable() || !cmd.HasParent() {
		return cmd.CommandPath() + " <command> [flags]"
	}
	return cmd.UseLine()
}

// writeFlagGroups writes cmd's flags under their groups' titles; the
// flags of no group (help, version) come last.
func writeFlagGroups(w io.Writer, cmd *cobra.Command) {
	groups := map[string]*pflag.FlagSet{}
	other := pflag.NewFlagSet("other", pflag.ContinueOnError)
	cmd.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := ""
		if v := f.Annotations[groupKey]; len(v) > 0 {
			g = v[0]
		}
		if g == "" {
			other.AddFlag(f)
			return
		}
		if groups[g] == nil {
			groups[g] = pflag.NewFlagSet(g, pflag.ContinueOnError)
			groups[g].SortFlags = false
		}
		groups[g].AddFlag(f)
	})
	for _, g := range flagGroupOrder {
		if fs := groups[g]; fs != nil {
			fmt.Fprintf(w, "\n%s flags:\n%s", g, fs.FlagUsagesWrapped(helpWidth))
		}
	}
	if other.HasFlags() {
		title := "Other flags:"
		if len(groups) == 0 {
			title = "Flags:"
		}
		fmt.Fprintf(w, "\n%s\n%s", title, other.FlagUsagesWrapped(helpWidth))
	}
}

func writeRows(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
	}
}
