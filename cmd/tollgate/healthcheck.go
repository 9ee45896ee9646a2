package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealthcheck asks a running serve whether it is alive (/healthz) or
// ready (/readyz): the HEALTHCHECK of the container image, which has no
// shell and no curl.
func runHealthcheck(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("tollgate healthcheck", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: tollgate healthcheck [--timeout D] [URL]\n\nExit 0 when URL (default http://127.0.0.1:8080/healthz) answers 200, else 1.\nUse .../readyz to ask whether the server is ready to spend.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	url := "http://127.0.0.1:8080/healthz"
	switch fs.NArg() {
	case 0:
	case 1:
		url = fs.Arg(0)
	default:
		return usageErrorf("want at most one URL, got %d arguments", fs.NArg())
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageErrorf("%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", url, resp.StatusCode, body)
	}
	return nil
}
