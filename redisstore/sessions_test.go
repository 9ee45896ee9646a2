package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
)

func TestSessionsExpireAndEnd(t *testing.T) {
	t.Parallel()
	rc := newRedis(t, redistest.URL(t))
	s := redisstore.NewSessions(rc, "t:s:")
	ctx := context.Background()
	if err := s.Create(ctx, "k1", []byte(`{"client":"alice"}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "k1", []byte(`{}`), time.Hour); err == nil {
		t.Error("a second Create of the same key succeeded")
	}
	b, ok, err := s.Get(ctx, "k1", time.Hour)
	if err != nil || !ok || string(b) != `{"client":"alice"}` {
		t.Fatalf("Get: %q %v %v", b, ok, err)
	}
	// Get renews the TTL it is given.
	if err := s.Create(ctx, "k2", []byte(`x`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "k2", 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ttl := rc.PTTL(ctx, "t:s:session:k2").Val(); ttl > 5*time.Millisecond {
		t.Errorf("TTL after Get = %v, want it renewed to 5ms", ttl)
	}
	if err := s.Delete(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(ctx, "k1", time.Hour); ok || err != nil {
		t.Errorf("a deleted session: found %v, err %v", ok, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func TestPeersAndSharedSecret(t *testing.T) {
	t.Parallel()
	rc := newRedis(t, redistest.URL(t))
	ctx, cancel := context.WithCancel(context.Background())
	p := redisstore.NewPeers(rc, "t:p:")
	got := make(chan string, 1)
	done, err := p.Subscribe(ctx, func(m []byte) { got <- string(m) })
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "hello" {
			t.Errorf("got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing delivered")
	}
	cancel()
	<-done

	a, err := redisstore.SharedSecret(context.Background(), rc, "t:p:")
	if err != nil {
		t.Fatal(err)
	}
	b, err := redisstore.SharedSecret(context.Background(), rc, "t:p:")
	if err != nil || string(a) != string(b) || len(a) != 32 {
		t.Errorf("two instances got different secrets (%d, %d bytes): %v", len(a), len(b), err)
	}
}

// TestSessionBudgetsUpdateAtomically has 8 goroutines add to one
// session's ledger at once.
func TestSessionBudgetsUpdateAtomically(t *testing.T) {
	t.Parallel()
	rc := newRedis(t, redistest.URL(t))
	store := redisstore.SessionBudgets(rc, "t:b:", time.Hour)("k")
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if _, err := store.Settle(ctx, budget.Settlement{Charge: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	l, err := store.Load(ctx)
	if err != nil || l.Spent != 200 {
		t.Errorf("Spent = %d (%v), want 200", l.Spent, err)
	}
	if ttl := rc.TTL(ctx, "t:b:session-budget:k").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL %v, want the session's hour", ttl)
	}
}
