package runtime_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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
