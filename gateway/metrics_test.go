package gateway_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

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
