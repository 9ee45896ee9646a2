package runtime_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// BenchmarkPacingSandbox is the pacing goal over real HTTP and in real
// time: 16 concurrent callers against the sandbox, no client-side
// --rate. Each iteration is one whole run of 10 to 20 s (run it with
// -benchtime=1x and -count for the spread). The buckets:
//
//   - 10ps-b2: 10 requests/s with burst 2, X-RateLimit-* headers, 200
//     calls (the goal);
//   - 10ps-b2-noheaders: the same bucket sending no rate-limit headers
//     at all (Retry-After on a 429 only): the rate is learnt from 429s;
//   - 20ps-b2: 20/s with burst 2, 400 calls;
//   - 10ps-b10: 10/s with burst 10, 200 calls.
//
// "off" is the same client with server pacing turned off, the code
// before pacing. Each reports
//
//   - rate-fraction: calls made over what the server would have accepted
//     in the same time (burst + rate × elapsed);
//
//   - 429-fraction: requests answered 429 over all requests;
//
//   - failed: calls that ended in an error (429s past the retry limit).
//
//     go test -run='^$' -bench=PacingSandbox -benchtime=1x -count=5 ./runtime/
func BenchmarkPacingSandbox(b *testing.B) {
	for _, bucket := range []paceBucket{
		{rate: 10, burst: 2, calls: 200},
		{rate: 10, burst: 2, calls: 200, headers: sandbox.HeadersNone},
		{rate: 20, burst: 2, calls: 400},
		{rate: 10, burst: 10, calls: 200},
	} {
		for _, mode := range []struct {
			name string
			opt  runtime.Option
		}{
			{"paced", nil},
			{"off", runtime.WithPacing(nil)},
		} {
			if mode.opt != nil && bucket.name() != "10ps-b2" {
				continue // one baseline is enough: off is off whatever the bucket
			}
			b.Run(bucket.name()+"/"+mode.name, func(b *testing.B) {
				for b.Loop() {
					runPacingSandbox(b, bucket, mode.opt)
				}
			})
		}
	}
}

// paceBucket is one sandbox rate limit of BenchmarkPacingSandbox.
type paceBucket struct {
	rate    float64
	burst   int
	calls   int
	headers sandbox.RateLimitHeaders
}

func (p paceBucket) name() string {
	n := fmt.Sprintf("%gps-b%d", p.rate, p.burst)
	if p.headers == sandbox.HeadersNone {
		n += "-noheaders"
	}
	return n
}

const paceCallers = 16

func runPacingSandbox(b *testing.B, pb paceBucket, opt runtime.Option) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: pb.rate, Burst: pb.burst, Headers: pb.headers}})
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
			for next.Add(1) <= int64(pb.calls) {
				if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	requests := sb.Requests()
	b.ReportMetric(float64(int64(pb.calls)-failed.Load())/(float64(pb.burst)+pb.rate*elapsed.Seconds()), "rate-fraction")
	b.ReportMetric(float64(limited.Load())/float64(requests), "429-fraction")
	b.ReportMetric(float64(failed.Load()), "failed")
	b.ReportMetric(elapsed.Seconds(), "s/run")
}
