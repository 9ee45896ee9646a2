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
//	tollgate ledger [--json] FILE       sum an audit ledger by day, client and tool
//	tollgate healthcheck [URL]          exit 0 when a running serve is alive
//	tollgate version                    the module version and VCS revision (also --version)
//	tollgate help [command]             a command's flags and examples
//	tollgate completion bash|zsh|fish   a shell completion script
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
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tollgate-mcp/tollgate/internal/buildinfo"
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
	// self is how a person runs this binary again, for the hints we
	// print ("tollgate", an absolute path, or "go run ./cmd/tollgate");
	// "" means "tollgate".
	self string
	// args is the command line as given, for the resume hint.
	args []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore the default handling: commands
	// finish their calls in flight, and a second Ctrl-C kills at once.
	context.AfterFunc(ctx, stop)
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdinIsTerminal: isTerminal(os.Stdin), stderrIsTerminal: isTerminal(os.Stderr), self: selfCommand()}
	code := run(ctx, c, os.Args[1:])
	stop()
	os.Exit(code)
}

// report prints err, if any, and returns the exit code: one line naming
// the command, and for a command-line mistake a second line pointing at
// the help.
func report(w io.Writer, cmd *cobra.Command, err error) int {
	if err == nil {
		return exitOK
	}
	prefix := "tollgate"
	if cmd != nil && cmd.HasParent() {
		prefix = cmd.CommandPath()
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(w, "%s: %v\n", prefix, ee.err)
		}
		return ee.code
	}
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	fmt.Fprintf(w, "%s: %s\n", prefix, msg)
	var ue *cmdUsageError
	if errors.As(err, &ue) {
		fmt.Fprintln(w, ue.hint())
	}
	if errors.Is(err, errUsage) {
		return exitUsage
	}
	return exitFailure
}

// version is the module version, or "dev" (see internal/buildinfo).
func version() string { return buildinfo.Version() }

// selfCommand is how to run this binary again: "tollgate" when that is
// what PATH finds, "go run ./cmd/tollgate" under go run (whose binary is
// deleted on exit), else the binary's absolute path.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "tollgate"
	}
	if strings.Contains(exe, string(os.PathSeparator)+"go-build") {
		return "go run ./cmd/tollgate"
	}
	if p, err := exec.LookPath("tollgate"); err == nil {
		if a, err1 := os.Stat(p); err1 == nil {
			if b, err2 := os.Stat(exe); err2 == nil && os.SameFile(a, b) {
				return "tollgate"
			}
		}
	}
	return exe
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
