package redisstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// roundTrips counts the commands a client sends.
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1) // one round trip, however many commands
		return next(ctx, cmds)
	}
}

var benchResponse = &runtime.Response{Status: 200, Metering: runtime.Metering{
	UsageCost: runtime.Known(7), CreditsRemaining: runtime.Known(1 << 40)}}

// BenchmarkReserveSettle is one paid call's bookkeeping against a real
// redis-server on loopback, without HTTP: Reserve, then Finish from a
// synthetic response, by 1 and by 16 goroutines of one process. It
// reports reserve+settle per second and the round trips to Redis per
// call.
func BenchmarkReserveSettle(b *testing.B) {
	url := redistest.URL(b)
	for _, goroutines := range []int{1, 16} {
		b.Run("goroutines="+itoa(goroutines), func(b *testing.B) {
			client, err := redisstore.Dial(url, 5*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			trips := &roundTrips{}
			client.AddHook(trips)
			store, err := redisstore.NewBudget(client, testName(b), redisstore.BudgetOptions{Timeout: 5 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = store.Close(); _ = client.Close() }()
			ctrl := newCtrl(b, budget.Config{MaxCredits: budget.Unlimited, Store: store})
			ctx := context.Background()
			cycle := func() {
				r, err := ctrl.Reserve(ctx, budget.Ask{Operation: "listAds", Rows: 20})
				if err != nil {
					b.Error(err)
					return
				}
				if err := r.Finish(ctx, benchResponse, nil); err != nil {
					b.Error(err)
				}
			}
			cycle() // joins the new ledger and waits for it to open
			trips.n.Store(0)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			var next atomic.Int64
			for range goroutines {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						cycle()
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
			b.ReportMetric(float64(trips.n.Load())/float64(b.N), "roundtrips/call")
			if l, err := store.Load(ctx); err != nil || l.InFlight != 0 {
				b.Fatalf("after the run: %+v, %v", l, err)
			}
		})
	}
}
