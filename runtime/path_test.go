package runtime_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// hostileIDs are path parameters that would change the endpoint if they
// were pasted into the path unescaped, with the segment they must become.
var hostileIDs = []struct{ id, segment string }{
	{"facebook_123", "facebook_123"},
	{"a.b", "a.b"},
	{"../usage", "..%2Fusage"},
	{"../../v1/usage", "..%2F..%2Fv1%2Fusage"},
	{"/v1/usage", "%2Fv1%2Fusage"},
	{"a/b", "a%2Fb"},
	{"x?admin=1", "x%3Fadmin=1"},
	{"x#frag", "x%23frag"},
	{"100%", "100%25"},
	{"%2F", "%252F"},
	{"%2e%2e", "%252e%252e"},
	{".", "%2E"},
	{"..", "%2E%2E"},
	{"...", "%2E%2E%2E"},
	{"a b", "a%20b"},
	{"a;b", "a%3Bb"},
	{"é", "%C3%A9"},
	{"\\..\\", "%5C..%5C"},
}

// TestPathParamsStayOneSegment checks, on the server side, the exact
// escaped path each hostile id produces: one segment, no query, no
// fragment, and the id back when unescaped.
func TestPathParamsStayOneSegment(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*url.URL
	ts, _ := plainServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{}}`))
	})
	c := newClient(t, ts, newFakeClock(), runtime.WithAPIKey("k"))
	for _, tt := range hostileIDs {
		mu.Lock()
		got = nil
		mu.Unlock()
		_, err := c.Do(context.Background(), &runtime.Request{
			Path: "/v1/ads/{adId}/media-url", PathParams: map[string]string{"adId": tt.id},
		})
		if err != nil {
			t.Errorf("id %q: %v", tt.id, err)
			continue
		}
		mu.Lock()
		if len(got) != 1 {
			t.Fatalf("id %q: server got %d requests", tt.id, len(got))
		}
		u := got[0]
		mu.Unlock()
		want := "/v1/ads/" + tt.segment + "/media-url"
		if u.EscapedPath() != want || u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("id %q: server got path %q query %q; want %q and no query", tt.id, u.EscapedPath(), u.RawQuery, want)
			continue
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 5 {
			t.Errorf("id %q: path %q has %d segments; want 5", tt.id, u.EscapedPath(), len(segs))
			continue
		}
		if back, err := url.PathUnescape(segs[3]); err != nil || back != tt.id {
			t.Errorf("id %q: segment %q unescapes to %q (%v)", tt.id, segs[3], back, err)
		}
	}
}

// TestHostileIDsReachTheirEndpoint: against the sandbox, every hostile ad
// id is looked up by getAd (404 not_found) and never answered by another
// route such as /v1/usage.
func TestHostileIDsReachTheirEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	before := e.sb.Credits(sandbox.DemoKey)
	for _, tt := range hostileIDs {
		_, err := c.Do(context.Background(), &runtime.Request{Path: "/v1/ads/{adId}", PathParams: map[string]string{"adId": tt.id}})
		ae := mustAPIError(t, err)
		if ae.Status != 404 || ae.Code != runtime.CodeNotFound || !strings.Contains(ae.Message, "No ad with id") {
			t.Errorf("id %q: got %d %s %q; want getAd's 404 not_found", tt.id, ae.Status, ae.Code, ae.Message)
		}
	}
	for i, p := range e.Paths() {
		if !strings.HasPrefix(p, "/v1/ads/") || strings.Count(p, "/") != 3 || strings.Contains(p, "?") {
			t.Errorf("request %d went to %q; want /v1/ads/<one segment>", i, p)
		}
	}
	if after := e.sb.Credits(sandbox.DemoKey); after != before {
		t.Errorf("balance went from %+v to %+v; a 404 costs nothing", before, after)
	}
}

func TestPathTemplateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	tests := []struct {
		name   string
		path   string
		params map[string]string
	}{
		{"missing parameter", "/v1/ads/{adId}", nil},
		{"other parameter given", "/v1/ads/{adId}", map[string]string{"id": "x"}},
		{"empty parameter", "/v1/ads/{adId}", map[string]string{"adId": ""}},
		{"unclosed brace", "/v1/ads/{adId", map[string]string{"adId": "x"}},
		{"second parameter missing", "/v1/advertisers/{advertiserId}/ads/{x}", map[string]string{"advertiserId": "1"}},
	}
	for _, tt := range tests {
		_, err := c.Do(context.Background(), &runtime.Request{Path: tt.path, PathParams: tt.params})
		if err == nil {
			t.Errorf("%s: Do succeeded", tt.name)
			continue
		}
		if _, ok := runtime.AsAPIError(err); ok {
			t.Errorf("%s: got an *APIError %v; want a local error", tt.name, err)
		}
		if _, err := runtime.ExpandPath(tt.path, tt.params); err == nil {
			t.Errorf("%s: ExpandPath succeeded", tt.name)
		}
	}
	if n := e.sb.Requests(); n != 0 {
		t.Errorf("the sandbox got %d requests; a bad path must not be sent", n)
	}
}

func TestExpandPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tmpl   string
		params map[string]string
		want   string
	}{
		{"/v1/usage", nil, "/v1/usage"},
		{"/v1/ads/{adId}", map[string]string{"adId": "facebook_1"}, "/v1/ads/facebook_1"},
		{"/v1/brandtrackers/{id}/ads", map[string]string{"id": "a/b", "unused": "x"}, "/v1/brandtrackers/a%2Fb/ads"},
		{"/v1/{a}/{b}", map[string]string{"a": "{b}", "b": ".."}, "/v1/%7Bb%7D/%2E%2E"},
	}
	for _, tt := range tests {
		got, err := runtime.ExpandPath(tt.tmpl, tt.params)
		if err != nil || got != tt.want {
			t.Errorf("ExpandPath(%q, %v) = %q, %v; want %q", tt.tmpl, tt.params, got, err, tt.want)
		}
	}
}
