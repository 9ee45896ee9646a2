package main

// The command line is built on spf13/cobra, the library gh, kubectl,
// hugo and github-mcp-server use: `tollgate help CMD`, --version, help
// on stdout, per-command flags (pflag's --long syntax), suggestions for
// mistyped commands, and bash/zsh/fish completion scripts all come with
// it, where the standard flag package gives none of them and writing
// them by hand would be a few hundred lines of our own to keep right.
// What cobra does not do its way here: help is laid out by help.go
// (flags grouped, examples first), and errors are printed by report, one
// line and a hint.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/internal/buildinfo"
	"github.com/tollgate-mcp/tollgate/internal/startgc"
	"github.com/tollgate-mcp/tollgate/internal/suggest"
)

// Command groups of the top-level help.
const (
	cmdGroupStart = "start"
	cmdGroupRun   = "run"
	cmdGroupOther = "other"
)

// newRoot builds the command tree for one run. ran is set once a
// command's own code starts: an error before that is a usage error.
func newRoot(c *cli, ran *bool) *cobra.Command {
	info := buildinfo.Read()
	root := &cobra.Command{
		Use:   "tollgate",
		Short: "The TrendTrack API as budget-capped tools for LLM agents",
		Long: `tollgate lets LLM agents use the TrendTrack API without burning credits or
tripping over its errors: an MCP server, a batch runner and a Go library over
one budget controller that halts a run before a call would end in a 402.`,
		Example: `  # A scripted agent session against the embedded sandbox (no key needed)
  tollgate demo

  # Serve the real API to Claude Code, capped at 500 credits
  claude mcp add tollgate -e TRENDTRACK_API_KEY=tt_live_... -- tollgate serve --max-credits 500

  # Help for one command
  tollgate help serve`,
		Version:       info.String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return unknownCommand(cmd, args[0])
		},
		// A bare "tollgate" is a usage mistake: print the help where
		// errors go, and exit 2.
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.ErrOrStderr())
			_ = cmd.Help()
			return &exitError{code: exitUsage, err: errors.New("")}
		},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			*ran = true
			// serve ends its start itself, once its first requests are
			// answered (see runServe); every other command ends it here.
			if cmd.Name() != "serve" {
				startgc.End()
			}
		},
	}
	root.SetVersionTemplate("tollgate {{.Version}}\n")
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetFlagErrorFunc(flagError)
	root.SetUsageFunc(usage)
	root.SetHelpCommand(newHelpCmd(root))
	root.AddGroup(
		&cobra.Group{ID: cmdGroupStart, Title: "Start here:"},
		&cobra.Group{ID: cmdGroupRun, Title: "Commands:"},
		&cobra.Group{ID: cmdGroupOther, Title: "Other commands:"},
	)
	root.SetHelpCommandGroupID(cmdGroupOther)
	root.SetCompletionCommandGroupID(cmdGroupOther)
	for _, sub := range []*cobra.Command{
		newDemoCmd(c), newServeCmd(c), newBatchCmd(c), newUsageCmd(c), newSandboxCmd(c), newLedgerCmd(c), newHealthcheckCmd(c), newVersionCmd(c),
	} {
		root.AddCommand(sub)
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, sub := range root.Commands() {
		if sub.Name() == "completion" {
			// cobra's completion command prints its help for a shell it
			// does not know, and exits 0; say what is wrong, and exit 2.
			sub.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return nil
				}
				msg := fmt.Sprintf("no completion for %q: name a shell (bash, zsh, fish or powershell)", args[0])
				if near := subcommandsNear(cmd, args[0]); len(near) > 0 {
					msg += "; did you mean " + orList(near) + "?"
				}
				return &cmdUsageError{cmd: cmd, msg: msg}
			}
			sub.RunE = func(cmd *cobra.Command, _ []string) error {
				return &cmdUsageError{cmd: cmd, msg: "name a shell: tollgate completion bash, zsh, fish or powershell"}
			}
			sub.Example = `  # Load completions in this bash session
  source <(tollgate completion bash)

  # Install them for zsh (then start a new shell)
  tollgate completion zsh > "${fpath[1]}/_tollgate"

  # Install them for fish
  tollgate completion fish > ~/.config/fish/completions/tollgate.fish`
		}
	}
	return root
}

// run executes one command line and returns the process's exit code.
func run(ctx context.Context, c *cli, args []string) int {
	if c.self == "" {
		c.self = "tollgate"
	}
	c.args = args
	var ran bool
	root := newRoot(c, &ran)
	args = singleDashLongFlags(root, args)
	// An unknown command is named as such, even when flags follow it
	// (which the root would otherwise report as unknown flags).
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if sub, _, err := root.Find(args[:1]); err == nil && sub == root && !isCompletionRequest(args[0]) {
			return report(c.stderr, root, unknownCommand(root, args[0]))
		}
	}
	root.SetArgs(append([]string{}, args...))
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !ran {
		var ee *exitError
		if !errors.As(err, &ee) && !errors.Is(err, errUsage) {
			err = &cmdUsageError{cmd: cmd, msg: err.Error()}
		}
	}
	return report(c.stderr, cmd, err)
}

