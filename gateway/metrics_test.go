package gateway_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// TestMetricsScrapedAndParsed scrapes /metrics with the Prometheus text
// parser after calls of two clients, a retried 429, an API error and a
// budget halt, and checks the figures against the sandbox's.
func TestMetricsScrapedAndParsed(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 25}})
	if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	ctx := context.Background()
	alice, bob := connect(t, url, aliceToken, modern), connect(t, url, bobToken, legacy)

	e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "2", PathPrefix: "/v1/ads"})
	if res, sc := testenv.CallMCP(t, ctx, alice, "search_ads", map[string]any{"search": "coffee", "limit": 10}, nil); res.IsError {
		t.Fatalf("alice: %s", testenv.MustJSON(sc))
	}
	aliceSpent := e.SB.Spent(e.Key)
	res, sc := testenv.CallMCP(t, ctx, bob, "get_ad", map[string]any{"adId": "facebook_0"}, nil)
	testenv.WantAdvice(t, res, sc, "not_found", "api")
	if res, sc := testenv.CallMCP(t, ctx, bob, "search_ads", map[string]any{"search": "tea", "limit": 15}, nil); res.IsError {
		t.Fatalf("bob: %s", testenv.MustJSON(sc))
	}
	bobSpent := e.SB.Spent(e.Key) - aliceSpent
	res, sc = testenv.CallMCP(t, ctx, alice, "search_ads", map[string]any{"search": "x", "limit": 50}, nil)
	testenv.WantAdvice(t, res, sc, budget.CodeCapReached, "budget")

	resp, err := http.Get(metricsURL(url))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{e.Key, aliceToken, bobToken} {
		if strings.Contains(string(text), secret) {
			t.Fatalf("/metrics holds a secret (%q...)", secret[:6])
		}
	}
	fams := scrape(t, metricsURL(url))
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tollgate_credits_charged_total", []string{"client", "alice", "tool", "search_ads"}, float64(aliceSpent)},
		{"tollgate_credits_charged_total", []string{"client", "bob", "tool", "search_ads"}, float64(bobSpent)},
		{"tollgate_credits_reserved_total", []string{"client", "alice", "tool", "search_ads"}, 10},
		{"tollgate_credits_reserved_total", []string{"client", "bob", "tool", "search_ads"}, 15},
		{"tollgate_api_calls_total", []string{"client", "bob", "tool", "get_ad", "outcome", "not_found"}, 1},
		{"tollgate_api_responses_total", []string{"status", "200", "code", "ok"}, 2},
		{"tollgate_api_responses_total", []string{"status", "429", "code", "rate_limited"}, 1},
		{"tollgate_api_responses_total", []string{"status", "404", "code", "not_found"}, 1},
		{"tollgate_api_retries_total", []string{"reason", "rate_limited"}, 1},
		{"tollgate_budget_halts_total", []string{"code", budget.CodeCapReached}, 1},
		{"tollgate_tool_call_duration_seconds", []string{"tool", "search_ads"}, 3},
		{"tollgate_tool_call_duration_seconds", []string{"tool", "get_ad"}, 1},
		{"tollgate_budget_spent_credits", nil, float64(aliceSpent + bobSpent)},
		{"tollgate_credits_balance", nil, float64(e.SB.Credits(e.Key).Recurring + e.SB.Credits(e.Key).Topup)},
		{"tollgate_budget_cap_credits", nil, 25},
		{"tollgate_sessions_total", []string{"event", "opened"}, 1},
	}
	// The 429's 2 s, and any pacing wait the 429 taught (the sandbox
	// sends no rate-limit headers here).
	if got := metric(fams, "tollgate_api_retry_wait_seconds_total"); got < 2 {
		t.Errorf("tollgate_api_retry_wait_seconds_total = %v, want at least 2", got)
	}
	for _, c := range checks {
		if got := metric(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// TestMetricsPerGateway checks that two gateways in one process count
// apart, and that the latency histogram keeps its type, help text and
// buckets in the text format.
func TestMetricsPerGateway(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	_, urlA := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	_, urlB := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	ctx := context.Background()
	alice := connect(t, urlA, aliceToken, modern)
	for range 2 {
		if res, sc := testenv.CallMCP(t, ctx, alice, "estimate_cost", map[string]any{"tool": "search_ads", "arguments": map[string]any{"search": "tea", "limit": 5}}, nil); res.IsError {
			t.Fatalf("estimate_cost: %s", testenv.MustJSON(sc))
		}
	}

	a, b := scrape(t, metricsURL(urlA)), scrape(t, metricsURL(urlB))
	const name = "tollgate_tool_call_duration_seconds"
	if got := metric(a, name, "tool", "estimate_cost"); got != 2 {
		t.Errorf("gateway A: %s{tool=estimate_cost} has %v samples, want 2", name, got)
	}
	if f := b[name]; f != nil {
		t.Errorf("gateway B, which served no call, has %s: %v", name, f)
	}
	f := a[name]
	if f == nil {
		t.Fatalf("gateway A has no %s", name)
	}
	if f.GetType() != dto.MetricType_HISTOGRAM || !strings.HasPrefix(f.GetHelp(), "Time to answer a tool call") {
		t.Errorf("%s: type %v, help %q; want a histogram with its help text", name, f.GetType(), f.GetHelp())
	}
	h := f.GetMetric()[0].GetHistogram()
	var bounds []float64
	prev := uint64(0)
	for _, bk := range h.GetBucket() {
		bounds = append(bounds, bk.GetUpperBound())
		if bk.GetCumulativeCount() < prev || bk.GetCumulativeCount() > h.GetSampleCount() {
			t.Errorf("bucket le=%v holds %d after %d, of %d samples: not cumulative", bk.GetUpperBound(), bk.GetCumulativeCount(), prev, h.GetSampleCount())
		}
		prev = bk.GetCumulativeCount()
	}
	if want := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, math.Inf(1)}; !slices.Equal(bounds, want) {
		t.Errorf("%s buckets %v, want %v", name, bounds, want)
	}
	// The Go runtime's and the process's figures are in both.
	for _, fams := range []map[string]*dto.MetricFamily{a, b} {
		for _, n := range []string{"go_goroutines", "process_resident_memory_bytes", "process_open_fds"} {
			if metric(fams, n) <= 0 {
				t.Errorf("%s missing or not positive", n)
			}
		}
	}
}
