package budget_test

import (
	"context"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// benchCycle is one call's bookkeeping without HTTP: reserve, settle from
// a synthetic response, finish.
func benchCycle(b *testing.B, c *budget.Controller, req *runtime.Request, m runtime.Metering) {
	ctx, r, err := c.Reserve(context.Background(), budget.Ask{Operation: "listAds", Rows: 20})
	if err != nil {
		b.Fatal(err)
	}
	c.ObserveResponse(ctx, req, 200, m)
	if err := r.Finish(ctx, nil); err != nil {
		b.Fatal(err)
	}
}

func benchController(b *testing.B) *budget.Controller {
	c, _ := withBalance(b, budget.Config{MaxCredits: budget.Unlimited}, 1<<50)
	return c
}

var benchMetering = runtime.Metering{UsageCost: runtime.Known(7), CreditsUsed: runtime.Known(7), CreditsRemaining: runtime.Known(1 << 49)}

func BenchmarkReserveSettle(b *testing.B) {
	c := benchController(b)
	req := &runtime.Request{Operation: "listAds"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchCycle(b, c, req, benchMetering)
		}
	})
	if st := c.Status(); st.InFlight != 0 {
		b.Fatalf("%d left in flight", st.InFlight)
	}
}

func BenchmarkReserveSettleSerial(b *testing.B) {
	c := benchController(b)
	req := &runtime.Request{Operation: "listAds"}
	b.ReportAllocs()
	for b.Loop() {
		benchCycle(b, c, req, benchMetering)
	}
}
