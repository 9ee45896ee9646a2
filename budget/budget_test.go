package budget_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  budget.Config
		want string // a fragment of the error naming the field to fix
	}{
		{"negative reserve", budget.Config{Reserve: -1}, "invalid Reserve -1"},
		{"negative per-call limit", budget.Config{MaxPerCall: -5}, "invalid MaxPerCall -5"},
		{"warn fraction above one", budget.Config{WarnAt: 1.5}, "invalid WarnAt 1.5"},
		{"negative warn fraction", budget.Config{WarnAt: -0.1}, "invalid WarnAt -0.1"},
		{"NaN warn fraction", budget.Config{WarnAt: math.NaN()}, "invalid WarnAt NaN"},
		{"negative staleness", budget.Config{StaleAfter: -time.Second}, "invalid StaleAfter -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := budget.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
			}
		})
	}
	t.Run("every problem is reported at once", func(t *testing.T) {
		_, err := budget.New(budget.Config{Reserve: -1, WarnAt: 2})
		if err == nil || !strings.Contains(err.Error(), "Reserve") || !strings.Contains(err.Error(), "WarnAt") {
			t.Fatalf("err = %v, want both Reserve and WarnAt named", err)
		}
	})
}

func TestNewAppliesDefaults(t *testing.T) {
	c := newCtrl(t, budget.Config{})
	got := c.Config()
	if got.MaxCredits != budget.DefaultMaxCredits || got.WarnAt != 0.8 || got.StaleAfter != 5*time.Minute ||
		got.Store == nil || got.Now == nil || got.Logger == nil || got.Reserve != 0 || got.MaxPerCall != 0 {
		t.Fatalf("effective config = %+v", got)
	}
	if got := newCtrl(t, budget.Config{MaxCredits: -7}).Config().MaxCredits; got != budget.Unlimited {
		t.Fatalf("negative MaxCredits became %d, want Unlimited", got)
	}
	if st := status(t, newCtrl(t, budget.Config{MaxCredits: budget.Unlimited})); st.RunCap != nil || st.Available != budget.NoLimit {
		t.Fatalf("unlimited status = %+v, want a null cap and NoLimit available", st)
	}
}

func TestHaltCodeNamesTheBindingLimit(t *testing.T) {
	tests := []struct {
		name      string
		cfg       budget.Config
		balance   int64 // -1: unknown
		ask       budget.Ask
		code      string
		needed    int64
		available int64
	}{
		{"cap with unknown balance", budget.Config{MaxCredits: 10}, -1,
			budget.Ask{Operation: "listAds", Rows: 20, NoFit: true}, budget.CodeCapReached, 20, 10},
		{"cap binds below the balance", budget.Config{MaxCredits: 10}, 500,
			budget.Ask{Rows: 20, MinRows: 15}, budget.CodeCapReached, 15, 10},
		{"floor binds above zero", budget.Config{MaxCredits: 1000, Reserve: 90}, 100,
			budget.Ask{Rows: 20, NoFit: true}, budget.CodeFloorReached, 20, 10},
		{"balance at the floor", budget.Config{Reserve: 100}, 100,
			budget.Ask{Fixed: 1}, budget.CodeFloorReached, 1, 0},
		{"empty workspace", budget.Config{}, 0,
			budget.Ask{Fixed: 1}, budget.CodeExhausted, 1, 0},
		{"per-call limit", budget.Config{MaxPerCall: 10}, 1000,
			budget.Ask{Rows: 50, MinRows: 20}, budget.CodeCallLimit, 20, 10},
		{"tightest limit wins over the per-call limit", budget.Config{MaxCredits: 5, MaxPerCall: 10}, -1,
			budget.Ask{Rows: 50, NoFit: true}, budget.CodeCapReached, 50, 5},
		{"balance wins a tie with the cap", budget.Config{MaxCredits: 10}, 10,
			budget.Ask{Rows: 50, NoFit: true}, budget.CodeFloorReached, 50, 10},
		{"per-item call over the cap", budget.Config{MaxCredits: 3}, -1,
			budget.Ask{Fixed: 5}, budget.CodeCapReached, 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *budget.Controller
			if tt.balance < 0 {
				c = newCtrl(t, tt.cfg)
			} else {
				c, _ = withBalance(t, tt.cfg, tt.balance)
			}
			r, err := c.Reserve(context.Background(), tt.ask)
			if r != nil {
				t.Fatalf("a halt returned a reservation %+v", r)
			}
			h := mustHalt(t, err, tt.code)
			if h.Needed != tt.needed || h.Available != tt.available {
				t.Errorf("needed %d, available %d; want %d, %d", h.Needed, h.Available, tt.needed, tt.available)
			}
			if h.Operation != tt.ask.Operation || h.Source != budget.SourceBudget || h.Cause != nil || errors.Unwrap(h) != nil {
				t.Errorf("halt = %+v", h)
			}
			a := h.Advice()
			if a.Code != tt.code || a.Source != "budget" || a.Retryable || a.HTTPStatus != 0 || a.Action == "" {
				t.Errorf("advice = %+v", a)
			}
			if st := status(t, c); st.InFlight != 0 {
				t.Errorf("a halt left %d in flight", st.InFlight)
			}
		})
	}
}

