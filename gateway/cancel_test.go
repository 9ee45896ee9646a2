package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/sandbox"
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

// TestACancelledRequestGetsNoResponse cancels a call in flight with
// notifications/cancelled and reads what the HTTP exchange of the call
// brought: in both revisions, no JSON-RPC response for it, as MCP says
// (SHOULD NOT), and still a valid answer (an SSE stream) that ends; and
// the call's reservation is released in the deployment's budget and the
// caller's. A call answered with JSON (nothing sent yet when cancelled)
// gets an SSE stream with no event; one whose stream is open (a progress
// notification was sent) gets its stream closed without the response.
func TestACancelledRequestGetsNoResponse(t *testing.T) {
	t.Parallel()
	for _, version := range []string{legacy, modern} {
		for _, streamed := range []bool{false, true} {
			name := version + "/json"
			if streamed {
				name = version + "/sse"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cfg := testenv.Config{NoClient: true}
				var (
					api     *hangingAPI
					waiting chan time.Duration
				)
				if streamed {
					// The call waits out a 429 (Retry-After 30 s, on a clock
					// that waits until cancelled) and says so with progress.
					cfg.Clock = testenv.NewFakeClock()
					waiting = make(chan time.Duration, 4)
					cfg.Clock.Block(waiting)
				} else {
					api = newHangingAPI(t)
					cfg.BaseURL = api.srv.URL
				}
				e := testenv.New(t, cfg)
				if streamed {
					e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "30"})
				}
				_, url := serve(t, e, gateway.Config{Clients: twoClients(t, ptr(500), nil)})
				alice := newRaw(t, url, aliceToken, version)
				if version == legacy {
					alice.initialize()
				}
				ctx, stop := context.WithTimeout(context.Background(), 20*time.Second)
				defer stop()

				const id = 7
				body, hdr := alice.message(id, "tools/call", map[string]any{"name": "search_ads",
					"arguments": map[string]any{"search": "coffee", "limit": 40},
					"_meta":     map[string]any{"progressToken": "p7"}})
				answered := make(chan *http.Response, 1)
				go func() {
					resp, err := http.DefaultClient.Do(alice.request(ctx, http.MethodPost, body, hdr))
					if err != nil {
						t.Errorf("POST tools/call: %v", err)
						close(answered)
						return
					}
					answered <- resp
				}()
				var (
					resp   *http.Response
					br     *bufio.Reader
					before []byte
				)
				if streamed {
					// An SSE answer's headers come with its first event.
					select {
					case resp = <-answered:
					case <-ctx.Done():
						t.Fatal("no answer began")
					}
					if resp == nil {
						t.FailNow()
					}
					br = bufio.NewReader(resp.Body)
					for !bytes.Contains(before, []byte("notifications/progress")) {
						line, err := br.ReadBytes('\n')
						if err != nil {
							t.Fatalf("the stream ended before the progress notification: %v (%q)", err, before)
						}
						before = append(before, line...)
					}
				} else {
					select {
					case <-api.entered:
					case <-ctx.Done():
						t.Fatal("the call never reached the API")
					}
				}
				if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 40 {
					t.Errorf("while the call runs the deployment holds %d credits, want 40", st.InFlight)
				}

				if r := alice.cancel(id); r.status != http.StatusAccepted {
					t.Fatalf("cancel: HTTP %d: %s", r.status, r.body)
				}
				if !streamed {
					select {
					case resp = <-answered:
					case <-ctx.Done():
						t.Fatal("the cancelled call's exchange did not end")
					}
					if resp == nil {
						t.FailNow()
					}
					br = bufio.NewReader(resp.Body)
				}
				rest, err := io.ReadAll(br)
				_ = resp.Body.Close()
				if err != nil {
					t.Fatalf("reading the rest of the answer: %v", err)
				}
				r := parseReply(resp, append(before, rest...))
				if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
					t.Errorf("the cancelled call's answer: HTTP %d, Content-Type %q; want 200 text/event-stream (a request's answer is an SSE stream or one JSON response, and it must not be the response)",
						resp.StatusCode, ct)
				}
				for _, m := range r.msgs {
					if m["id"] != nil {
						t.Errorf("a response to the cancelled request: %s", testenv.MustJSON(m))
					}
				}
				if streamed && len(r.msgs) != 1 {
					t.Errorf("the stream holds %d messages, want the progress notification alone: %s", len(r.msgs), r.body)
				}

				// The reservation is released, in the deployment's budget
				// and in alice's own (her cap of 500).
				deadline := time.Now().Add(10 * time.Second)
				for testenv.StatusOf(t, e.Ctrl).InFlight != 0 && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
				if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 0 || st.RunSpent != 0 {
					t.Errorf("after the cancellation the deployment holds %d and spent %d; want 0, 0", st.InFlight, st.RunSpent)
				}
				view := alice.rpc(ctx, alice.nextID(), "resources/read", map[string]any{"uri": mcpserver.BudgetURI}).result(t)
				text, _ := view["contents"].([]any)[0].(map[string]any)["text"].(string)
				var own map[string]any
				if err := json.Unmarshal([]byte(text), &own); err != nil {
					t.Fatalf("tollgate://budget: %v: %s", err, text)
				}
				b := testenv.Obj(t, own, "budget")
				if testenv.Num(t, b, "inFlight") != 0 || testenv.Num(t, b, "available") != 500 {
					t.Errorf("alice's budget after the cancellation: %s; want nothing held, 500 available", testenv.MustJSON(b))
				}
				if got := metric(scrape(t, metricsURL(url)), "tollgate_cancellations_total", "result", "cancelled"); got != 1 {
					t.Errorf("cancelled = %v, want 1", got)
				}
			})
		}
	}
}

