package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

func TestScriptedFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       sandbox.Fault
		status      int
		code        string // error.code of a JSON envelope, "" otherwise
		contentType string
		retryAfter  string
		requestID   bool
		check       func(t *testing.T, body []byte)
	}{
		{"internal error", sandbox.Fault{Kind: sandbox.FaultInternalError}, 500, "internal_error", "application/json", "", true, nil},
		{"rate limited with delta seconds", sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "7"}, 429, "rate_limited", "application/json", "7", true, nil},
		{"rate limited with an HTTP date", sandbox.Fault{Kind: sandbox.FaultRateLimited, RetryAfter: "Wed, 21 Oct 2026 07:28:00 GMT"}, 429, "rate_limited", "application/json", "Wed, 21 Oct 2026 07:28:00 GMT", true, nil},
		{"rate limited without Retry-After", sandbox.Fault{Kind: sandbox.FaultRateLimited}, 429, "rate_limited", "application/json", "", true, nil},
		{"bad gateway page", sandbox.Fault{Kind: sandbox.FaultBadGateway}, 502, "", "text/html", "", false,
			func(t *testing.T, b []byte) {
				if !strings.Contains(string(b), "<html>") {
					t.Errorf("body %q is not an HTML page", b)
				}
			}},
		{"malformed JSON", sandbox.Fault{Kind: sandbox.FaultMalformed}, 200, "", "application/json", "", true,
			func(t *testing.T, b []byte) {
				if json.Valid(b) || len(b) == 0 {
					t.Errorf("body %q should be truncated JSON", b)
				}
			}},
		{"HTML with status", sandbox.Fault{Kind: sandbox.FaultHTML, Status: 503, RetryAfter: "3"}, 503, "", "text/html", "3", false, nil},
		{"empty body", sandbox.Fault{Kind: sandbox.FaultEmpty, Status: 200}, 200, "", "", "", true,
			func(t *testing.T, b []byte) {
				if len(b) != 0 {
					t.Errorf("body %q is not empty", b)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			key := e.s.NewWorkspace(sandbox.Credits{})
			e.s.Inject(tt.fault)
			r := e.get("/v1/ads?search=shoes", key)
			wantStatus(t, r, tt.status)
			if tt.code != "" {
				if c := r.errCode(t); c != tt.code {
					t.Errorf("code = %q, want %q", c, tt.code)
				}
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if got := r.header.Get("X-Request-Id") != ""; got != tt.requestID {
				t.Errorf("X-Request-Id present = %v, want %v", got, tt.requestID)
			}
			if tt.check != nil {
				tt.check(t, r.body)
			}
			if e.s.Spent(key) != 0 || r.header.Get("X-Usage-Cost") != "" {
				t.Errorf("a fault must never charge")
			}
			// The fault is used up: the next request succeeds.
			wantStatus(t, e.get("/v1/ads?search=shoes", key), 200)
		})
	}
}

func TestScriptedDropClosesTheConnection(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	e.s.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Count: 2})
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("GET", e.url+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
		// A fresh transport, so the client does not retry on a reused
		// connection by itself.
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("request %d: got status %d, want a transport error", i, resp.StatusCode)
		}
	}
	wantStatus(t, e.get("/v1/me", sandbox.DemoKey), 200)
	if got := e.s.Requests(); got != 3 {
		t.Errorf("Requests() = %d, want 3", got)
	}
}

func TestScriptedFaultsMatchPathPrefixAndCount(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	e.s.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, PathPrefix: "/v1/shops", Count: 2})
	wantStatus(t, e.get("/v1/me", sandbox.DemoKey), 200)
	wantStatus(t, e.get("/v1/health", ""), 200)
	wantStatus(t, e.get("/v1/shops?limit=1", sandbox.DemoKey), 500)
	wantStatus(t, e.get("/v1/shops/1", sandbox.DemoKey), 500)
	wantStatus(t, e.get("/v1/shops?limit=1", sandbox.DemoKey), 200)
}

func TestFaultsComeBeforeAuthentication(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	e.s.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError})
	wantStatus(t, e.get("/v1/me", ""), 500)
	wantStatus(t, e.get("/v1/me", ""), 401)
}

// statusesFor sends n sequential requests and records each outcome.
func statusesFor(t *testing.T, seed int64, n int) []string {
	e := newEnv(t, sandbox.Config{Seed: seed, Faults: sandbox.Faults{ErrorRate: 0.2, DropRate: 0.1, MalformedRate: 0.1}})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var out []string
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest("GET", e.url+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
		resp, err := client.Do(req)
		if err != nil {
			out = append(out, "drop")
			continue
		}
		var b strings.Builder
		buf := make([]byte, 512)
		for {
			k, err := resp.Body.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == 200 && json.Valid([]byte(b.String())):
			out = append(out, "ok")
		case resp.StatusCode == 200:
			out = append(out, "malformed")
		default:
			out = append(out, http.StatusText(resp.StatusCode))
		}
	}
	return out
}

func TestRandomFaultsFollowTheSeed(t *testing.T) {
	a := statusesFor(t, 42, 60)
	b := statusesFor(t, 42, 60)
	c := statusesFor(t, 43, 60)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	if strings.Join(a, ",") == strings.Join(c, ",") {
		t.Errorf("seeds 42 and 43 gave identical fault sequences")
	}
	counts := map[string]int{}
	for _, s := range a {
		counts[s]++
	}
	if counts["ok"] < 20 || counts["ok"] > 50 || counts["Internal Server Error"] == 0 || counts["drop"] == 0 || counts["malformed"] == 0 {
		t.Errorf("fault mix %v does not reflect rates 0.2/0.1/0.1", counts)
	}
}

func TestLatencyHonoursCancellationAndReleasesTheReservation(t *testing.T) {
	e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{Latency: 2 * time.Second}})
	key := e.s.NewWorkspace(sandbox.Credits{})
	e.s.SetCredits(key, sandbox.Credits{Recurring: 20})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/v1/ads?search=shoes&limit=20", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	start := time.Now()
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("cancellation took %v", time.Since(start))
	}
	e.s.SetFaults(sandbox.Faults{})
	// The abandoned call's reservation is released (the server notices the
	// client leaving asynchronously, so allow it a moment).
	deadline := time.Now().Add(2 * time.Second)
	for {
		r := e.get("/v1/ads?search=shoes&limit=20", key)
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reservation was never released: %d %s", r.status, r.body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if e.s.Spent(key) != 20 {
		t.Errorf("spent %d, want 20 (the cancelled call is not charged)", e.s.Spent(key))
	}
}
