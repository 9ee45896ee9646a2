package gateway_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

// downPeers is a Peers whose Subscribe fails until up is set.
type downPeers struct {
	up, subscribed atomic.Bool
}

func (p *downPeers) Publish(context.Context, []byte) error { return nil }

func (p *downPeers) Subscribe(ctx context.Context, _ func([]byte)) (<-chan struct{}, error) {
	if !p.up.Load() {
		return nil, errors.New("connection refused")
	}
	p.subscribed.Store(true)
	done := make(chan struct{})
	go func() { <-ctx.Done(); close(done) }()
	return done, nil
}

// TestAGatewayWhosePeersAreDownServesAndSubscribesLater: Peers that do
// not answer at start (Redis down) do not stop the gateway; it
// subscribes once they answer, and Close ends the retries.
func TestAGatewayWhosePeersAreDownServesAndSubscribesLater(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	peers := &downPeers{}
	g, url := serve(t, e, gateway.Config{Peers: peers})
	alice := newRaw(t, url, "", modern)
	if r := alice.call(context.Background(), 1, "get_me", nil); r.status != 200 {
		t.Fatalf("a call with the peers down: HTTP %d: %s", r.status, r.body)
	}
	peers.up.Store(true)
	for deadline := time.Now().Add(5 * time.Second); !peers.subscribed.Load(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not subscribe once its peers answered")
		}
	}
	closed := make(chan struct{})
	go func() { _ = g.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}

	// Peers that never answer: Close still ends the retries.
	never, err := gateway.New(gateway.Config{Toolbox: e.Box, Peers: &downPeers{}})
	if err != nil {
		t.Fatal(err)
	}
	closed = make(chan struct{})
	go func() { _ = never.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close of a gateway whose peers never answered did not return")
	}
}