// TestClientCancellationOverHTTP cancels a call through each real client
// over the gateway, in both revisions. The official Go SDK's client
// sends notifications/cancelled when the call's context ends: the
// gateway matches it to the call. mcp-go's client sends none over HTTP;
// it ends the call's HTTP request, which 2026-07-28 makes the
// cancellation. Either way the API request is dropped, no response for
// the call is on the wire, and nothing stays reserved.
func TestClientCancellationOverHTTP(t *testing.T) {
	t.Parallel()
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		api := newHangingAPI(t)
		e := testenv.New(t, testenv.Config{NoClient: true, BaseURL: api.srv.URL})
		_, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
		p := mcppeer.HTTP(t, k, url, aliceToken, mcppeer.Options{})

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := p.CallErr(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 30})
			done <- err
		}()
		select {
		case <-api.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the call never reached the API")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("the cancelled call returned %v", err)
		}
		select {
		case <-api.gone:
		case <-time.After(10 * time.Second):
			t.Fatal("the cancellation did not stop the call")
		}
		if k.SDK {
			// The SDK also ends the call's HTTP request, so its
			// notification may find the call already ended (unmatched).
			waitMetric(t, metricsURL(url), "tollgate_cancellations_total", nil, 1)
			if n := p.Wire.Posts(string(mcp.MethodNotificationCancelled)); len(n) != 1 {
				t.Errorf("%d notifications/cancelled on the wire, want the SDK's one", len(n))
			}
		}
		var callID any
		for _, c := range p.Wire.Posts(string(mcp.MethodToolsCall)) {
			callID = c.Request["id"]
		}
		for _, m := range p.Wire.Answers() {
			if m["id"] != nil && testenv.MustJSON(m["id"]) == testenv.MustJSON(callID) {
				t.Errorf("a response to the cancelled call is on the wire: %s", testenv.MustJSON(m))
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for testenv.StatusOf(t, e.Ctrl).InFlight != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if st := testenv.StatusOf(t, e.Ctrl); st.InFlight != 0 {
			t.Errorf("after the cancellation the deployment holds %d credits", st.InFlight)
		}
	})
}

// waitMetric waits until the metric's value is want.
func waitMetric(t *testing.T, url, name string, labels []string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := metric(scrape(t, url), name, labels...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
