package gateway_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// BenchmarkGatewayOverhead measures one 2025-11-25 tools/call over HTTP
// through the gateway (Origin, token, session, cancellation filing,
// metrics, per-client budget), with sessions in memory and in a real
// redis-server, against mcp-go's bare Streamable HTTP handler over the
// same toolbox. The three run interleaved, round after round, and the
// ratios of their median per-call times are reported with their spread
// across rounds.
//
//	go test -run=^$ -bench=GatewayOverhead -benchtime=1x ./gateway/
func BenchmarkGatewayOverhead(b *testing.B) {
	for _, tool := range []struct {
		name string
		args map[string]any
	}{
		{"estimate_cost", map[string]any{"tool": "search_ads", "arguments": map[string]any{"limit": 5}}},
		{"search_ads", map[string]any{"search": "coffee", "limit": 20}},
	} {
		b.Run(tool.name, func(b *testing.B) { benchOverhead(b, tool.name, tool.args) })
	}
}

func benchOverhead(b *testing.B, tool string, args map[string]any) {
	e := testenv.New(b, testenv.Config{NoClient: true, Credits: sandbox.Credits{Recurring: 1 << 40},
		Budget: &budget.Config{MaxCredits: budget.Unlimited}})
	// The baseline: mcp-go's handler, no gateway.
	bare := httptest.NewServer(server.NewStreamableHTTPServer(e.Srv, server.WithStateful(true)))
	b.Cleanup(bare.Close)
	clients := twoClients(b, nil, nil)
	mem, err := gateway.New(gateway.Config{Toolbox: e.Box, Clients: clients})
	if err != nil {
		b.Fatal(err)
	}
	memSrv := httptest.NewServer(mem.Handler())
	b.Cleanup(func() { memSrv.Close(); _ = mem.Close() })

	urls := map[string]string{"bare": bare.URL + "/mcp", "memory": memSrv.URL + "/mcp"}
	tk := map[string]string{"bare": "", "memory": aliceToken}
	names := []string{"bare", "memory"}
	if rcURL := redisURLOrSkip(b); rcURL != "" {
		rc := redisClientB(b, rcURL)
		cfg := gateway.Config{Toolbox: e.Box, Clients: clients}
		cfg.Sessions = redisstoreSessions(rc)
		red, err := gateway.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		redSrv := httptest.NewServer(red.Handler())
		b.Cleanup(func() { redSrv.Close(); _ = red.Close() })
		urls["redis"], tk["redis"] = redSrv.URL+"/mcp", aliceToken
		names = append(names, "redis")
	}
	raws := map[string]*rawClient{}
	for _, n := range names {
		c := newRaw(b, urls[n], tk[n], legacy)
		c.initialize()
		raws[n] = c
	}
	const rounds, perRound = 7, 40
	per := map[string][]time.Duration{}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		for range rounds {
			for _, n := range names {
				c := raws[n]
				start := time.Now()
				for range perRound {
					if r := c.call(ctx, c.nextID(), tool, args); r.status != 200 {
						b.Fatalf("%s: HTTP %d: %s", n, r.status, r.body)
					}
				}
				per[n] = append(per[n], time.Since(start)/perRound)
			}
		}
	}
	b.StopTimer()
	median := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	base := median(per["bare"])
	b.ReportMetric(float64(base.Microseconds()), "bare-µs/call")
	for _, n := range names[1:] {
		ratios := make([]float64, len(per[n]))
		for i := range per[n] {
			ratios[i] = float64(per[n][i]) / float64(per["bare"][i])
		}
		slices.Sort(ratios)
		b.ReportMetric(float64(median(per[n]))/float64(base), n+"-ratio")
		b.ReportMetric(ratios[0], n+"-ratio-min")
		b.ReportMetric(ratios[len(ratios)-1], n+"-ratio-max")
	}
}