func TestHaltActionSaysHowSmallACallFits(t *testing.T) {
	c := newCtrl(t, budget.Config{MaxCredits: 30})
	_, err := c.Reserve(context.Background(), budget.Ask{Operation: "listAds", Rows: 50, NoFit: true})
	h := mustHalt(t, err, budget.CodeCapReached)
	if a := h.Advice().Action; !strings.Contains(a, "limit 30 or lower") {
		t.Fatalf("action %q does not name the limit that fits", a)
	}
	c = newCtrl(t, budget.Config{MaxCredits: 30, MaxPerCall: 10})
	_, err = c.Reserve(context.Background(), budget.Ask{Operation: "getAd", Fixed: 1, Rows: 40, MinRows: 20})
	h = mustHalt(t, err, budget.CodeCallLimit)
	if a := h.Advice().Action; !strings.Contains(a, "limit 9 or lower") {
		t.Fatalf("action %q does not name the limit that fits (9 rows + 1 fixed)", a)
	}
	c = newCtrl(t, budget.Config{MaxCredits: 1})
	r, err := c.Reserve(context.Background(), budget.Ask{Fixed: 1})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, r, runtime.Metering{UsageCost: runtime.Known(1)})
	_, err = c.Reserve(context.Background(), budget.Ask{Operation: "getAd", Fixed: 1})
	h = mustHalt(t, err, budget.CodeCapReached)
	if a := h.Advice().Action; !strings.Contains(a, "Stop making paid calls") || !strings.Contains(a, "--max-credits") {
		t.Fatalf("action %q does not tell the model to stop", a)
	}
}

func TestFitToBudget(t *testing.T) {
	tests := []struct {
		name   string
		cfg    budget.Config
		ask    budget.Ask
		rows   int64
		fitted bool
		halt   string
	}{
		{"fits whole", budget.Config{MaxCredits: 100}, budget.Ask{Rows: 100}, 100, false, ""},
		{"fitted to the cap", budget.Config{MaxCredits: 30}, budget.Ask{Rows: 50}, 30, true, ""},
		{"fixed part counted", budget.Config{MaxCredits: 30}, budget.Ask{Fixed: 2, Rows: 50}, 28, true, ""},
		{"fitted to the per-call limit", budget.Config{MaxPerCall: 25}, budget.Ask{Rows: 50}, 25, true, ""},
		{"exactly MinRows", budget.Config{MaxCredits: 20}, budget.Ask{Rows: 50, MinRows: 20}, 20, true, ""},
		{"below MinRows halts", budget.Config{MaxCredits: 19}, budget.Ask{Rows: 50, MinRows: 20}, 0, false, budget.CodeCapReached},
		{"NoFit halts", budget.Config{MaxCredits: 30}, budget.Ask{Rows: 50, NoFit: true}, 0, false, budget.CodeCapReached},
		{"MinRows above Rows means all rows", budget.Config{MaxCredits: 30}, budget.Ask{Rows: 40, MinRows: 60}, 0, false, budget.CodeCapReached},
		{"a fixed-only call is never fitted", budget.Config{MaxCredits: 1}, budget.Ask{Fixed: 2}, 0, false, budget.CodeCapReached},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCtrl(t, tt.cfg)
			r, err := c.Reserve(context.Background(), tt.ask)
			if tt.halt != "" {
				mustHalt(t, err, tt.halt)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Rows != tt.rows || r.Fitted != tt.fitted || r.Credits != tt.ask.Fixed+tt.rows {
				t.Fatalf("grant = %+v, want %d rows (fitted %v)", r.Grant, tt.rows, tt.fitted)
			}
			if st := status(t, c); st.InFlight != r.Credits {
				t.Fatalf("in flight %d, want %d", st.InFlight, r.Credits)
			}
		})
	}
}

