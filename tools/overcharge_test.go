package tools_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/syncbuffer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

// multiplyCost makes the API charge factor times what the sandbox meters
// on paths that pick says, as an API whose metering tollgate does not
// know would: X-Usage-Cost and X-Credits-Used are multiplied.
func multiplyCost(pick func(*http.Request) int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			if f := pick(r); f > 1 {
				for _, h := range []string{"X-Usage-Cost", "X-Credits-Used"} {
					if n, err := strconv.ParseInt(rec.Header().Get(h), 10, 64); err == nil {
						rec.Header().Set(h, strconv.FormatInt(n*f, 10))
					}
				}
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
	}
}

// TestAnAnswerThatCostsMoreThanItsReservationRaisesIt checks what happens
// when the API charges more than tollgate reserved: the call is logged,
// counted and shown in get_budget and the result, the tool's later calls
// reserve what it really costs, and the run cap still holds.
func TestAnAnswerThatCostsMoreThanItsReservationRaisesIt(t *testing.T) {
	t.Parallel()
	var logs syncbuffer.Buffer
	e := newOpEnv(t, nil, "", opEnvConfig{cap: 80, logger: slog.New(slog.NewTextHandler(&logs, nil)),
		wrap: multiplyCost(func(r *http.Request) int64 {
			switch {
			case strings.HasPrefix(r.URL.Path, "/v1/ads/facebook_"):
				return 3 // get_ad costs 3, not 1
			case r.URL.Path == "/v1/ads":
				return 2 // search_ads costs 2 per row
			}
			return 1
		})})
	ad := first(t, e.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1}))["id"].(string)

	s := e.call(t, "get_ad", map[string]any{"adId": ad})
	if notes := strings.Join(s.Notes, " "); !strings.Contains(notes, "cost 3 credits, more than the 1 tollgate reserved") {
		t.Errorf("the result does not say it cost more than reserved: %q", notes)
	}
	if !strings.Contains(logs.String(), "charged more than tollgate reserved") || !strings.Contains(logs.String(), "tool=get_ad") {
		t.Errorf("the overcharge is not logged:\n%s", logs.String())
	}
	estimate := func(tool string, args map[string]any) int64 {
		t.Helper()
		res := e.box.Call(context.Background(), tools.ToolEstimateCost, map[string]any{"tool": tool, "arguments": args})
		return res.Structured.(*tools.Estimate).WorstCase
	}
	if w := estimate("get_ad", map[string]any{"adId": ad}); w != 3 {
		t.Errorf("get_ad now reserves %d, want 3", w)
	}
	e.call(t, "get_ad", map[string]any{"adId": ad}) // reserved 3, charged 3: not counted again

	// search_ads was charged 2 for its first row already: it now reserves
	// 2 per row asked for.
	if w := estimate("search_ads", map[string]any{"search": "coffee", "limit": 10}); w != 20 {
		t.Errorf("search_ads now reserves %d for 10 rows, want 20", w)
	}

	res := e.box.Call(context.Background(), tools.ToolGetBudget, nil)
	raw, _ := json.Marshal(res.Structured)
	var view struct {
		Overcharges []tools.Overcharge `json:"overcharges"`
	}
	if err := json.Unmarshal(raw, &view); err != nil || len(view.Overcharges) != 2 {
		t.Fatalf("get_budget overcharges = %s", raw)
	}
	if o := view.Overcharges[0]; o.Tool != "get_ad" || o.Count != 1 || o.Reserved != 1 || o.Charged != 3 || o.Now == "" {
		t.Errorf("get_ad overcharge = %+v", o)
	}
	if o := view.Overcharges[1]; o.Tool != "search_ads" || o.Count != 1 || o.Reserved != 1 || o.Charged != 2 {
		t.Errorf("search_ads overcharge = %+v", o)
	}

	// Spend the rest: the cap holds, because every call now reserves what
	// it costs.
	for i := 0; i < 20; i++ {
		res := e.box.Call(context.Background(), "search_ads", map[string]any{"search": "e", "limit": 10, "page": i + 1})
		if res.IsError {
			if res.Advice.Source != "budget" {
				t.Fatalf("search_ads failed: %s", res.JSON())
			}
			break
		}
	}
	if st := testenv.StatusOf(t, e.ctrl); st.RunSpent > 80 || st.RunSpent < 60 {
		t.Errorf("spent %d under a cap of 80", st.RunSpent)
	}
	if n := len(e.box.Overcharges()); n != 2 || e.box.Overcharges()[1].Count != 1 {
		t.Errorf("overcharges %+v, want the two first ones only", e.box.Overcharges())
	}
}

// TestOverchargesAreLearntUnderConcurrentCalls runs calls of an
// overcharged tool from eight goroutines: once one answer
// has settled, later calls reserve what it costs, so at most the calls
// already in flight are counted.
func TestOverchargesAreLearntUnderConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := newOpEnv(t, nil, "", opEnvConfig{wrap: multiplyCost(func(r *http.Request) int64 {
		if strings.HasPrefix(r.URL.Path, "/v1/ads/facebook_") {
			return 3
		}
		return 1
	})})
	ad := first(t, e.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1}))["id"].(string)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if res := e.box.Call(context.Background(), "get_ad", map[string]any{"adId": ad}); res.IsError {
					t.Errorf("get_ad: %s", res.JSON())
				}
			}
		}()
	}
	wg.Wait()
	over := e.box.Overcharges()
	if len(over) != 1 || over[0].Count < 1 || over[0].Count > 8 {
		t.Fatalf("overcharges %+v, want get_ad counted once per call in flight before the first settled", over)
	}
	if w := e.box.Call(context.Background(), tools.ToolEstimateCost, map[string]any{"tool": "get_ad", "arguments": map[string]any{"adId": ad}}).Structured.(*tools.Estimate).WorstCase; w != 3 {
		t.Errorf("get_ad reserves %d, want 3", w)
	}
}
