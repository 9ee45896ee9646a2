package runtime_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

func BenchmarkParseError(b *testing.B) {
	h := http.Header{"X-Request-Id": {"req_1"}, "Retry-After": {"12"}, "Content-Type": {"application/json"}}
	body := []byte(referenceValidation)
	for b.Loop() {
		e := runtime.ParseError(400, h, body, epoch)
		if e.Code == "" {
			b.Fatal("no code")
		}
	}
}

func BenchmarkParseMetering(b *testing.B) {
	h := http.Header{"X-Usage-Cost": {"12"}, "X-Credits-Used": {"12"}, "X-Credits-Remaining": {"9872"},
		"X-Credits-Source": {"recurring"}, "X-Request-Id": {"req_01HZABCDEFGHJKMNPQRSTVWXYZ"}}
	for b.Loop() {
		if !runtime.ParseMetering(h).Metered() {
			b.Fatal("not metered")
		}
	}
}

// BenchmarkDoSandbox is one metered call over real HTTP to the sandbox.
func BenchmarkDoSandbox(b *testing.B) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	key := sb.NewWorkspace(sandbox.Credits{Recurring: 1 << 40})
	c, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(key), runtime.WithHTTPClient(ts.Client()))
	if err != nil {
		b.Fatal(err)
	}
	req := &runtime.Request{Path: "/v1/ads/query", Method: "POST", Body: map[string]any{"limit": 5}, Idempotent: true}
	for b.Loop() {
		if _, err := c.Do(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPage is one 20-row page (about 34 KB) over real HTTP from the
// sandbox: through Client.Do, and as a raw GET of the same URL (the
// baseline of the bench harness's first row). The sandbox's own work is in
// both; the difference is the client's.
func BenchmarkPage(b *testing.B) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	key := sb.NewWorkspace(sandbox.Credits{Recurring: 1 << 40})
	query := url.Values{"search": {"coffee"}, "limit": {"20"}}
	b.Run("do", func(b *testing.B) {
		c, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(key))
		if err != nil {
			b.Fatal(err)
		}
		req := &runtime.Request{Path: "/v1/ads", Query: query, Operation: "listAds"}
		for b.Loop() {
			if _, err := c.Do(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		u := ts.URL + "/v1/ads?" + query.Encode()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := ts.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadAll(resp.Body); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}
