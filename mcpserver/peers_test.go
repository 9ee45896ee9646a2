package mcpserver_test

import (
	"context"
	"io"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/approvaltest"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
)

// The feature tests run a real MCP client (mcppeer) against e's server
// in process: mcp-go's in-process client, and the official Go SDK's over
// ServeStdio, each in both revisions. The gateway's tests run the same
// clients over HTTP.

// connect connects a client of kind k to e's server in process.
func connect(t *testing.T, e *testenv.Env, k mcppeer.Kind, o mcppeer.Options) *mcppeer.Peer {
	t.Helper()
	return mcppeer.InProcess(t, k, e.Srv, func(ctx context.Context, in io.Reader, out io.Writer) error {
		return mcpserver.ServeStdio(ctx, e.Srv, in, out)
	}, o)
}

// inProcess is the MCP face in process, for approvaltest's scenarios.
var inProcess = approvaltest.Face{
	Start: func(t *testing.T, cfg testenv.Config, o mcpserver.Options) (*testenv.Env, approvaltest.Dial) {
		cfg.Server = o
		e := testenv.New(t, cfg)
		return e, func(k mcppeer.Kind, po mcppeer.Options) *mcppeer.Peer { return connect(t, e, k, po) }
	},
}
