package runtime_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Bodies from the public error guide and the API reference, used as seeds.
const (
	guideMissingKey = `{
"error": {
"code": "missing_api_key",
"message": "Missing API key.",
"requestId": "req_123"
}
}`
	guideInsufficient = `{
"error": {
"code": "insufficient_credits",
"message": "Not enough credits to complete this request.",
"requestId": "req_01HZ…"
}
}`
	referenceValidation = `{ "error": { "code": "invalid_api_key", "message": "…", "requestId": "…",
  "details": { "validationErrors": [
    { "field": "query-string.limit", "location": "query-string",
      "expected": ["limit must not be greater than 100"] } ] } } }`
	proxyPage = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>cloudflare</center>\n</body>\n</html>\n"
)

// parseHeaderLines reads "Name: value" lines, the fuzzers' header form.
func parseHeaderLines(s string) http.Header {
	h := http.Header{}
	for line := range strings.SplitSeq(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		h.Add(strings.TrimSpace(k), v)
	}
	return h
}

func isSnakeCase(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func checkCount(t *testing.T, name string, c runtime.Count) {
	t.Helper()
	if c.Present && (c.Value < 0 || c.Value > 1<<53) {
		t.Errorf("%s = %d is present but not a believable credit count", name, c.Value)
	}
	if !c.Present && c.Value != 0 {
		t.Errorf("%s is absent but holds %d", name, c.Value)
	}
}

func checkMetering(t *testing.T, m runtime.Metering) {
	t.Helper()
	checkCount(t, "UsageCost", m.UsageCost)
	checkCount(t, "CreditsUsed", m.CreditsUsed)
	checkCount(t, "CreditsRemaining", m.CreditsRemaining)
	switch m.CreditsSource {
	case "", "recurring", "topup", "hybrid":
	default:
		t.Errorf("CreditsSource %q is not one of the documented buckets", m.CreditsSource)
	}
	checkRequestID(t, m.RequestID)
}

func checkRequestID(t *testing.T, id string) {
	t.Helper()
	if len(id) > 128 {
		t.Errorf("request id of %d bytes", len(id))
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			t.Errorf("request id %q holds %q", id, r)
			break
		}
	}
}

func addMeteringSeeds(f *testing.F) {
	for _, h := range []string{
		"",
		"X-Usage-Cost: 12\nX-Credits-Used: 12\nX-Credits-Remaining: 9872\nX-Credits-Source: recurring\nX-Request-Id: req_01HZ",
		"X-Usage-Cost: 0\nX-Credits-Used: 0\nX-Credits-Remaining: 10000",
		"X-Usage-Cost: abc\nX-Credits-Used: -1\nX-Credits-Remaining: 99999999999999999999",
		"X-Credits-Remaining: 9007199254740993\nX-Credits-Source: HYBRID",
		"X-Usage-Cost: +5\nX-Credits-Used: 1e3\nX-Request-Id: " + strings.Repeat("é", 100),
		"Retry-After: 12",
		"Retry-After: Fri, 20 Nov 2026 10:31:00 GMT",
		"Retry-After: -3\nContent-Type: text/html",
		"Retry-After: 9223372036854775807",
	} {
		f.Add(h)
	}
}

func FuzzParseMetering(f *testing.F) {
	addMeteringSeeds(f)
	f.Fuzz(func(t *testing.T, headers string) {
		h := parseHeaderLines(headers)
		m := runtime.ParseMetering(h)
		checkMetering(t, m)
		if c := m.Cost(); c.Present != (m.UsageCost.Present || m.CreditsUsed.Present) {
			t.Errorf("Cost() = %v for %+v", c, m)
		}
		_ = m.Cost().String()
		d, ok := runtime.ParseRetryAfter(h.Get("Retry-After"), epoch)
		if d < 0 || (!ok && d != 0) {
			t.Errorf("ParseRetryAfter(%q) = %v, %v", h.Get("Retry-After"), d, ok)
		}
	})
}

