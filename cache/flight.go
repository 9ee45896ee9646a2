package cache

import (
	"context"
	"errors"
	"sync"
)

// Flight shares one run of a function among the callers that ask with
// the same key while it runs: the first caller (the leader) runs it, on
// its own goroutine and with its own context; the others wait for its
// result. The zero value is ready to use.
//
// It is written out rather than taken from golang.org/x/sync/singleflight,
// whose Do makes the others wait with no way out when their own context
// ends, whose DoChan re-panics on a goroutine of its own (a panic there
// kills the process instead of reaching the caller's recovery), and which
// hands a leader's cancellation to every caller. Here a waiting caller
// leaves when its context ends, a panic reaches every caller on its own
// goroutine, and when the leader's context ended its call the others run
// the function again rather than fail for a reason that is not theirs.
type Flight[V any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[V]
}

type flightCall[V any] struct {
	done    chan struct{}
	waiting int // callers waiting besides the leader

	val       V
	err       error
	panicked  bool
	panicVal  any
	goexit    bool  // fn called runtime.Goexit (t.FailNow in a test)
	leaderErr error // the leader's ctx.Err() when fn returned
}

// Do runs fn for key, or waits for the run already in flight for key. It
// returns fn's results and whether they were another caller's (shared).
// A caller whose ctx ends while it waits gets ctx's error. If fn panics,
// every caller panics with the same value.
func (g *Flight[V]) Do(ctx context.Context, key string, fn func(ctx context.Context) (V, error)) (v V, shared bool, err error) {
	for {
		g.mu.Lock()
		if g.calls == nil {
			g.calls = map[string]*flightCall[V]{}
		}
		c, inFlight := g.calls[key]
		if !inFlight {
			c = &flightCall[V]{done: make(chan struct{})}
			g.calls[key] = c
			g.mu.Unlock()
			return g.lead(ctx, key, c, fn)
		}
		c.waiting++
		g.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			g.mu.Lock()
			c.waiting--
			g.mu.Unlock()
			var zero V
			return zero, false, ctx.Err()
		}
		if c.panicked {
			panic(c.panicVal)
		}
		if c.goexit {
			continue
		}
		if c.leaderErr != nil && c.err != nil && ctx.Err() == nil &&
			(errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded)) {
			continue // the leader gave up, not us: run it again
		}
		return c.val, true, c.err
	}
}

// Waiting returns how many callers wait for the run in flight for key.
func (g *Flight[V]) Waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.calls[key]; ok {
		return c.waiting
	}
	return 0
}

// Waiters returns how many callers wait for runs in flight, all keys
// together.
func (g *Flight[V]) Waiters() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.calls {
		n += c.waiting
	}
	return n
}

func (g *Flight[V]) lead(ctx context.Context, key string, c *flightCall[V], fn func(context.Context) (V, error)) (v V, shared bool, err error) {
	normal := false
	defer func() {
		if !normal {
			if p := recover(); p != nil {
				c.panicked, c.panicVal = true, p
			} else {
				c.goexit = true
			}
		}
		c.leaderErr = ctx.Err()
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(c.done)
		if c.panicked {
			panic(c.panicVal)
		}
	}()
	c.val, c.err = fn(ctx)
	normal = true
	return c.val, false, c.err
}
