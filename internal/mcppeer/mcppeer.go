// Package mcppeer is the MCP client the gateway's and the MCP face's
// tests drive tollgate's server with: one Peer type that is mcp-go's
// client or the official Go SDK's (github.com/modelcontextprotocol/go-sdk),
// pinned to one protocol revision and speaking that revision's own terms
// (logging/setLevel or a level in every request's _meta,
// resources/subscribe or a subscriptions/listen stream). A Peer reaches
// its server in process (mcp-go's in-process client, the SDK's over stdio
// pipes) or over Streamable HTTP with a bearer token, recording every HTTP
// exchange (Wire) so a test can check what went over the network and not
// only what a client library made of it.
//
// Feature tests run against every Kind (ForEach), so every MCP feature is
// tested in both revisions with both clients. The package is imported by
// _test files only: it never reaches a binary.
package mcppeer

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// The protocol revisions a Peer speaks: the one with sessions, and the
// stateless one.
const (
	Legacy = mcp.ProtocolVersion20251125
	Modern = mcp.ProtocolVersion20260728
)

// A Kind is a client library pinned to one protocol revision.
type Kind struct {
	Name    string // for subtests: "mcp-go/2025-11-25"
	SDK     bool   // the official Go SDK's client, not mcp-go's
	Version string // Legacy or Modern
}

// Modern reports whether k speaks the stateless revision.
func (k Kind) Modern() bool { return mcp.IsModernProtocol(k.Version) }

// Kinds are every client library in every revision.
var Kinds = []Kind{
	{"mcp-go/" + Legacy, false, Legacy},
	{"mcp-go/" + Modern, false, Modern},
	{"go-sdk/" + Legacy, true, Legacy},
	{"go-sdk/" + Modern, true, Modern},
}

// ForEach runs f for every Kind, in parallel subtests of t.
func ForEach(t *testing.T, f func(t *testing.T, k Kind)) {
	t.Helper()
	for _, k := range Kinds {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			f(t, k)
		})
	}
}

// Elicit answers a server's question (elicitation) as a user would:
// its message and requested schema in, the action ("accept",
// "decline", "cancel") and the content out.
type Elicit func(ctx context.Context, message string, schema any) (action string, content map[string]any, err error)

// Options are what a Peer offers its server.
type Options struct {
	// Elicit, when set, makes the client offer elicitation.
	Elicit Elicit
}

// LogMsg is one notifications/message a Peer received.
type LogMsg struct {
	Level string
	Data  map[string]any
}

// Seen is what a Peer has received so far from its server's
// notifications.
type Seen struct {
	Logs    []LogMsg // notifications/message
	Updates []string // notifications/resources/updated, their URIs
	Acks    int      // subscriptions acknowledged (2026-07-28)
}

// A Peer is one MCP client connected to a server. Its methods that take
// a *testing.T fail the test on a protocol error.
type Peer struct {
	Kind Kind
	// Info is the serverInfo the server answered initialize with.
	Info mcp.Implementation
	// Wire records the HTTP exchanges of a peer over HTTP; nil in
	// process.
	Wire *Wire

	mg    *client.Client
	cs    *sdk.ClientSession
	level string // the SDK's per-request log level (2026-07-28)

	mu   sync.Mutex
	seen Seen
	news chan struct{}
}

// ServeFunc serves an MCP server over stdio: it reads the client's
// messages from in and writes the server's to out until in ends.
type ServeFunc func(ctx context.Context, in io.Reader, out io.Writer) error

// InProcess connects a client of kind k to srv in process: mcp-go's
// in-process client to srv itself, the SDK's client over pipes that
// serve runs srv on (the server's stdio face).
func InProcess(t *testing.T, k Kind, srv *server.MCPServer, serve ServeFunc, o Options) *Peer {
	t.Helper()
	p := newPeer(k)
	if k.SDK {
		r, w := Pipe(t, serve)
		p.connectSDK(t, &sdk.IOTransport{Reader: r, Writer: w}, o)
	} else {
		p.connectMCPGoInProcess(t, srv, o)
	}
	return p
}

// HTTP connects a client of kind k over Streamable HTTP to the MCP
// endpoint at url, sending token (if any) as a bearer token and
// recording every exchange in the peer's Wire.
func HTTP(t *testing.T, k Kind, url, token string, o Options) *Peer {
	t.Helper()
	p := newPeer(k)
	p.Wire = &Wire{}
	hc := p.Wire.Client(token, nil)
	if k.SDK {
		p.connectSDK(t, &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, o)
	} else {
		p.connectMCPGoHTTP(t, url, hc, o)
	}
	return p
}

func newPeer(k Kind) *Peer { return &Peer{Kind: k, news: make(chan struct{}, 1000)} }

// Pipe runs serve over a pair of pipes and returns the client's ends;
// serve's input ends when the test does, and the test fails if serve
// then does not return within 10 s or returns an error other than the
// closed pipe.
func Pipe(t *testing.T, serve ServeFunc) (io.ReadCloser, io.WriteCloser) {
	t.Helper()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(context.Background(), sr, sw)
		_ = sw.Close()
	}()
	t.Cleanup(func() {
		_ = cw.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, io.ErrClosedPipe) {
				t.Errorf("serving over stdio: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the stdio server did not return after its input closed")
		}
		_ = cr.Close()
	})
	return cr, cw
}

// note records a notification under the lock and wakes WaitFor.
func (p *Peer) note(f func(s *Seen)) {
	p.mu.Lock()
	f(&p.seen)
	p.mu.Unlock()
	select {
	case p.news <- struct{}{}:
	default:
	}
}

// WaitFor waits up to 10 s until cond holds of what the peer has seen;
// cond is called with the peer's lock held, so it must not call the
// peer's methods, and must not keep s's slices.
func (p *Peer) WaitFor(t *testing.T, what string, cond func(s Seen) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		ok := cond(p.seen)
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-p.news:
		case <-deadline:
			t.Fatalf("%s: waited 10 s for %s", p.Kind.Name, what)
		}
	}
}

// Logs returns a copy of the log messages received so far.
func (p *Peer) Logs() []LogMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]LogMsg(nil), p.seen.Logs...)
}

// Updates returns a copy of the resource URIs told updated so far.
func (p *Peer) Updates() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen.Updates...)
}
