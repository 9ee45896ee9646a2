package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/mcpserver"
)

// runServe serves the tools over MCP: stdio by default, Streamable HTTP
// with --http.
func runServe(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("tollgate serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	sf := stackFlags{getenv: c.getenv}
	sf.register(fs)
	httpAddr := fs.String("http", "", "serve Streamable HTTP at ADDR/mcp instead of stdio (a port or :port binds 127.0.0.1; 0.0.0.0:PORT needs --http-token)")
	token := fs.String("http-token", "", "bearer token HTTP clients must send (default $"+envHTTPToken+"); required on non-loopback addresses")
	mode := fs.String("mode", string(mcpserver.ModeStatic), "static: one MCP tool per operation; dynamic: search/describe/call tools for hosts that cap the tool count")
	logLevel := fs.String("log-level", "info", "log level on stderr: debug, info, warn, error")
	quiet := fs.Bool("quiet", false, "no banner on stderr")
	gf := gatewayFlags{getenv: c.getenv}
	gf.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: tollgate serve [--sandbox] [--http ADDR] [flags]\n\nServe the TrendTrack API as MCP tools with a credit budget. Reads %s and %s\nunless --sandbox is given.\n\n", envAPIKey, envBaseURL)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	m := mcpserver.Mode(*mode)
	if m != mcpserver.ModeStatic && m != mcpserver.ModeDynamic {
		return usageErrorf("--mode %q: want static or dynamic", *mode)
	}
	logger, err := gf.logger(c.stderr, *logLevel)
	if err != nil {
		return err
	}
	if *token == "" {
		if *token, err = secretFromEnv(c.getenv, envHTTPToken, logger); err != nil {
			return err
		}
	}
	if *httpAddr != "" {
		addr, err := gateway.ListenAddr(*httpAddr)
		if err != nil {
			return usageErrorf("%v", err)
		}
		*httpAddr = addr
		if err := gateway.CheckHTTPExposure(*httpAddr, *token != "" || gf.clientsPath() != ""); err != nil {
			return usageErrorf("%v", err)
		}
	}
	st, err := sf.build(ctx, logger, "tollgate/"+version())
	if err != nil {
		return err
	}
	defer st.Close()
	mcpOpts := mcpserver.Options{Version: version(), Mode: m, Logger: logger}

	if *httpAddr == "" {
		if !*quiet {
			transport := "stdio (MCP on stdin/stdout)"
			if c.stdinIsTerminal {
				transport = "stdio: waiting for an MCP host on stdin/stdout; this terminal is not one (attach a host as below; Ctrl-C quits)"
			}
			banner(c.stderr, st, &sf, m, transport, "")
		}
		stdio := server.NewStdioServer(mcpserver.New(st.Box, mcpOpts))
		stdio.SetErrorLogger(log.New(c.stderr, "mcp: ", 0))
		err := stdio.Listen(ctx, c.stdin, c.stdout)
		if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}

	gw, err := gf.openGateway(ctx, st, &sf, mcpOpts, *token, logger)
	if err != nil {
		return err
	}
	defer gw.Close()
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *httpAddr, err)
	}
	hs := &http.Server{
		Handler:           gw.gw.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	url := "http://" + ln.Addr().String() + "/mcp"
	logger.Info("serving MCP over Streamable HTTP", "url", url)
	if !*quiet {
		auth := *token
		if gf.clientsPath() != "" {
			auth = "per client"
		}
		banner(c.stderr, st, &sf, m, "Streamable HTTP at "+url, auth)
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

// banner tells a person in a terminal what is running and how to attach.
func banner(w io.Writer, st *stack, sf *stackFlags, m mcpserver.Mode, transport, token string) {
	api := st.BaseURL
	if st.Sandbox != nil {
		api = "embedded sandbox at " + st.BaseURL + " (synthetic data, no real credits)"
	}
	cat := st.Box.Catalogue()
	b := st.Budget.Status()
	capText := "no cap"
	if b.RunCap != nil {
		capText = fmt.Sprintf("%d credits for this process", *b.RunCap)
		if sf.sharedName() != "" {
			capText = fmt.Sprintf("%d credits shared by every process on budget %q", *b.RunCap, sf.sharedName())
		}
	}
	balance := "unknown until the first paid call"
	if b.CreditsRemaining != nil {
		balance = fmt.Sprintf("%d credits", *b.CreditsRemaining)
		if b.RefillAt != nil {
			balance += ", refills " + b.RefillAt.Format("2006-01-02")
		}
	}
	fmt.Fprintf(w, "tollgate %s: TrendTrack API as MCP tools\n", version())
	fmt.Fprintf(w, "  transport  %s\n", transport)
	fmt.Fprintf(w, "  api        %s\n", api)
	if m == mcpserver.ModeDynamic {
		fmt.Fprintf(w, "  tools      4 (dynamic mode: search, describe and call %d operations; catalogue from %s)\n", cat.Len(), cat.Source)
	} else {
		fmt.Fprintf(w, "  tools      %d (toolsets: %s; catalogue from %s)\n", cat.Len(), strings.Join(cat.Toolsets(), ", "), cat.Source)
	}
	fmt.Fprintf(w, "  budget     cap %s, floor %d, balance %s\n", capText, b.Reserve, balance)
	if strings.HasPrefix(transport, "stdio") {
		fmt.Fprintf(w, "  attach     claude mcp add tollgate -- tollgate serve%s\n", sandboxFlag(sf))
	} else if token != "" {
		fmt.Fprintf(w, "  attach     send \"Authorization: Bearer <token>\" to %s\n", strings.TrimPrefix(transport, "Streamable HTTP at "))
	} else {
		fmt.Fprintf(w, "  attach     claude mcp add --transport http tollgate %s\n", strings.TrimPrefix(transport, "Streamable HTTP at "))
	}
}

func sandboxFlag(sf *stackFlags) string {
	if sf.sandbox {
		return " --sandbox"
	}
	return ""
}
