package budget_test

import (
	"context"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// benchCycle is one call's bookkeeping without HTTP: reserve, then
// settle from a synthetic response.
func benchCycle(b *testing.B, c *budget.Controller, resp *runtime.Response) {
	ctx := context.Background()
	r, err := c.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 20})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Finish(ctx, resp, nil); err != nil {
		b.Fatal(err)
	}
}

func benchController(b *testing.B) *budget.Controller {
	c, _ := withBalance(b, budget.Config{MaxCredits: budget.Unlimited}, 1<<50)
	return c
}

var benchResponse = &runtime.Response{Status: 200, Metering: runtime.Metering{
	UsageCost: runtime.Known(7), CreditsUsed: runtime.Known(7), CreditsRemaining: runtime.Known(1 << 49)}}

func BenchmarkReserveSettle(b *testing.B) {
	c := benchController(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchCycle(b, c, benchResponse)
		}
	})
	if st := status(b, c); st.InFlight != 0 {
		b.Fatalf("%d left in flight", st.InFlight)
	}
}

func BenchmarkReserveSettleSerial(b *testing.B) {
	c := benchController(b)
	b.ReportAllocs()
	for b.Loop() {
		benchCycle(b, c, benchResponse)
	}
}