// FuzzParseError feeds ParseError any status, headers and body: it must
// never panic and always give a usable error.
func FuzzParseError(f *testing.F) {
	seeds := []struct {
		status  int
		headers string
		body    string
	}{
		{401, "X-Request-Id: req_123", guideMissingKey},
		{402, "", guideInsufficient},
		{400, "Content-Type: application/json", referenceValidation},
		{429, "Retry-After: 12\nX-Request-Id: req_1", `{"error":{"code":"rate_limited","message":"Slow down.","requestId":"req_1"}}`},
		{429, "Retry-After: Fri, 20 Nov 2026 10:31:00 GMT", `{"error":{"code":"rate_limited","message":"","requestId":""}}`},
		{500, "", `{"error":{"code":"internal_error","message":"oops","requestId":"req_2"}}`},
		{502, "Content-Type: text/html", proxyPage},
		{503, "", ""},
		{500, "", `{"error":{"code":"internal_er`},
		{418, "Content-Type: text/plain", "I'm a teapot"},
		{400, "", `{"error":{"code":"Not A Code!","message":"x","details":{"validationErrors":"nope"}}}`},
		{404, "", `{"error":"nope"}`},
		{403, "", `{"error":null}`},
		{400, "", `{"error":{"code":"validation_error","details":{"validationErrors":[{"field":1}]}}}`},
		{0, "", "null"},
		{-1, "X-Usage-Cost: 3", "[]"},
		{999, "Retry-After: 9223372036854775807", `{"error":{"code":"` + strings.Repeat("a", 65) + `"}}`},
		{200, "", "\xff\xfe"},
	}
	for _, s := range seeds {
		f.Add(s.status, s.headers, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, headers string, body []byte) {
		h := parseHeaderLines(headers)
		e := runtime.ParseError(status, h, body, epoch)
		if e == nil {
			t.Fatal("ParseError returned nil")
		}
		if e.Status != status {
			t.Errorf("Status = %d; want %d", e.Status, status)
		}
		if !isSnakeCase(e.Code) || len(e.Code) > 64 {
			t.Errorf("Code %q is not a short snake_case code", e.Code)
		}
		if e.RetryAfter < 0 || (!e.HasRetryAfter && e.RetryAfter != 0) {
			t.Errorf("RetryAfter = %v, HasRetryAfter = %v", e.RetryAfter, e.HasRetryAfter)
		}
		checkMetering(t, e.Metering)
		checkRequestID(t, e.RequestID)
		if msg := e.Error(); !strings.Contains(msg, e.Code) {
			t.Errorf("Error() = %q does not name the code", msg)
		}
		_ = e.Retryable()
		a := e.Advice()
		if a.Code != e.Code || a.Action == "" || a.Source != runtime.SourceAPI || a.Retryable != e.Retryable() {
			t.Errorf("Advice = %+v for %+v", a, e)
		}
		if a.RetryAfterSeconds != nil && *a.RetryAfterSeconds < 0 {
			t.Errorf("RetryAfterSeconds = %d", *a.RetryAfterSeconds)
		}
		if a.RetryAfterSeconds == nil && (e.Code == runtime.CodeRateLimited || e.HasRetryAfter) {
			t.Errorf("no RetryAfterSeconds for %s with Retry-After %v", e.Code, e.HasRetryAfter)
		}
	})
}

