// Command baremcp serves the benchmarks' baseline MCP server (package
// bare) over stdio, or over Streamable HTTP at ADDR/mcp with -http ADDR.
// The bench harness (internal/cmd/bench) builds it and runs it beside tollgate serve.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/internal/bench/bare"
)

func main() {
	addr := flag.String("http", "", "serve Streamable HTTP at ADDR/mcp instead of stdio")
	upstream := flag.String("upstream", "http://127.0.0.1:1", "the API's base URL")
	key := flag.String("key", "", "the API key")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := bare.New(*upstream, *key, nil)
	var err error
	if *addr == "" {
		err = server.NewStdioServer(srv).Listen(ctx, os.Stdin, os.Stdout)
	} else {
		hs := &http.Server{Addr: *addr, Handler: server.NewStreamableHTTPServer(srv, server.WithEndpointPath("/mcp"))}
		go func() { <-ctx.Done(); _ = hs.Close() }()
		err = hs.ListenAndServe()
		if err == http.ErrServerClosed {
			err = nil
		}
	}
	if err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "baremcp:", err)
		os.Exit(1)
	}
}
