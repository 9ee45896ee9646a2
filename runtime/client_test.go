package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tollgate-mcp/tollgate/internal/syncbuffer"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// TestLimiterPacesEveryAttempt: every attempt, retries included, takes a
// token from the limiter. The limiter refills once an hour, so spending is
// exact and nothing really waits: a call that would have to wait past its
// deadline fails at once, as a timeout, without reaching the server.
func TestLimiterPacesEveryAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	lim := rate.NewLimiter(rate.Every(time.Hour), 3)
	c := e.client(runtime.WithLimiter(lim))
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError})

	resp, err := c.Do(context.Background(), get("/v1/me"))
	if err != nil || resp.Attempts != 2 {
		t.Fatalf("first call: %v (attempts %v); want success after one retry", err, resp)
	}
	if tokens := lim.TokensAt(e.clock.Now()); tokens > 1.01 || tokens < 0.99 {
		t.Errorf("%.2f tokens left after 2 attempts of 3; want 1", tokens)
	}
	if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
		t.Fatalf("second call: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = c.Do(ctx, get("/v1/me"))
	if err == nil {
		t.Fatal("a call beyond the limiter's burst succeeded at once")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the paced call took %v; it should fail at once", time.Since(start))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v; want it to match context.DeadlineExceeded", err)
	}
	if a := runtime.Advise(err); a.Code != runtime.CodeTimeout {
		t.Errorf("Advise code %q (%s); want timeout", a.Code, a.Message)
	}
	if n := e.sb.Requests(); n != 3 {
		t.Errorf("the sandbox got %d requests; want 3", n)
	}

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := c.Do(cctx, get("/v1/me")); !errors.Is(err, context.Canceled) {
		t.Errorf("paced call on a cancelled context: %v; want context.Canceled", err)
	}
}

// TestLimiterSpreadsCalls: the limiter makes calls wait their turn, on
// the client's clock, and every wait is reported: 6 calls at 200/s with
// burst 1 wait 5 ms each after the first.
func TestLimiterSpreadsCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	c := e.client(runtime.WithLimiter(rate.NewLimiter(200, 1)))
	for range 6 {
		if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}
	if got := e.clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("slept %v; want %v", got, want)
	}
	if waits := e.obs.Waits(); len(waits) != 5 || waits[0].Reason != runtime.ReasonPacing {
		t.Errorf("observed waits %+v; want 5 pacing waits", waits)
	}
}

// TestAPIKeyNeverLeaks runs failures that log and quote the server: retries,
// dropped connections, and servers that echo the Authorization header back
// in an error body. The key must appear in no error text, no Advice and no
// log line.
func TestAPIKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	key := e.sb.NewWorkspace(sandbox.Credits{})

	var mu sync.Mutex
	var sent []string
	echo := func(status int, ctype, format string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			auth := r.Header.Get("Authorization")
			mu.Lock()
			sent = append(sent, auth)
			mu.Unlock()
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(status)
			fmt.Fprintf(w, format, auth, strings.TrimPrefix(auth, "Bearer "))
		}
	}
	textEcho, _ := plainServer(t, echo(500, "text/plain", "upstream said no; request headers: Authorization: %s (key %s)"))
	jsonEcho, _ := plainServer(t, echo(401, "application/json",
		`{"error":{"code":"invalid_api_key","message":"Key %[2]s is not valid","requestId":"req_1","details":{"validationErrors":[{"field":"header.authorization","location":"header","expected":["not %[1]s"]}]}}}`))

	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := []runtime.Option{runtime.WithAPIKey(key), runtime.WithLogger(logger)}

	sandboxClient := e.client(append(opts, freshConns(e.ts))...)
	scenarios := []struct {
		name string
		run  func() error
	}{
		{"500s until giving up", func() error {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 3})
			_, err := sandboxClient.Do(context.Background(), get("/v1/me"))
			return err
		}},
		{"dropped connections", func() error {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Count: 3})
			_, err := sandboxClient.Do(context.Background(), get("/v1/me"))
			return err
		}},
		{"rate limited beyond MaxWait", func() error {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "1"})
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "3600"})
			_, err := sandboxClient.Do(context.Background(), get("/v1/me"))
			return err
		}},
		{"insufficient credits", func() error {
			e.sb.SetCredits(key, sandbox.Credits{})
			_, err := sandboxClient.Do(context.Background(), get("/v1/shops"))
			return err
		}},
		{"text body echoing the header", func() error {
			_, err := newClient(t, textEcho, newFakeClock(), opts...).Do(context.Background(), get("/v1/me"))
			return err
		}},
		{"JSON error echoing the key", func() error {
			_, err := newClient(t, jsonEcho, newFakeClock(), opts...).Do(context.Background(), get("/v1/me"))
			return err
		}},
		{"cancelled", func() error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := sandboxClient.Do(ctx, get("/v1/me"))
			return err
		}},
	}
	for _, sc := range scenarios {
		err := sc.run()
		if err == nil {
			t.Errorf("%s: no error", sc.name)
			continue
		}
		advice, _ := json.Marshal(runtime.Advise(err))
		for form, text := range map[string]string{
			"Error()": err.Error(), "%+v": fmt.Sprintf("%+v", err), "%#v": fmt.Sprintf("%#v", err), "Advice": string(advice),
		} {
			if strings.Contains(text, key) {
				t.Errorf("%s: %s holds the API key: %s", sc.name, form, text)
			}
		}
	}

	mu.Lock()
	if len(sent) != 4 || sent[0] != "Bearer "+key { // 3 attempts of the 500, 1 of the 401
		t.Errorf("the echo servers got Authorization %q; want the key 4 times (else this test proves nothing)", sent)
	}
	mu.Unlock()
	out := logs.String()
	if !strings.Contains(out, "retrying") {
		t.Errorf("no retry was logged; the log check proves nothing:\n%s", out)
	}
	if strings.Contains(out, key) {
		t.Errorf("the log holds the API key:\n%s", out)
	}

	if _, err := runtime.New(runtime.WithBaseURL("ftp://x"), runtime.WithAPIKey(key)); err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("New with a bad base URL: %v", err)
	}
}

// syncBuffer is shared with the other packages' tests.
type syncBuffer = syncbuffer.Buffer

// TestConcurrentCalls: a Client is safe for concurrent use (run with -race),
// with retries and jitter drawn from one source.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{ErrorRate: 0.2}})
	c := e.client(runtime.WithRand(func() float64 { return 0.3 }))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := c.Do(context.Background(), get("/v1/me")); err != nil {
				if ae, ok := runtime.AsAPIError(err); !ok || ae.Code != runtime.CodeInternalError {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected failure: %v", err)
	}
	if n := len(e.obs.Responses()); int64(n) != e.sb.Requests() {
		t.Errorf("observed %d responses for %d requests", n, e.sb.Requests())
	}
}
