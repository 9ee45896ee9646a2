package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serveOptions are the flags of tollgate serve.
type serveOptions struct {
	stack    stackFlags
	http     string
	token    string
	mode     string
	quiet    bool
	logLevel string
	gateway  gatewayFlags
	// confirmAbove asks the user before a call whose worst case exceeds
	// it (0: never ask).
	confirmAbove int64
}

func newServeCmd(c *cli) *cobra.Command {
	o := &serveOptions{stack: stackFlags{getenv: c.getenv}, mode: string(modeStatic), gateway: gatewayFlags{getenv: c.getenv}}
	cmd := &cobra.Command{
		Use:     "serve",
		GroupID: cmdGroupRun,
		Short:   "Serve the API as MCP tools (stdio, or Streamable HTTP with --http)",
		Long: `Serve the TrendTrack API as MCP tools with a credit budget: over stdio for a
host that starts tollgate itself (Claude Desktop, Claude Code), or over
Streamable HTTP at ADDR/mcp with --http. Every tool failure is a result with
advice, and no call goes past --max-credits, the --reserve floor or the
balance.

Reads ` + envAPIKey + ` (and ` + envBaseURL + `) unless --sandbox is given.
On a terminal, a banner on stderr says what runs and how to attach; stdout
is the MCP channel.`,
		Example: `  # Try it without a key: Claude Code runs the embedded sandbox
  claude mcp add tollgate -- tollgate serve --sandbox

  # The real API, at most 500 credits, 1000 never touched
  export TRENDTRACK_API_KEY=tt_live_...
  tollgate serve --max-credits 500 --reserve 1000

  # Streamable HTTP for hosts that connect by URL (loopback only)
  tollgate serve --sandbox --http 8080

  # Every interface needs a token; clients send "Authorization: Bearer <token>"
  TOLLGATE_HTTP_TOKEN=$(openssl rand -hex 16) tollgate serve --http 0.0.0.0:8080

  # A team service: a token, a cap and tools per client, metrics, an audit ledger
  tollgate serve --http 0.0.0.0:8080 --clients clients.json --budget-redis redis://redis:6379/0 \
    --max-credits 5000 --max-credits-per-session 500 --ledger ledger.jsonl --log-format json

  # Four tools (search, describe, call, budget) for hosts that cap the tool count
  tollgate serve --sandbox --mode dynamic --toolsets ads,lookup`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.stack.check(cmd.Flags()); err != nil {
				return err
			}
			return runServe(cmd.Context(), c, o)
		},
	}
	addGroup(cmd, groupServer, func(fs *pflag.FlagSet) {
		fs.Var(&listenValue{p: &o.http}, "http", "serve Streamable HTTP at ADDR/mcp instead of stdio (a port or :port binds 127.0.0.1; 0.0.0.0:PORT needs --http-token)")
		fs.StringVar(&o.token, "http-token", "", "bearer `TOKEN` HTTP clients must send (default $"+envHTTPToken+"); required on non-loopback addresses")
		fs.Var(&choiceValue{p: &o.mode, choices: []string{string(modeStatic), string(modeDynamic)}}, "mode",
			"static: one MCP tool per operation; dynamic: search/describe/call tools for hosts that cap the tool count")
		fs.Var(&intValue[int64]{p: &o.confirmAbove, min: 0, want: "a number of credits, 0 (never ask) or more", typ: "N"},
			"confirm-above", "ask the user (MCP elicitation) before a call that may spend more than N credits; hosts that cannot ask get such calls fitted to N (0: never ask)")
	})
	_ = cmd.RegisterFlagCompletionFunc("mode", completeList([]string{string(modeStatic), string(modeDynamic)}))
	o.gateway.addFlags(cmd)
	o.stack.addStackFlags(cmd, stackParts{sandboxRate: true, perCall: true, pacing: true, tools: true})
	addLogLevel(cmd, &o.logLevel)
	addGroup(cmd, groupOutput, func(fs *pflag.FlagSet) {
		fs.BoolVar(&o.quiet, "quiet", false, "no banner on stderr, even on a terminal")
		fs.Var(&choiceValue{p: &o.gateway.logFormat, choices: []string{"text", "json"}}, "log-format", "log lines on stderr as text or as JSON (one object a line)")
	})
	return cmd
}
