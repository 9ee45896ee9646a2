package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newHealthcheckCmd is tollgate healthcheck: whether a running serve is
// alive (/healthz) or ready (/readyz). It is the container image's
// HEALTHCHECK, which has no shell and no curl.
func newHealthcheckCmd(c *cli) *cobra.Command {
	timeout := 3 * time.Second
	cmd := &cobra.Command{
		Use:     "healthcheck [URL]",
		GroupID: cmdGroupOther,
		Short:   "Exit 0 when a running serve answers /healthz (container health checks)",
		Long: `Exit 0 when URL (default http://127.0.0.1:8080/healthz) answers 200, else 1.
Ask .../readyz instead to know whether the server is ready to spend: the
catalogue is loaded, the balance is known and its stores answer.`,
		Example: `  tollgate healthcheck
  tollgate healthcheck http://127.0.0.1:8080/readyz`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return &cmdUsageError{cmd: cmd, msg: fmt.Sprintf("want at most one URL, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			url := "http://127.0.0.1:8080/healthz"
			if len(args) == 1 {
				url = args[0]
			}
			return runHealthcheck(cmd.Context(), url, timeout)
		},
	}
	addGroup(cmd, groupOutput, func(fs *pflag.FlagSet) {
		fs.DurationVar(&timeout, "timeout", timeout, "give up after this long")
	})
	return cmd
}

func runHealthcheck(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
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
