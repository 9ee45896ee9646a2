// Command tollgate lets LLM agents use the TrendTrack API without burning
// credits or tripping over its errors.
//
// Usage:
//
//	tollgate demo                       play a scripted agent session against the embedded sandbox
//	tollgate serve [--sandbox] [flags]  MCP server on stdio (or --http ADDR)
//	tollgate batch --in F --out F       run JSONL tool calls under a credit cap
//	tollgate usage [--json]             balance, refill date and the budget's view
//	tollgate sandbox [--addr ADDR]      run the API simulator alone
//	tollgate version
//
// The real API is configured with TRENDTRACK_API_KEY and optionally
// TRENDTRACK_BASE_URL. Logs go to stderr; under stdio, stdout is the MCP
// channel. Exit codes: 0 success, 1 failure, 2 bad usage or configuration,
// 3 stopped at the credit cap (batch).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitCap     = 3
)

// exitError carries a specific exit code (the batch cap, for example).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// cli is what a command may touch of the process.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// stdinIsTerminal and stderrIsTerminal are decided once, in main.
	stdinIsTerminal  bool
	stderrIsTerminal bool
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "play a short scripted agent session against the embedded sandbox", runDemo},
		{"serve", "serve the API as MCP tools (stdio, or --http ADDR)", runServe},
		{"batch", "run JSONL tool calls under a credit cap, resumable", runBatch},
		{"usage", "print the balance, the refill date and the budget's view", runUsage},
		{"sandbox", "serve the API simulator alone", runSandbox},
		{"version", "print the version", runVersion},
		{"bench", "measure tollgate against its baselines (in a checkout)", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore the default handling: commands
	// finish their calls in flight, and a second Ctrl-C kills at once.
	go func() { <-ctx.Done(); stop() }()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdinIsTerminal: isTerminal(os.Stdin), stderrIsTerminal: isTerminal(os.Stderr)}
	code := run(ctx, c, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, c *cli, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printHelp(c.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name != args[0] {
			continue
		}
		err := cmd.run(ctx, c, args[1:])
		return report(c.stderr, cmd.name, err)
	}
	fmt.Fprintf(c.stderr, "tollgate: unknown command %q\n\n", args[0])
	printHelp(c.stderr)
	return exitUsage
}

func report(w io.Writer, name string, err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(w, "tollgate %s: %v\n", name, ee.err)
		}
		return ee.code
	}
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	fmt.Fprintf(w, "tollgate %s: %s\n", name, msg)
	if errors.Is(err, errUsage) {
		return exitUsage
	}
	return exitFailure
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "tollgate %s: the TrendTrack API as budget-capped tools for LLM agents\n\nUsage: tollgate <command> [flags]\n\nCommands:\n", version())
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "\nStart with: tollgate demo\nRun 'tollgate <command> -h' for its flags. The real API reads %s (and %s).\n", envAPIKey, envBaseURL)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func runVersion(_ context.Context, c *cli, _ []string) error {
	fmt.Fprintln(c.stdout, "tollgate", version())
	return nil
}

// newLogger logs to stderr at the given level, as text.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
