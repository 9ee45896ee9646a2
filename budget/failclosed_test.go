package budget_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// flakyStore is a memory store that can be made unreachable: every call
// then fails, and settlements are kept (as a shared store keeps them) to
// be written when it is back.
type flakyStore struct {
	budget.Store
	down    atomic.Bool
	mu      sync.Mutex
	pending []budget.Settlement
}

var errUnreachable = errors.New("store unreachable (test)")

func (s *flakyStore) Load(ctx context.Context) (budget.Ledger, error) {
	if s.down.Load() {
		return budget.Ledger{}, errUnreachable
	}
	return s.Store.Load(ctx)
}

func (s *flakyStore) Reserve(ctx context.Context, h budget.Hold) (budget.Ledger, int64, error) {
	if s.down.Load() {
		return budget.Ledger{}, 0, errUnreachable
	}
	return s.Store.Reserve(ctx, h)
}

func (s *flakyStore) Settle(ctx context.Context, st budget.Settlement) (budget.Ledger, error) {
	if s.down.Load() {
		s.mu.Lock()
		s.pending = append(s.pending, st)
		s.mu.Unlock()
		return budget.Ledger{}, fmt.Errorf("%w: %w", budget.ErrPending, errUnreachable)
	}
	return s.Store.Settle(ctx, st)
}

func (s *flakyStore) Record(ctx context.Context, f budget.Fact) (budget.Ledger, error) {
	if s.down.Load() {
		return budget.Ledger{}, errUnreachable
	}
	return s.Store.Record(ctx, f)
}

// up brings the store back and writes what it kept, in order.
func (s *flakyStore) up(t *testing.T) {
	t.Helper()
	s.down.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.pending {
		if _, err := s.Store.Settle(context.Background(), st); err != nil {
			t.Fatal(err)
		}
	}
	s.pending = nil
}

func TestPaidCallsHaltWhenTheBudgetCannotBeRead(t *testing.T) {
	store := &flakyStore{Store: budget.NewMemoryStore()}
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := newCtrl(t, budget.Config{MaxCredits: 100, Reserve: 5, Store: store, Logger: logger})
	ctx := context.Background()

	held, err := c.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 30})
	if err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)

	_, err = c.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 10})
	h := mustHalt(t, err, budget.CodeStoreUnavailable)
	if !errors.Is(err, errUnreachable) || h.Operation != "listAds" || h.Needed != 1 {
		t.Errorf("halt = %+v (%v)", h, err)
	}
	a := h.Advice()
	if a.Source != "budget" || !a.Retryable || !strings.Contains(a.Action, "Free calls") || !strings.Contains(a.Action, "try the paid call again") {
		t.Errorf("advice = %+v", a)
	}
	if runtime.DispositionOf(a) != runtime.Stop {
		t.Errorf("a budget that cannot be known must stop a run's paid calls, not %v", runtime.DispositionOf(a))
	}
	if st := h.Status; st.RunCap == nil || *st.RunCap != 100 || st.Reserve != 5 || st.CreditsRemaining != nil || st.RunSpent != 0 {
		t.Errorf("a halt without a ledger should hold only the configuration: %+v", st)
	}
	if _, err := c.Preview(ctx, budget.Ask{Operation: "getAd", Fixed: 1}); !isHalt(err, budget.CodeStoreUnavailable) {
		t.Errorf("Preview with the store down = %v", err)
	}
	_, err = c.Status(ctx)
	if se, ok := errors.AsType[*budget.StoreError](err); !ok || !errors.Is(err, errUnreachable) {
		t.Errorf("Status with the store down = %v, want a StoreError wrapping the store's error", err)
	} else if a := runtime.Advise(se); a.Code != budget.CodeStoreUnavailable || !a.Retryable || a.Source != "budget" {
		t.Errorf("a StoreError advises %+v", a)
	}

	// A free call needs no store.
	free, err := c.Reserve(ctx, budget.Ask{Operation: "lookup"})
	if err != nil {
		t.Fatalf("a free call halted: %v", err)
	}
	if err := free.Finish(ctx, &runtime.Response{Status: 200}, nil); err != nil {
		t.Fatal(err)
	}

	// The call in flight settles while the store is down: the charge is
	// kept, the call's own answer is not an error.
	if err := held.Finish(ctx, &runtime.Response{Status: 200, Metering: runtime.Metering{UsageCost: runtime.Known(12)}}, nil); err != nil {
		t.Fatalf("Finish with the store down = %v", err)
	}
	if !strings.Contains(logs.String(), "kept and written when the store is back") {
		t.Errorf("a kept charge is not logged at Warn:\n%s", logs.String())
	}

	store.up(t)
	if st := status(t, c); st.RunSpent != 12 || st.InFlight != 0 {
		t.Errorf("after the store came back: %+v, want the kept 12 charged and nothing held", st)
	}
	if _, err := c.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 10}); err != nil {
		t.Errorf("after the store came back: %v", err)
	}
}

func TestFreeCallsWithoutCostHeadersAreQuiet(t *testing.T) {
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := newCtrl(t, budget.Config{MaxCredits: 100, Logger: logger})
	ctx := context.Background()
	for range 3 {
		r, err := c.Reserve(ctx, budget.Ask{Operation: "lookup"})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Finish(ctx, &runtime.Response{Status: 200}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("free calls without a cost header logged at Info:\n%s", logs.String())
	}
	// A paid one without it is an anomaly worth a line.
	r, _ := c.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 5})
	_ = r.Finish(ctx, &runtime.Response{Status: 200}, nil)
	if !strings.Contains(logs.String(), "no cost header") {
		t.Errorf("a paid response without a cost header is not logged:\n%s", logs.String())
	}
}

func isHalt(err error, code string) bool {
	h, ok := budget.AsHalt(err)
	return ok && h.Code == code
}
