package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/startgc"
	"github.com/tollgate-mcp/tollgate/mcpserver"
)

// startGarbageDelay is how long after a server is built its start's
// garbage is collected: past a host's first exchange (a few ms), well
// before anyone looks at an idle server's memory.
const startGarbageDelay = 200 * time.Millisecond

// runServe serves the tools over MCP: stdio by default, Streamable HTTP
// with --http.
func runServe(ctx context.Context, c *cli, o *serveOptions) error {
	defer startgc.End() // at the latest; see releaseStart below
	logger, err := o.gateway.logger(c.stderr, o.logLevel)
	if err != nil {
		return err
	}
	token, err := o.tokenFile(c.getenv, logger)
	if err != nil {
		return err
	}
	httpAddr := o.http
	if httpAddr != "" {
		addr, err := listenAddr(httpAddr)
		if err != nil {
			return usageErrorf("%v", err)
		}
		httpAddr = addr
		if err := checkHTTPExposure(httpAddr, token != "" || o.gateway.clientsPath() != ""); err != nil {
			return usageErrorf("%v", err)
		}
	}
	o.stack.allTools = mcpMode(o.mode) == modeDynamic // dynamic mode reaches every operation
	st, err := o.stack.build(ctx, logger, "tollgate/"+version())
	if err != nil {
		return err
	}
	defer st.Close()
	m := mcpMode(o.mode)
	srv := newMCPServer(st.Box, m, o.confirmAbove, logger)
	// What is left of the start's allocations is garbage that an idle
	// server would keep (it allocates nothing that would trigger a
	// collection): collect it and give the memory back once the host's
	// first requests (initialize, tools/list) have been answered, rather
	// than on the same cores as them. The collector runs at its usual
	// pace from then on (startgc).
	releaseStart := time.AfterFunc(startGarbageDelay, func() {
		startgc.End()
		debug.FreeOSMemory()
	})
	defer releaseStart.Stop()
	// The banner is for a person at a terminal; an MCP host that
	// captures stderr into its log gets nothing but real log lines.
	showBanner := !o.quiet && c.stderrIsTerminal

	if httpAddr == "" {
		if showBanner {
			transport := "stdio (MCP on stdin/stdout)"
			if c.stdinIsTerminal {
				transport = "stdio: waiting for an MCP host on stdin/stdout; this terminal is not one (attach a host as below; Ctrl-C quits)"
			}
			banner(c, st, o, transport, attachStdio(c, &o.stack))
		}
		// At the end of stdin the calls in flight finish and are answered.
		err := mcpserver.ServeStdio(ctx, srv, c.stdin, c.stdout)
		if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}

	gw, err := o.gateway.openGateway(ctx, st, &o.stack, mcpOptions(m, o.confirmAbove, logger), token, logger)
	if err != nil {
		return err
	}
	defer gw.Close()
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", httpAddr, err)
	}
	hs := &http.Server{
		Handler:           gw.gw.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	local, remote := advertisedURLs(httpAddr, ln.Addr(), os.Hostname)
	logger.Info("serving MCP over Streamable HTTP", "url", local)
	switch {
	case showBanner:
		transport := "Streamable HTTP at " + local
		if remote != "" {
			transport += " (every interface; from other machines " + remote + ")"
		}
		banner(c, st, o, transport, attachHTTP(local, token != "" || o.gateway.clientsPath() != ""))
	case !o.quiet:
		// Without a terminal, one line: where to connect.
		fmt.Fprintf(c.stderr, "tollgate serve: Streamable HTTP at %s\n", local)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Calls in progress get ten seconds to finish and be answered; then
	// whatever is still open (an idle SSE stream, say) is closed.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
	}
	<-errc
	return nil
}

// advertisedURLs are the URLs to print for a server listening on ln at
// the address asked for: an address of every interface (0.0.0.0, ::) is
// no address to connect to, so local is the loopback URL and remote the
// URL with this machine's host name; otherwise local is the URL of the
// address asked for and remote is "".
func advertisedURLs(asked string, ln net.Addr, hostname func() (string, error)) (local, remote string) {
	host, _, err := net.SplitHostPort(asked)
	_, port, perr := net.SplitHostPort(ln.String())
	if err != nil || perr != nil {
		return "http://" + ln.String() + "/mcp", ""
	}
	url := func(h string) string { return "http://" + net.JoinHostPort(h, port) + "/mcp" }
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		local = url("127.0.0.1")
		if ip != nil && ip.To4() == nil {
			local = url("::1")
		}
		if name, err := hostname(); err == nil && name != "" {
			remote = url(name)
		} else {
			remote = url("<this machine's address>")
		}
		return local, remote
	}
	return url(host), ""
}

// attachStdio is the command that attaches Claude Code to this server
// over stdio.
func attachStdio(c *cli, sf *stackFlags) string {
	cmd := "claude mcp add tollgate -- " + c.self + " serve" + sandboxFlag(sf)
	if strings.HasPrefix(c.self, "go run") {
		// go run's binary is gone when it exits: a host needs an
		// installed one.
		cmd = "go install ./cmd/tollgate, then: claude mcp add tollgate -- tollgate serve" + sandboxFlag(sf)
	}
	return cmd
}

// attachHTTP is the command that attaches Claude Code to url; the token
// itself is never printed.
func attachHTTP(url string, token bool) string {
	if token {
		return fmt.Sprintf("claude mcp add --transport http tollgate %s --header \"Authorization: Bearer $%s\"", url, envHTTPToken)
	}
	return "claude mcp add --transport http tollgate " + url
}

// banner tells a person in a terminal what is running and how to attach.
func banner(c *cli, st *stack, o *serveOptions, transport, attach string) {
	w := c.stderr
	api := st.BaseURL
	if st.Sandbox != nil {
		api = "embedded sandbox at " + st.BaseURL + " (synthetic data, no real credits)"
	}
	cat := st.Box.Catalogue()
	b := st.Start
	capText := "no cap"
	if b.RunCap != nil {
		capText = plural(*b.RunCap, "credit") + " for this process"
		if o.stack.sharedName() != "" {
			capText = fmt.Sprintf("%s shared by every process on budget %q", plural(*b.RunCap, "credit"), o.stack.sharedName())
		}
	}
	balance := "unknown until the first paid call"
	if b.CreditsRemaining != nil {
		balance = plural(*b.CreditsRemaining, "credit")
		if b.RefillAt != nil {
			balance += ", refills " + b.RefillAt.Format("2006-01-02")
		}
	}
	fmt.Fprintf(w, "tollgate %s: TrendTrack API as MCP tools\n", version())
	fmt.Fprintf(w, "  transport  %s\n", transport)
	fmt.Fprintf(w, "  api        %s\n", api)
	if mcpMode(o.mode) == modeDynamic {
		fmt.Fprintf(w, "  tools      4 (dynamic mode: search, describe and call %d operations; catalogue from %s)\n", cat.Len(), cat.Source)
	} else {
		fmt.Fprintf(w, "  tools      %d (toolsets: %s; catalogue from %s)\n", cat.Len(), strings.Join(cat.Toolsets(), ", "), cat.Source)
	}
	fmt.Fprintf(w, "  budget     cap %s, floor %d, balance %s\n", capText, b.Reserve, balance)
	fmt.Fprintf(w, "  attach     %s\n", attach)
}

func sandboxFlag(sf *stackFlags) string {
	if sf.sandbox {
		return " --sandbox"
	}
	return ""
}
