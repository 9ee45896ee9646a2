package redisstore_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// TestScriptAgreesWithTheGoLedger runs random operations through the Lua
// script and through budget.Ledger's methods side by side: after every
// one, the two ledgers must be the same.
func TestScriptAgreesWithTheGoLedger(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	s := open(t, url, testName(t), fastOptions())
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seedFor(t), 1))

	var want budget.Ledger
	now := time.UnixMilli(sandboxNow.UnixMilli()).UTC()
	live := map[string]int64{} // reservation id -> credits held
	count := func() runtime.Count {
		if rng.IntN(3) == 0 {
			return runtime.Count{}
		}
		return runtime.Known(rng.Int64N(3000))
	}
	check := func(op string, got budget.Ledger) {
		t.Helper()
		if g, w := normal(got), normal(want); g != w {
			t.Fatalf("after %s:\nscript %+v\nGo     %+v", op, g, w)
		}
	}
	for i := range 400 {
		now = now.Add(time.Duration(rng.IntN(3)) * time.Hour)
		switch p := rng.IntN(10); {
		case p < 5:
			a := budget.Ask{Operation: "op", Fixed: rng.Int64N(2), Rows: rng.Int64N(120), MinRows: rng.Int64N(10), NoFit: rng.IntN(5) == 0}
			if a.Worst() == 0 {
				a.Fixed = 1
			}
			lim := budget.Limits{Cap: rng.Int64N(4000) - 500, Floor: rng.Int64N(200), PerCall: rng.Int64N(3) * rng.Int64N(80)}
			h := budget.Hold{ID: "r" + itoa(i), Ask: a, Limits: lim, Seen: count(), Now: now}
			got, held, err := s.Reserve(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if w := want.Reserve(h); w != held {
				t.Fatalf("reserve %+v under %+v of %+v: script held %d, Go %d", a, lim, want, held, w)
			}
			if held > 0 {
				live[h.ID] = held
			}
			check("reserve", got)
		case p < 8:
			id, release := "free"+itoa(i), int64(0)
			for k, v := range live {
				id, release = k, v
				break
			}
			delete(live, id)
			st := budget.Settlement{ID: id, Release: release, Charge: rng.Int64N(release + 3), Seen: count(), Remaining: count(), Now: now}
			got, err := s.Settle(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			want.Settle(st)
			check("settle", got)
			// A repeat (after a timeout whose outcome was unknown)
			// changes nothing but the balance facts, which are minima.
			again, err := s.Settle(ctx, budget.Settlement{ID: st.ID, Release: st.Release, Charge: st.Charge, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			check("a repeated settle", again)
		default:
			f := budget.Fact{Now: now, Seen: count(), Exhaust: rng.IntN(4) == 0}
			if rng.IntN(2) == 0 {
				f.Usage = &budget.UsageFact{TotalRemaining: rng.Int64N(5000), SpentBefore: rng.Int64N(want.Spent + 1), Floor: rng.Int64N(100)}
				if rng.IntN(2) == 0 {
					f.Usage.RefillAt = now.Add(time.Duration(rng.IntN(48)) * time.Hour)
				}
			}
			got, err := s.Record(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want.Record(f)
			check("record", got)
		}
	}
	l, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("load", l)
}

// normal drops what an unknown balance leaves behind.
func normal(l budget.Ledger) budget.Ledger {
	if !l.BalanceKnown {
		l.Balance, l.BalanceAt, l.BalanceSource = 0, time.Time{}, ""
	}
	return l
}

func TestTwoProcessesShareOneLedger(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	name := testName(t)
	a, b := open(t, url, name, fastOptions()), open(t, url, name, fastOptions())
	ctx := context.Background()
	lim := budget.Limits{Cap: 100}
	ask := func(s *redisstore.Budget, id string, rows int64) int64 {
		t.Helper()
		_, held, err := s.Reserve(ctx, budget.Hold{ID: id, Ask: budget.Ask{Rows: rows}, Limits: lim, Now: sandboxNow})
		if err != nil {
			t.Fatal(err)
		}
		return held
	}
	if got := ask(a, "1", 60); got != 60 {
		t.Fatalf("a holds %d, want 60", got)
	}
	if got := ask(b, "1", 60); got != 40 {
		t.Fatalf("b was granted %d of the 40 the shared cap leaves, want 40", got)
	}
	if got := ask(b, "2", 1); got != 0 {
		t.Fatalf("b was granted %d past the shared cap", got)
	}
	l, err := b.Settle(ctx, budget.Settlement{ID: "1", Release: 40, Charge: 25, Now: sandboxNow})
	if err != nil || l.Spent != 25 || l.InFlight != 60 {
		t.Fatalf("after b settled: %+v, %v", l, err)
	}
	l, err = a.Load(ctx)
	if err != nil || l.Spent != 25 || l.InFlight != 60 {
		t.Fatalf("a sees %+v, %v", l, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// What a closed process still held is counted as spent: its call
	// may still cost it.
	if l, err := b.Load(ctx); err != nil || l.Spent != 85 || l.InFlight != 0 {
		t.Fatalf("after a left holding 60: %+v, %v", l, err)
	}
	if _, _, err := a.Reserve(ctx, budget.Hold{ID: "9", Ask: budget.Ask{Rows: 1}, Limits: lim}); !errors.Is(err, redisstore.ErrClosed) {
		t.Errorf("Reserve after Close: %v", err)
	}
}

func TestANewBudgetOpensAfterEveryProcessCouldRejoin(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	opts := fastOptions()
	s := open(t, url, testName(t), opts)
	start := time.Now()
	_, held, err := s.Reserve(context.Background(), budget.Hold{ID: "1", Ask: budget.Ask{Fixed: 1}, Limits: budget.Limits{Cap: 10}, Now: sandboxNow})
	if err != nil || held != 1 {
		t.Fatalf("first reservation: %d, %v", held, err)
	}
	// Two heartbeats of LeaseTTL/3.
	if waited, window := time.Since(start), 2*opts.LeaseTTL/3; waited < window*9/10 {
		t.Errorf("a new ledger took a reservation after %v, before the %v every live process has to rejoin", waited, window)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, budget string
		opts         redisstore.BudgetOptions
		want         string
	}{
		{"empty name", "", redisstore.BudgetOptions{}, "it is empty"},
		{"hash tag in name", "a{b}", redisstore.BudgetOptions{}, "must not contain '{'"},
		{"space in name", "my budget", redisstore.BudgetOptions{}, "spaces"},
		{"short lease", "x", redisstore.BudgetOptions{LeaseTTL: time.Millisecond}, "invalid LeaseTTL 1ms"},
		{"negative timeout", "x", redisstore.BudgetOptions{Timeout: -1}, "invalid Timeout"},
		{"prefix with a hash tag", "x", redisstore.BudgetOptions{Prefix: "a{"}, "invalid key prefix"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redisstore.OpenBudget("redis://"+redistest.FreeAddr(t), tt.budget, tt.opts)
			if err == nil {
				_ = s.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(tt.name, "name") != errors.Is(err, redisstore.ErrInvalidName) {
				t.Fatalf("OpenBudget(%q, %+v) = %v, want an error containing %q", tt.budget, tt.opts, err, tt.want)
			}
		})
	}
	for _, u := range []string{"http://:hunter2@example.com", "redis://:hunter2@127.0.0.1:notaport"} {
		if _, err := redisstore.OpenBudget(u, "x", redisstore.BudgetOptions{}); err == nil ||
			!strings.Contains(err.Error(), "invalid Redis URL") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenBudget(%s) = %v, want an invalid URL without the password", redisstore.Redact(u), err)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
