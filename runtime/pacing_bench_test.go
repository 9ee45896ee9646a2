package runtime_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// BenchmarkPacingSandbox is the pacing goal over real HTTP and in real
// time: the sandbox at 10 requests/s with burst 2, 16 concurrent callers,
// 200 calls, no client-side --rate. Each iteration is one whole run of
// about 20 s (run it with -benchtime=1x and -count for the spread); "off"
// is the same client with server pacing turned off, the code before
// pacing. It reports
//
//   - rate-fraction: calls made over what the server would have accepted
//     in the same time (burst + 10/s × elapsed);
//
//   - 429-fraction: requests answered 429 over all requests;
//
//   - failed: calls that ended in an error (429s past the retry limit).
//
//     go test -run='^$' -bench=PacingSandbox -benchtime=1x -count=5 ./runtime/
func BenchmarkPacingSandbox(b *testing.B) {
	for _, mode := range []struct {
		name string
		opt  runtime.Option
	}{
		{"paced", nil},
		{"off", runtime.WithPacing(nil)},
	} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				runPacingSandbox(b, mode.opt)
			}
		})
	}
}

const (
	paceRate    = 10
	paceBurst   = 2
	paceCallers = 16
	paceCalls   = 200
)

func runPacingSandbox(b *testing.B, opt runtime.Option) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: paceRate, Burst: paceBurst}})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	var limited atomic.Int64
	obs := runtime.ObserverFuncs{Response: func(_ context.Context, _ *runtime.Request, status int, _ runtime.Metering) {
		if status == 429 {
			limited.Add(1)
		}
	}}
	opts := []runtime.Option{runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(sandbox.DemoKey),
		runtime.WithHTTPClient(ts.Client()), runtime.WithObserver(obs)}
	if opt != nil {
		opts = append(opts, opt)
	}
	c, err := runtime.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	var next, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range paceCallers {
		wg.Go(func() {
			for next.Add(1) <= paceCalls {
				if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	requests := sb.Requests()
	b.ReportMetric(float64(paceCalls-failed.Load())/(paceBurst+paceRate*elapsed.Seconds()), "rate-fraction")
	b.ReportMetric(float64(limited.Load())/float64(requests), "429-fraction")
	b.ReportMetric(float64(failed.Load()), "failed")
	b.ReportMetric(elapsed.Seconds(), "s/run")
}
