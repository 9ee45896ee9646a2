package runtime

import (
	"context"
	"time"
)

// An Observer is told about every HTTP response and every wait of a
// Client. It is the one seam through which other layers (the budget
// controller, progress reporting, metrics) follow calls; it must be safe
// for concurrent use and must not block.
type Observer interface {
	// ObserveResponse is called once per HTTP response received, retries
	// included, with the metering the response carried. ctx is the
	// context of the Do call.
	ObserveResponse(ctx context.Context, r *Request, status int, m Metering)
	// ObserveWait is called before each wait: for a retry, or for the
	// server's pace (Reason ReasonPacing).
	ObserveWait(ctx context.Context, r *Request, w Wait)
}

// Wait describes a pause before an attempt.
type Wait struct {
	// Attempt is the attempt that just failed (1 = first); for a pacing
	// wait, the attempts made so far (0 before the first).
	Attempt int
	Delay   time.Duration // how long the client will wait
	// Reason is the code that caused it: rate_limited, internal_error,
	// network_error, ..., or ReasonPacing for the server's pace.
	Reason string
	Status int // HTTP status, 0 for transport faults and pacing
}

// ObserverFuncs adapts two functions to an Observer; either may be nil.
type ObserverFuncs struct {
	Response func(ctx context.Context, r *Request, status int, m Metering)
	Wait     func(ctx context.Context, r *Request, w Wait)
}

// ObserveResponse implements Observer.
func (o ObserverFuncs) ObserveResponse(ctx context.Context, r *Request, status int, m Metering) {
	if o.Response != nil {
		o.Response(ctx, r, status, m)
	}
}

// ObserveWait implements Observer.
func (o ObserverFuncs) ObserveWait(ctx context.Context, r *Request, w Wait) {
	if o.Wait != nil {
		o.Wait(ctx, r, w)
	}
}

type observerKey struct{}

// WithCallObserver returns a context whose calls are also reported to o,
// on top of the Client's observers. The MCP face uses it to turn one tool
// call's waits into progress notifications. A nil o is ignored, as in
// WithObserver.
func WithCallObserver(ctx context.Context, o Observer) context.Context {
	if o == nil {
		return ctx
	}
	prev, _ := ctx.Value(observerKey{}).([]Observer)
	next := append(append([]Observer(nil), prev...), o)
	return context.WithValue(ctx, observerKey{}, next)
}

func callObservers(ctx context.Context) []Observer {
	obs, _ := ctx.Value(observerKey{}).([]Observer)
	return obs
}
