package tools_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// BenchmarkSearchAdsRowBytes measures what a 20-row search_ads page
// costs a model's context: bytes per row of the result's JSON with the
// compact default projection and with fields ["*"], each iteration
// making both calls (README's Measured section records the ratio).
func BenchmarkSearchAdsRowBytes(b *testing.B) {
	_, box := benchStack(b)
	ctx := context.Background()
	size := func(fields []any) (total, data, rows int) {
		args := map[string]any{"search": "coffee", "limit": 20}
		if fields != nil {
			args[tools.ArgFields] = fields
		}
		r := box.Call(ctx, "search_ads", args)
		s, ok := r.Structured.(*tools.Success)
		if !ok {
			b.Fatalf("search_ads: %s", r.JSON())
		}
		var list []json.RawMessage
		_ = json.Unmarshal(s.Data, &list)
		return len(r.JSON()), len(s.Data), len(list)
	}
	var compact, full, compactData, fullData float64
	for b.Loop() {
		t, d, n := size(nil)
		compact, compactData = float64(t)/float64(n), float64(d)/float64(n)
		t, d, n = size([]any{"*"})
		full, fullData = float64(t)/float64(n), float64(d)/float64(n)
	}
	b.ReportMetric(compact, "B/row-compact")
	b.ReportMetric(full, "B/row-full")
	b.ReportMetric(full/compact, "x-smaller")
	b.ReportMetric(fullData/compactData, "x-smaller-data")
}

// BenchmarkConcurrentIdenticalCalls makes 16 identical search_ads calls
// at once against a sandbox answering in 20 ms, with the toolbox's
// in-flight dedupe and without it, and reports the API requests each
// made per 16 calls.
func BenchmarkConcurrentIdenticalCalls(b *testing.B) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}, Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	var ads atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/ads" {
			ads.Add(1)
		}
		sb.ServeHTTP(w, r)
	}))
	b.Cleanup(ts.Close)
	key := sb.NewWorkspace(sandbox.Credits{Recurring: 1 << 40})
	cl, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(key))
	if err != nil {
		b.Fatal(err)
	}
	box := func(noDedupe bool) *tools.Toolbox {
		t, err := tools.NewToolbox(tools.Config{Catalogue: tools.BuiltIn(), Client: cl, NoDedupe: noDedupe})
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	shared, alone := box(false), box(true)
	burst := func(t *tools.Toolbox) int64 {
		before := ads.Load()
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if r := t.Call(context.Background(), "search_ads", map[string]any{"search": "coffee", "limit": 20}); r.IsError {
					b.Errorf("search_ads: %s", r.JSON())
				}
			})
		}
		wg.Wait()
		return ads.Load() - before
	}
	var withDedupe, without int64
	n := 0
	for b.Loop() {
		withDedupe += burst(shared)
		without += burst(alone)
		n++
	}
	b.ReportMetric(float64(withDedupe)/float64(n), "requests/16-calls")
	b.ReportMetric(float64(without)/float64(n), "requests/16-calls-no-dedupe")
}
