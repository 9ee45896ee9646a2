package cache_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/cache"
)

// waitFor spins until cond holds (no sleeping: it yields), failing the
// test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFlightRunsOnceForConcurrentCallers(t *testing.T) {
	var g cache.Flight[string]
	var runs atomic.Int32
	release := make(chan struct{})
	fn := func(context.Context) (string, error) {
		runs.Add(1)
		<-release
		return "answer", nil
	}
	const n = 16
	var wg sync.WaitGroup
	results := make(chan bool, n)
	wg.Go(func() {
		v, shared, err := g.Do(ctx, "k", fn)
		if v != "answer" || err != nil {
			t.Errorf("leader got %q, %v", v, err)
		}
		results <- shared
	})
	waitFor(t, "the leader to start", func() bool { return runs.Load() == 1 })
	for range n - 1 {
		wg.Go(func() {
			v, shared, err := g.Do(ctx, "k", fn)
			if v != "answer" || err != nil {
				t.Errorf("follower got %q, %v", v, err)
			}
			results <- shared
		})
	}
	waitFor(t, "15 followers", func() bool { return g.Waiting("k") == n-1 })
	close(release)
	wg.Wait()
	close(results)
	sharedCount := 0
	for s := range results {
		if s {
			sharedCount++
		}
	}
	if runs.Load() != 1 || sharedCount != n-1 {
		t.Errorf("fn ran %d times, %d callers shared; want 1 and %d", runs.Load(), sharedCount, n-1)
	}
	if g.Waiting("k") != 0 || g.Waiters() != 0 {
		t.Error("a finished key still has waiters")
	}
	// Once done, the next call runs again: Flight is not a cache.
	release = make(chan struct{})
	close(release)
	if _, shared, _ := g.Do(ctx, "k", fn); shared || runs.Load() != 2 {
		t.Error("a call after the flight ended did not run")
	}
}

func TestFlightKeysAreIndependent(t *testing.T) {
	var g cache.Flight[int]
	block := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _, _ = g.Do(ctx, "slow", func(context.Context) (int, error) { close(started); <-block; return 1, nil })
	}()
	<-started
	v, shared, err := g.Do(ctx, "fast", func(context.Context) (int, error) { return 2, nil })
	close(block)
	if v != 2 || shared || err != nil {
		t.Errorf("another key waited or shared: %d %v %v", v, shared, err)
	}
	waitFor(t, "the slow key to finish", func() bool { return g.Waiting("slow") == 0 })
}

func TestAWaitingCallerLeavesWhenItsContextEnds(t *testing.T) {
	var g cache.Flight[string]
	release := make(chan struct{})
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		v, _, err := g.Do(ctx, "k", func(context.Context) (string, error) { close(started); <-release; return "late", nil })
		if v != "late" || err != nil {
			t.Errorf("leader got %q, %v", v, err)
		}
	}()
	<-started
	fctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, _, err := g.Do(fctx, "k", nil); errc <- err }()
	waitFor(t, "the follower", func() bool { return g.Waiting("k") == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("follower err = %v, want its own cancellation", err)
	}
	if g.Waiting("k") != 0 || g.Waiters() != 0 {
		t.Error("the follower that left is still counted")
	}
	close(release)
	<-done
}

func TestFollowersRunAgainWhenTheLeaderGivesUp(t *testing.T) {
	var g cache.Flight[string]
	var runs atomic.Int32
	lctx, cancelLeader := context.WithCancel(ctx)
	started := make(chan struct{})
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := g.Do(lctx, "k", func(c context.Context) (string, error) {
			runs.Add(1)
			close(started)
			<-c.Done()
			return "", c.Err()
		})
		leaderErr <- err
	}()
	<-started
	type res struct {
		v      string
		shared bool
		err    error
	}
	out := make(chan res, 1)
	go func() {
		v, shared, err := g.Do(ctx, "k", func(context.Context) (string, error) { runs.Add(1); return "mine", nil })
		out <- res{v, shared, err}
	}()
	waitFor(t, "the follower", func() bool { return g.Waiting("k") == 1 })
	cancelLeader()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader err = %v", err)
	}
	r := <-out
	if r.v != "mine" || r.shared || r.err != nil || runs.Load() != 2 {
		t.Errorf("follower got %+v after %d runs; want its own run's answer", r, runs.Load())
	}
}

func TestFollowersShareTheLeadersOwnFailure(t *testing.T) {
	var g cache.Flight[string]
	boom := errors.New("404 not_found")
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _, _ = g.Do(ctx, "k", func(context.Context) (string, error) { close(started); <-release; return "", boom })
	}()
	<-started
	errc := make(chan error, 1)
	go func() {
		_, shared, err := g.Do(ctx, "k", func(context.Context) (string, error) { return "ran again", nil })
		if !shared {
			err = errors.New("did not share")
		}
		errc <- err
	}()
	waitFor(t, "the follower", func() bool { return g.Waiting("k") == 1 })
	close(release)
	if err := <-errc; !errors.Is(err, boom) {
		t.Errorf("follower err = %v, want the shared failure", err)
	}
}

func TestAPanicReachesEveryCaller(t *testing.T) {
	var g cache.Flight[string]
	release := make(chan struct{})
	started := make(chan struct{})
	recovered := make(chan any, 2)
	call := func(fn func(context.Context) (string, error)) {
		defer func() { recovered <- recover() }()
		_, _, _ = g.Do(ctx, "k", fn)
	}
	go call(func(context.Context) (string, error) { close(started); <-release; panic("boom") })
	<-started
	go call(nil)
	waitFor(t, "the follower", func() bool { return g.Waiting("k") == 1 })
	close(release)
	for range 2 {
		if p := <-recovered; p != "boom" {
			t.Errorf("recovered %v, want boom on every caller's goroutine", p)
		}
	}
	// The key is free again.
	if v, _, err := g.Do(ctx, "k", func(context.Context) (string, error) { return "ok", nil }); v != "ok" || err != nil {
		t.Errorf("after the panic: %q, %v", v, err)
	}
}