// isCompletionRequest reports cobra's hidden completion commands, which
// the shell scripts call.
func isCompletionRequest(name string) bool {
	return name == cobra.ShellCompRequestCmd || name == cobra.ShellCompNoDescRequestCmd
}

// cmdUsageError is a mistake on the command line (an unknown command or
// flag, a bad value): one line, then a hint at the help.
type cmdUsageError struct {
	cmd *cobra.Command
	msg string
}

func (e *cmdUsageError) Error() string { return e.msg }
func (e *cmdUsageError) Unwrap() error { return errUsage }

// hint is the line after the error.
func (e *cmdUsageError) hint() string {
	if e.cmd == nil || !e.cmd.HasParent() {
		return "Run 'tollgate help' for the commands."
	}
	return fmt.Sprintf("Run '%s --help' for its flags and examples.", e.cmd.CommandPath())
}

// flagError turns pflag's errors into one line that names the flag and
// says what it takes, or suggests the flag that was meant.
func flagError(cmd *cobra.Command, err error) error {
	var (
		nf *pflag.NotExistError
		iv *pflag.InvalidValueError
		vr *pflag.ValueRequiredError
	)
	switch {
	case errors.As(err, &iv):
		return &cmdUsageError{cmd: cmd, msg: fmt.Sprintf("--%s %s: %v", iv.GetFlag().Name, quoteValue(iv.GetValue()), errors.Unwrap(iv))}
	case errors.As(err, &vr):
		return &cmdUsageError{cmd: cmd, msg: fmt.Sprintf("--%s needs a value", vr.GetFlag().Name)}
	case errors.As(err, &nf):
		name := nf.GetSpecifiedName()
		shown := "--" + name
		if short := nf.GetSpecifiedShortnames(); short != "" {
			// "-maxcredits" is read as shorthands; a long name with one
			// dash was meant.
			name, shown = strings.TrimLeft(short, "-"), "-"+strings.TrimLeft(short, "-")
			if i := strings.IndexByte(name, '='); i >= 0 {
				name, shown = name[:i], shown[:i+1]
			}
		}
		msg := "unknown flag " + shown
		if near := suggest.Nearest(name, flagNames(cmd)); len(near) > 0 {
			msg += "; did you mean --" + strings.Join(near, " or --") + "?"
		} else if others := commandsWithFlag(cmd.Root(), name); len(others) > 0 {
			msg += fmt.Sprintf("; it is a flag of %s, not of %s", orList(others), cmd.CommandPath())
		}
		return &cmdUsageError{cmd: cmd, msg: msg}
	}
	return &cmdUsageError{cmd: cmd, msg: err.Error()}
}

// unknownCommand is the error for a command name that does not exist.
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if near := subcommandsNear(cmd, name); len(near) > 0 {
		msg += "; did you mean " + orList(near) + "?"
	}
	return &cmdUsageError{cmd: cmd.Root(), msg: msg}
}

// subcommandsNear are cmd's subcommands nearest to a mistyped name.
func subcommandsNear(cmd *cobra.Command, name string) []string {
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			names = append(names, sub.Name())
		}
	}
	return suggest.Nearest(name, names)
}

// noArgs refuses positional arguments: every command takes flags only.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unexpected argument %q: %s takes flags only", args[0], cmd.CommandPath())
	if strings.HasPrefix(args[0], "-") {
		msg = fmt.Sprintf("unexpected argument %q (after --)", args[0])
	}
	return &cmdUsageError{cmd: cmd, msg: msg}
}

// commandsWithFlag lists the commands, other than root, that have a flag
// named name.
func commandsWithFlag(root *cobra.Command, name string) []string {
	var out []string
	for _, sub := range root.Commands() {
		if sub.Flags().Lookup(name) != nil {
			out = append(out, sub.CommandPath())
		}
	}
	return out
}

// singleDashLongFlags rewrites -name and -name=value as --name... when
// name is a long flag of some command: tollgate's flags were parsed by
// the standard flag package before, which took one dash or two, and host
// configs written then keep working. Arguments after "--" are left as
// they are.
func singleDashLongFlags(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
	long["help"], long["version"] = true, true
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if long[name] {
			out[i] = "-" + a
		}
	}
	return out
}

// newHelpCmd is "tollgate help [command]": the command's help on
// stdout, or a usage error with a suggestion for a name that is none.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help prints a command's description, usage, examples and flags.",
		Example: `  tollgate help serve
  tollgate help batch`,
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, sub := range root.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name()+"\t"+sub.Short)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, _, err := root.Find(args)
			if err != nil || target == nil || target == root && len(args) > 0 {
				msg := fmt.Sprintf("no help for %q: it is not a command", args[0])
				if near := subcommandsNear(root, args[0]); len(near) > 0 {
					msg += "; did you mean " + orList(near) + "?"
				}
				return &cmdUsageError{cmd: root, msg: msg}
			}
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			target.SetOut(cmd.OutOrStdout())
			return target.Help()
		},
	}
}
