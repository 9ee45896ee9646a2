package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

// TestCancellationReachesOnlyTheSendersCalls starts a paid call that
// hangs at the API, has other parties cancel its request id (another
// client; under 2025-11-25 also another session of the same client),
// and checks that only its own session (or token) cancels it, in both
// revisions.
func TestCancellationReachesOnlyTheSendersCalls(t *testing.T) {
	t.Parallel()
	for _, version := range []string{legacy, modern} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			api := newHangingAPI(t)
			e := testenv.New(t, testenv.Config{NoClient: true, BaseURL: api.srv.URL})
			_, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
			open := func(token string) *rawClient {
				c := newRaw(t, url, token, version)
				if version == legacy {
					c.initialize()
				}
				return c
			}
			alice, bob := open(aliceToken), open(bobToken)
			others := []*rawClient{bob}
			if version == legacy {
				others = append(others, open(aliceToken)) // alice's second session
			}

			const id = 7
			done := make(chan reply, 1)
			go func() {
				done <- alice.call(context.Background(), id, "search_ads", map[string]any{"search": "x", "limit": 5})
			}()
			select {
			case <-api.entered:
			case <-time.After(10 * time.Second):
				t.Fatal("the call never reached the API")
			}
			fams := scrape(t, metricsURL(url))
			before := metric(fams, "tollgate_cancellations_total", "result", "unmatched")
			for _, o := range others {
				if r := o.cancel(id); r.status != http.StatusAccepted {
					t.Fatalf("cancel: HTTP %d: %s", r.status, r.body)
				}
			}
			fams = scrape(t, metricsURL(url))
			if got := metric(fams, "tollgate_cancellations_total", "result", "unmatched") - before; got != float64(len(others)) {
				t.Fatalf("%v of %d foreign cancellations were unmatched", got, len(others))
			}
			if metric(fams, "tollgate_cancellations_total", "result", "cancelled") != 0 {
				t.Fatal("a foreign cancellation cancelled a call")
			}
			select {
			case r := <-done:
				t.Fatalf("alice's call ended after foreign cancellations: %s", r.body)
			case p := <-api.gone:
				t.Fatalf("alice's API request %s was dropped after foreign cancellations", p)
			default:
			}
			if r := alice.cancel(id); r.status != http.StatusAccepted {
				t.Fatalf("alice's cancel: HTTP %d", r.status)
			}
			select {
			case <-api.gone:
			case <-time.After(10 * time.Second):
				t.Fatal("alice's own cancellation did not stop her call")
			}
			<-done
			if got := metric(scrape(t, metricsURL(url)), "tollgate_cancellations_total", "result", "cancelled"); got != 1 {
				t.Errorf("cancelled = %v, want 1", got)
			}
		})
	}
}