func TestFreeAsksAreNeverHalted(t *testing.T) {
	c, _ := withBalance(t, budget.Config{MaxCredits: 5, Reserve: 10}, 0)
	if _, err := c.Reserve(context.Background(), budget.Ask{Fixed: 1}); err == nil {
		t.Fatal("a paid ask went through an empty workspace")
	}
	if st := status(t, c); !st.Exhausted || st.Available != 0 {
		t.Fatalf("an empty workspace's status: %+v", st)
	}
	for _, a := range []budget.Ask{{Operation: "lookup"}, {Operation: "getUsage", MinRows: 3, NoFit: true}} {
		r, err := c.Reserve(context.Background(), a)
		if err != nil || r == nil || r.Credits != 0 {
			t.Fatalf("free ask %+v: %v, %+v", a, err, r)
		}
		if g, err := c.Preview(context.Background(), a); err != nil || g.Credits != 0 {
			t.Fatalf("preview of a free ask: %v", err)
		}
		settle(t, r, runtime.Metering{})
	}
	if st := status(t, c); st.RunSpent != 0 || st.InFlight != 0 {
		t.Fatalf("free calls changed the ledger: %+v", st)
	}
}

func TestAskValidation(t *testing.T) {
	c := newCtrl(t, budget.Config{})
	for _, a := range []budget.Ask{{Fixed: -1}, {Rows: -3}, {Rows: 5, MinRows: -1}, {Rows: 1 << 50}} {
		if r, err := c.Reserve(context.Background(), a); err == nil || r != nil {
			t.Errorf("Reserve(%+v) = %v, want an error", a, err)
		} else if _, ok := budget.AsHalt(err); ok {
			t.Errorf("an invalid ask is a programming error, not a halt: %v", err)
		}
		if _, err := c.Preview(context.Background(), a); err == nil {
			t.Errorf("Preview(%+v) accepted it", a)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Reserve(ctx, budget.Ask{Rows: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Reserve with an ended context = %v", err)
	}
}

func TestWarningPastWarnAt(t *testing.T) {
	c := newCtrl(t, budget.Config{MaxCredits: 100, WarnAt: 0.8})
	ctx := context.Background()
	r, err := c.Reserve(ctx, budget.Ask{Rows: 79})
	if err != nil || r.Warning != "" {
		t.Fatalf("79 of 100: err %v, warning %q", err, r.Warning)
	}
	if status(t, c).Warning != "" {
		t.Fatal("status warns below the threshold")
	}
	if g, _ := c.Preview(context.Background(), budget.Ask{Fixed: 1}); g.Warning == "" {
		t.Fatal("preview of a grant reaching 80 does not warn")
	}
	r2, err := c.Reserve(ctx, budget.Ask{Fixed: 1})
	if err != nil || !strings.Contains(r2.Warning, "80 of this run's 100-credit cap") {
		t.Fatalf("80 of 100: err %v, warning %q", err, r2.Warning)
	}
	if !strings.Contains(status(t, c).Warning, "20 left") {
		t.Fatalf("status warning = %q", status(t, c).Warning)
	}
	// Settling for less than reserved can bring the run back under.
	settle(t, r, runtime.Metering{UsageCost: runtime.Known(10)})
	if w := status(t, c).Warning; w != "" {
		t.Fatalf("11 of 100 committed still warns: %q", w)
	}
	if u := newCtrl(t, budget.Config{MaxCredits: budget.Unlimited}); status(t, u).Warning != "" {
		t.Fatal("an unlimited run warns")
	}
}

func TestPreviewDoesNotReserve(t *testing.T) {
	c := newCtrl(t, budget.Config{MaxCredits: 50})
	for range 3 {
		g, err := c.Preview(context.Background(), budget.Ask{Operation: "listAds", Rows: 40})
		if err != nil || g.Rows != 40 || g.Fitted {
			t.Fatalf("preview = %+v, %v", g, err)
		}
	}
	if st := status(t, c); st.InFlight != 0 || st.Available != 50 {
		t.Fatalf("preview reserved: %+v", st)
	}
	g, err := c.Preview(context.Background(), budget.Ask{Rows: 70})
	if err != nil || g.Rows != 50 || !g.Fitted {
		t.Fatalf("preview of an oversized ask = %+v, %v", g, err)
	}
	_, err = c.Preview(context.Background(), budget.Ask{Operation: "listAds", Rows: 70, NoFit: true})
	if h := mustHalt(t, err, budget.CodeCapReached); h.Status.RunCap == nil || *h.Status.RunCap != 50 {
		t.Fatalf("preview halt status = %+v", h.Status)
	}
}

func TestFinishIsIdempotent(t *testing.T) {
	c := newCtrl(t, budget.Config{MaxCredits: 100})
	ctx := context.Background()
	r, err := c.Reserve(ctx, budget.Ask{Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := c.Reserve(ctx, budget.Ask{Rows: 10})
	callErr := errors.New("transport broke")
	for range 3 {
		if got := r.Finish(ctx, nil, callErr); got != callErr {
			t.Fatalf("Finish changed the error: %v", got)
		}
	}
	if st := status(t, c); st.InFlight != 10 || st.RunSpent != 0 {
		t.Fatalf("after finishing one of two reservations: %+v", st)
	}
	// A later Finish with a response changes nothing: a reservation
	// settles once.
	_ = r.Finish(ctx, &runtime.Response{Status: 200, Metering: runtime.Metering{UsageCost: runtime.Known(7)}}, nil)
	if st := status(t, c); st.InFlight != 10 || st.RunSpent != 0 {
		t.Fatalf("a second Finish settled again: %+v", st)
	}
	var nilRes *budget.Reservation
	if err := nilRes.Finish(ctx, nil, callErr); err != callErr {
		t.Fatalf("nil reservation Finish = %v", err)
	}
	settle(t, r2, runtime.Metering{UsageCost: runtime.Known(4)})
	settle(t, r2, runtime.Metering{UsageCost: runtime.Known(4)})
	if st := status(t, c); st.InFlight != 0 || st.RunSpent != 4 {
		t.Fatalf("after all finished: %+v", st)
	}
}

func TestFinishReleasesEvenWhenCancelled(t *testing.T) {
	c := newCtrl(t, budget.Config{MaxCredits: 100})
	ctx, cancel := context.WithCancel(context.Background())
	r, err := c.Reserve(ctx, budget.Ask{Rows: 60})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	_ = r.Finish(ctx, nil, context.Canceled)
	if st := status(t, c); st.InFlight != 0 || st.Available != 100 {
		t.Fatalf("cancelled call still holds credits: %+v", st)
	}
}

func TestSettlement(t *testing.T) {
	ctx := context.Background()
	t.Run("charges the cost and releases the rest", func(t *testing.T) {
		c, _ := withBalance(t, budget.Config{MaxCredits: 100}, 1000)
		r, _ := c.Reserve(ctx, budget.Ask{Rows: 50})
		settle(t, r, runtime.Metering{UsageCost: runtime.Known(12), CreditsRemaining: runtime.Known(988)})
		if st := status(t, c); st.InFlight != 0 || st.RunSpent != 12 || *st.CreditsRemaining != 988 || st.BalanceSource != "header" {
			t.Fatalf("after settlement: %+v", st)
		}
		if st, err := r.Status(ctx); err != nil || st.RunSpent != 12 || st.InFlight != 0 {
			t.Fatalf("the reservation's status: %+v, %v", st, err)
		}
	})
	t.Run("a refused call costs what its metering says", func(t *testing.T) {
		c := newCtrl(t, budget.Config{MaxCredits: 100})
		r, _ := c.Reserve(ctx, budget.Ask{Rows: 50})
		refused := &runtime.APIError{Status: 404, Code: runtime.CodeNotFound}
		if err := r.Finish(ctx, nil, refused); err != refused {
			t.Fatalf("Finish(404) = %v", err)
		}
		r, _ = c.Reserve(ctx, budget.Ask{Rows: 50})
		_ = r.Finish(ctx, nil, &runtime.APIError{Status: 500, Code: runtime.CodeInternalError, Metering: runtime.Metering{UsageCost: runtime.Known(2)}})
		if st := status(t, c); st.InFlight != 0 || st.RunSpent != 2 {
			t.Fatalf("%+v", st)
		}
	})
	t.Run("a success whose body could not be read is charged like one", func(t *testing.T) {
		c := newCtrl(t, budget.Config{MaxCredits: 100})
		r, _ := c.Reserve(ctx, budget.Ask{Rows: 50})
		_ = r.Finish(ctx, nil, &runtime.APIError{Status: 200, Code: runtime.CodeMalformedResponse})
		if st := status(t, c); st.InFlight != 0 || st.RunSpent != 50 {
			t.Fatalf("a cut-off success without a cost header: %+v, want the worst case charged", st)
		}
	})
	t.Run("missing cost is charged the worst case", func(t *testing.T) {
		c, _ := withBalance(t, budget.Config{MaxCredits: 100}, 1000)
		r, _ := c.Reserve(ctx, budget.Ask{Fixed: 1, Rows: 30})
		settle(t, r, runtime.Metering{})
		if st := status(t, c); st.RunSpent != 31 || *st.CreditsRemaining != 969 {
			t.Fatalf("%+v", st)
		}
	})
	t.Run("X-Credits-Used when X-Usage-Cost is absent", func(t *testing.T) {
		c := newCtrl(t, budget.Config{MaxCredits: 100})
		r, _ := c.Reserve(ctx, budget.Ask{Rows: 30})
		settle(t, r, runtime.Metering{CreditsUsed: runtime.Known(4)})
		if st := status(t, c); st.RunSpent != 4 {
			t.Fatalf("%+v", st)
		}
	})
	t.Run("a free call with a cost is charged", func(t *testing.T) {
		c := newCtrl(t, budget.Config{MaxCredits: 100})
		r, _ := c.Reserve(ctx, budget.Ask{Operation: "createBrandtracker"})
		settle(t, r, runtime.Metering{UsageCost: runtime.Known(1)})
		if st := status(t, c); st.RunSpent != 1 {
			t.Fatalf("%+v", st)
		}
	})
	t.Run("the observer learns balances, not charges", func(t *testing.T) {
		c := newCtrl(t, budget.Config{MaxCredits: 100})
		r, _ := c.Reserve(ctx, budget.Ask{Rows: 50})
		for _, code := range []int{500, 429, 200} {
			c.ObserveResponse(ctx, &runtime.Request{Operation: "listAds"}, code,
				runtime.Metering{UsageCost: runtime.Known(20), CreditsRemaining: runtime.Known(480)})
		}
		if st := status(t, c); st.InFlight != 50 || st.RunSpent != 0 || *st.CreditsRemaining != 480 || st.Available != 50 {
			t.Fatalf("observed responses settled something, or their balance was not learnt: %+v", st)
		}
		settle(t, r, runtime.Metering{UsageCost: runtime.Known(9)})
		if st := status(t, c); st.InFlight != 0 || st.RunSpent != 9 || *st.CreditsRemaining != 471 {
			t.Fatalf("%+v", st)
		}
	})
}

func TestHeadersOnlyLowerTheBalance(t *testing.T) {
	c, fu := withBalance(t, budget.Config{MaxCredits: budget.Unlimited}, 1000)
	ctx := context.Background()
	r1, _ := c.Reserve(ctx, budget.Ask{Rows: 10})
	r2, _ := c.Reserve(ctx, budget.Ask{Rows: 20})
	// Two responses settled by the API as 1000 −10 → 990 −20 → 970 arrive
	// in the opposite order.
	settle(t, r2, runtime.Metering{UsageCost: runtime.Known(20), CreditsRemaining: runtime.Known(970)})
	settle(t, r1, runtime.Metering{UsageCost: runtime.Known(10), CreditsRemaining: runtime.Known(990)})
	if st := status(t, c); *st.CreditsRemaining != 970 || st.RunSpent != 30 {
		t.Fatalf("out-of-order headers: %+v", st)
	}
	// A header can never raise the figure, even a free response's.
	r3, _ := c.Reserve(ctx, budget.Ask{Operation: "lookup"})
	settle(t, r3, runtime.Metering{UsageCost: runtime.Known(0), CreditsRemaining: runtime.Known(5000)})
	c.ObserveResponse(ctx, nil, 200, runtime.Metering{CreditsRemaining: runtime.Known(6000)})
	if st := status(t, c); *st.CreditsRemaining != 970 {
		t.Fatalf("a header raised the balance: %+v", st)
	}
	// Only Refresh raises it (a top-up).
	fu.set(5000)
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st := status(t, c); *st.CreditsRemaining != 5000 || st.BalanceSource != "usage" {
		t.Fatalf("after a top-up and Refresh: %+v", st)
	}
}

func TestBalanceLearntFromHeadersAlone(t *testing.T) {
	c := newCtrl(t, budget.Config{MaxCredits: 1000})
	if st := status(t, c); st.CreditsRemaining != nil || st.BalanceAsOf != nil || st.Available != 1000 {
		t.Fatalf("fresh controller: %+v", st)
	}
	if _, err := c.Refresh(context.Background()); err == nil {
		t.Fatal("Refresh without a usage source did not fail")
	}
	c.ObserveResponse(context.Background(), nil, 200, runtime.Metering{UsageCost: runtime.Known(3), CreditsRemaining: runtime.Known(40)})
	st := status(t, c)
	if *st.CreditsRemaining != 40 || st.Available != 40 || st.BalanceSource != "header" {
		t.Fatalf("%+v", st)
	}
	_, err := c.Reserve(context.Background(), budget.Ask{Rows: 50, NoFit: true})
	mustHalt(t, err, budget.CodeFloorReached)
}

func TestStaleness(t *testing.T) {
	clock := newClock()
	c, _ := withBalance(t, budget.Config{Now: clock.Now, StaleAfter: time.Minute}, 500)
	st := status(t, c)
	if st.Stale || !st.BalanceAsOf.Equal(sandboxNow) || st.BalanceSource != "usage" {
		t.Fatalf("fresh: %+v", st)
	}
	clock.Advance(time.Minute)
	if status(t, c).Stale {
		t.Fatal("stale at exactly StaleAfter")
	}
	clock.Advance(time.Second)
	if !status(t, c).Stale {
		t.Fatal("not stale after StaleAfter")
	}
	c.ObserveResponse(context.Background(), nil, 200, runtime.Metering{UsageCost: runtime.Known(1), CreditsRemaining: runtime.Known(499)})
	st = status(t, c)
	if st.Stale || !st.BalanceAsOf.Equal(sandboxNow.Add(61*time.Second)) || st.BalanceSource != "header" {
		t.Fatalf("after a header: %+v", st)
	}
}

func TestRefreshFailureIsReported(t *testing.T) {
	fu := &fakeUsage{err: errors.New("boom")}
	c := newCtrl(t, budget.Config{Usage: fu})
	if _, err := c.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	if status(t, c).CreditsRemaining != nil {
		t.Fatal("a failed refresh set a balance")
	}
}

func TestStatusJSON(t *testing.T) {
	c, _ := withBalance(t, budget.Config{MaxCredits: 1000, Now: newClock().Now}, 41)
	b, err := json.Marshal(status(t, c))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k, want := range map[string]any{
		"creditsRemaining": 41.0, "runSpent": 0.0, "runCap": 1000.0, "reserve": 0.0, "inFlight": 0.0,
		"available": 41.0, "refillAt": "2026-12-01T00:00:00Z", "balanceAsOf": "2026-11-20T10:30:00Z",
		"balanceSource": "usage", "stale": false, "exhausted": false,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v (%s)", k, m[k], want, b)
		}
	}
	if _, ok := m["warning"]; ok {
		t.Errorf("empty warning not omitted: %s", b)
	}
	b, _ = json.Marshal(status(t, newCtrl(t, budget.Config{MaxCredits: budget.Unlimited})))
	if !strings.Contains(string(b), `"creditsRemaining":null`) || !strings.Contains(string(b), `"runCap":null`) {
		t.Errorf("unknown balance and no cap must be null: %s", b)
	}
}

func TestCodesAreListed(t *testing.T) {
	got := strings.Join(budget.Codes(), ",")
	if got != "budget_call_limit,budget_cap_reached,budget_exhausted,budget_floor_reached,budget_store_unavailable" {
		t.Fatalf("Codes() = %s", got)
	}
	var ad runtime.Adviser = &budget.HaltError{Code: budget.CodeExhausted}
	if runtime.Advise(ad).Source != "budget" {
		t.Fatal("runtime.Advise does not use the halt's advice")
	}
}

func TestExhaustedMarkLapsesAtRefill(t *testing.T) {
	clock := newClock()
	fu := &fakeUsage{balance: 100, refill: "2026-12-01T00:00:00Z"}
	c := newCtrl(t, budget.Config{MaxCredits: 1000, Usage: fu, Now: clock.Now})
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := c.Reserve(context.Background(), budget.Ask{Operation: "listAds", Rows: 80})
	if err != nil {
		t.Fatal(err)
	}
	fu.set(5) // someone else spent it meanwhile
	err = r.Finish(context.Background(), nil, &runtime.APIError{Status: 402, Code: runtime.CodeInsufficientCredits, RequestID: "req_1"})
	h := mustHalt(t, err, runtime.CodeInsufficientCredits)
	if h.Available != 5 || h.Shortfall != 75 || !h.Status.Exhausted || !h.Status.RefillAt.Equal(sandboxRefill) {
		t.Fatalf("halt = %+v", h)
	}
	_, err = c.Reserve(context.Background(), budget.Ask{Fixed: 1})
	mustHalt(t, err, budget.CodeExhausted)
	clock.Advance(sandboxRefill.Sub(sandboxNow))
	r, err = c.Reserve(context.Background(), budget.Ask{Fixed: 1})
	if err != nil {
		t.Fatalf("after the refill date: %v", err)
	}
	_ = r.Finish(context.Background(), nil, nil)
	if st := status(t, c); st.Exhausted || st.CreditsRemaining != nil {
		t.Fatalf("after the refill date the old balance must be forgotten: %+v", st)
	}
}

func TestRealPaymentRequiredWithoutUsageSource(t *testing.T) {
	c := newCtrl(t, budget.Config{MaxCredits: 1000})
	r, _ := c.Reserve(context.Background(), budget.Ask{Operation: "listAds", Rows: 10})
	err := r.Finish(context.Background(), nil, &runtime.APIError{Status: 402, Code: runtime.CodeInsufficientCredits})
	h := mustHalt(t, err, runtime.CodeInsufficientCredits)
	if h.Shortfall != 0 || h.Status.CreditsRemaining != nil || !h.Status.Exhausted {
		t.Fatalf("halt = %+v", h)
	}
	if !strings.Contains(h.Advice().Action, "out of credits") {
		t.Fatalf("action = %q", h.Advice().Action)
	}
	_, err = c.Reserve(context.Background(), budget.Ask{Fixed: 1})
	mustHalt(t, err, budget.CodeExhausted)
	// Other errors pass through untouched.
	other := &runtime.APIError{Status: 404, Code: runtime.CodeNotFound}
	r, _ = c.Reserve(context.Background(), budget.Ask{})
	if got := r.Finish(context.Background(), nil, other); got != other {
		t.Fatalf("Finish(404) = %v", got)
	}
}

func TestFreeCallsOnlyIsACapOfZero(t *testing.T) {
	c, err := budget.New(budget.Config{FreeCallsOnly: true, MaxCredits: 500})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	free, err := c.Reserve(ctx, budget.Ask{Operation: "lookup"})
	if err != nil {
		t.Fatalf("a free call halted: %v", err)
	}
	_ = free.Finish(ctx, nil, nil)
	_, err = c.Reserve(ctx, budget.Ask{Operation: "search_ads", Rows: 1})
	h, ok := budget.AsHalt(err)
	if !ok || h.Code != budget.CodeCapReached {
		t.Fatalf("a paid call under a cap of 0: %v, want %s", err, budget.CodeCapReached)
	}
	st, err := c.Status(ctx)
	if err != nil || st.RunCap == nil || *st.RunCap != 0 {
		t.Errorf("status runCap = %v (%v), want 0", st.RunCap, err)
	}
}