// roundTrip is an http.RoundTripper that answers from a function, so the
// envelope fuzzer runs Client.Do without a socket.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzDecodeResponse runs Client.Do on any status, headers and body and
// checks its result is consistent: a *Response for a readable 2xx, an
// *APIError otherwise, never a panic.
func FuzzDecodeResponse(f *testing.F) {
	seeds := []struct {
		status  int
		headers string
		body    string
	}{
		{200, "X-Request-Id: req_1\nX-Usage-Cost: 5\nX-Credits-Remaining: 9995\nX-Credits-Source: recurring",
			`{"data":[{"id":"a"}],"requestId":"req_1","pagination":{"page":1,"limit":5,"total":12,"totalPages":3}}`},
		{200, "", `{"data":[],"requestId":"req_2","pagination":{"limit":5,"offset":10,"total":12},"meta":{"isTruncated":false}}`},
		{200, "X-Usage-Cost: 0\nX-Credits-Used: 0\nX-Credits-Remaining: 10000",
			`{"requestId":"req_u","workspace":{"id":"w","slug":"s","name":"n"},"billing":{"configured":false,"planCode":null,"currentPeriodStart":null,"currentPeriodEnd":null},"credits":{"recurring":{"limit":0,"used":0,"remaining":0},"topup":{"balance":0},"totalRemaining":0}}`},
		{201, "", `{"data":{"id":"bt"},"created":true,"requestId":"req_3"}`},
		{204, "", ""},
		{200, "", `{"data":[{"id":"facebook_1208845530317`},
		{200, "Content-Type: text/html", proxyPage},
		{200, "", `{"data":1,"pagination":"x"}`},
		{200, "", `{"data":1,"pagination":{"offset":-5,"limit":-1,"total":-3}}`},
		{200, "", `[1,2,3]`},
		{401, "", guideMissingKey},
		{402, "", guideInsufficient},
		{400, "", referenceValidation},
		{502, "Content-Type: text/html", proxyPage},
	}
	for _, s := range seeds {
		f.Add(s.status, s.headers, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, headers string, body []byte) {
		if status < 200 || status > 599 {
			return // net/http's client refuses other codes before runtime sees them
		}
		h := parseHeaderLines(headers)
		c, err := runtime.New(
			runtime.WithBaseURL("http://fuzz.invalid"),
			runtime.WithRetryPolicy(runtime.NoRetries()),
			runtime.WithClock(newFakeClock()),
			runtime.WithHTTPClient(&http.Client{
				Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
					return &http.Response{StatusCode: status, Header: h.Clone(), Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
				}),
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}),
		)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(context.Background(), &runtime.Request{Path: "/v1/x", Query: url.Values{"q": {"1"}}})
		if (resp == nil) == (err == nil) {
			t.Fatalf("Do = %v, %v; want exactly one of a response and an error", resp, err)
		}
		if err != nil {
			ae, ok := runtime.AsAPIError(err)
			if !ok {
				t.Fatalf("error %T %v; want an *APIError", err, err)
			}
			if ae.Status != status || !isSnakeCase(ae.Code) || ae.Attempts != 1 {
				t.Errorf("APIError %+v for status %d", ae, status)
			}
			if status >= 200 && status < 300 && ae.Code != runtime.CodeMalformedResponse {
				t.Errorf("a %d failed with code %s; want malformed_response", status, ae.Code)
			}
			checkMetering(t, ae.Metering)
			if a := runtime.Advise(err); a.Action == "" || a.Code != ae.Code {
				t.Errorf("Advise = %+v", a)
			}
			return
		}
		if resp.Status != status || status < 200 || status >= 300 || resp.Attempts != 1 {
			t.Errorf("Response status %d, attempts %d for status %d", resp.Status, resp.Attempts, status)
		}
		checkMetering(t, resp.Metering)
		checkRequestID(t, resp.RequestID)
		_ = resp.Pagination.HasMore()
		if resp.Enveloped && !bytes.Contains(body, []byte(`"data"`)) && !bytes.Contains(body, []byte(`\u`)) {
			t.Errorf("Enveloped without a data member: %q", body)
		}
		if status != http.StatusNoContent && len(resp.Data) == 0 && !resp.Enveloped {
			t.Errorf("a readable %d body gave no Data: %q", status, body)
		}
	})
}

// FuzzExpandPath: whatever the id, it fills exactly one path segment that
// unescapes back to it.
func FuzzExpandPath(f *testing.F) {
	for _, tt := range hostileIDs {
		f.Add(tt.id)
	}
	f.Add("")
	f.Add("{adId}")
	f.Add("\x00\n\r")
	f.Fuzz(func(t *testing.T, id string) {
		p, err := runtime.ExpandPath("/v1/ads/{adId}/reach-history", map[string]string{"adId": id})
		if id == "" {
			if err == nil {
				t.Error("an empty id was accepted")
			}
			return
		}
		if err != nil {
			t.Fatalf("ExpandPath(%q): %v", id, err)
		}
		segs := strings.Split(p, "/")
		if len(segs) != 5 || segs[1] != "v1" || segs[2] != "ads" || segs[4] != "reach-history" {
			t.Fatalf("id %q gave path %q", id, p)
		}
		if strings.ContainsAny(segs[3], "?#") || strings.Trim(segs[3], ".") == "" {
			t.Errorf("id %q gave segment %q", id, segs[3])
		}
		if back, err := url.PathUnescape(segs[3]); err != nil || back != id {
			t.Errorf("segment %q unescapes to %q (%v); want %q", segs[3], back, err, id)
		}
		u, err := url.Parse("http://h" + p)
		if err != nil {
			t.Fatalf("path %q does not parse: %v", p, err)
		}
		if u.EscapedPath() != p || u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("path %q parses to %q query %q fragment %q", p, u.EscapedPath(), u.RawQuery, u.Fragment)
		}
	})
}
