package sandbox_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

// validationErrors returns error.details.validationErrors.
func validationErrors(t *testing.T, r *response) []map[string]any {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	list, _ := d["validationErrors"].([]any)
	var out []map[string]any
	for _, v := range list {
		out = append(out, v.(map[string]any))
	}
	return out
}

func TestValidationErrorsNameFieldLocationAndExpectation(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tests := []struct {
		name, method, path string
		body               any
		field, location    string
		expected           string
	}{
		{"limit above 100", "GET", "/v1/ads?search=shoes&limit=101", nil, "query-string.limit", "query-string", "limit must not be greater than 100"},
		{"limit below 1", "GET", "/v1/advertisers?limit=0", nil, "query-string.limit", "query-string", "limit must not be less than 1"},
		{"non-integer page", "GET", "/v1/ads?search=shoes&page=two", nil, "query-string.page", "query-string", "page must be an integer number"},
		{"negative offset", "GET", "/v1/shops?offset=-1", nil, "query-string.offset", "query-string", "offset must not be less than 0"},
		{"wrong enum", "GET", "/v1/ads?search=shoes&status=paused", nil, "query-string.status", "query-string", "status must be one of the following values: active, inactive, all"},
		{"missing required search", "GET", "/v1/ads", nil, "query-string.search", "query-string", "search should not be empty"},
		{"missing required q", "GET", "/v1/lookup", nil, "query-string.q", "query-string", "q should not be empty"},
		{"repeated scalar", "GET", "/v1/ads?search=a&search=b", nil, "query-string.search", "query-string", "search must be a single value, not repeated"},
		{"bad boolean", "GET", "/v1/shops?hasTikTok=yes", nil, "query-string.hasTikTok", "query-string", "hasTikTok must be a boolean value (true or false)"},
		{"bad array item", "GET", "/v1/tiktok/library?countries=US,USA", nil, "query-string.countries", "query-string", "each value in countries must be an ISO 3166-1 alpha-2 country code"},
		{"body limit above 100", "POST", "/v1/ads/query", map[string]any{"limit": 500}, "body.limit", "body", "limit must not be greater than 100"},
		{"body wrong type", "POST", "/v1/ads/query", map[string]any{"search": "shoes"}, "body.search", "body", "search must be an array of strings"},
		{"body nested country", "POST", "/v1/ads/query", map[string]any{"adCountries": map[string]any{"include": []string{"USA"}}}, "body.adCountries.include", "body", "each value in adCountries.include must be an ISO 3166-1 alpha-2 country code"},
		{"body range inverted", "POST", "/v1/google-ads/query", map[string]any{"minReach": 10, "maxReach": 5}, "body.maxReach", "body", "maxReach must not be less than minReach"},
		{"body invalid JSON", "POST", "/v1/ads/query", `{"search": [`, "body", "body", "body must be a valid JSON object"},
		{"body not an object", "POST", "/v1/ads/query", `[1,2]`, "body", "body", "body must be a valid JSON object"},
		{"create needs exactly one target", "POST", "/v1/brandtrackers", map[string]any{"domain": "a.example", "shopId": "1"}, "body", "body", "exactly one of facebookPageId, websiteId, shopId, domain must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, sandbox.DemoKey, tt.body)
			wantStatus(t, r, 400)
			if c := r.errCode(t); c != "validation_error" {
				t.Fatalf("code = %q", c)
			}
			want := map[string]any{"field": tt.field, "location": tt.location, "expected": []any{tt.expected}}
			for _, v := range validationErrors(t, r) {
				if reflect.DeepEqual(v, want) {
					return
				}
			}
			t.Fatalf("validationErrors %v do not contain %v", validationErrors(t, r), want)
		})
	}
}

func TestEveryInvalidParameterIsReported(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	r := e.get("/v1/ads?search=x&limit=101&page=0&sortBy=best&unknownParam=1", sandbox.DemoKey)
	wantStatus(t, r, 400)
	var fields []string
	for _, v := range validationErrors(t, r) {
		fields = append(fields, v["field"].(string))
	}
	want := []string{"query-string.page", "query-string.limit", "query-string.sortBy"} // document order
	if !reflect.DeepEqual(fields, want) {
		t.Fatalf("fields = %v, want %v (unknown params are ignored)", fields, want)
	}
}

func TestUnknownQueryParametersAreIgnored(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	wantStatus(t, e.get("/v1/ads?search=shoes&order=asc&foo=bar", sandbox.DemoKey), 200)
}

func TestPostBodyNeedsJSONContentType(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	req, _ := http.NewRequest("POST", e.url+"/v1/ads/query", strings.NewReader(`{"search":["shoes"]}`))
	req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
	req.Header.Set("Content-Type", "text/plain")
	r := e.send(req)
	wantStatus(t, r, 400)
	if v := validationErrors(t, r); len(v) != 1 || v[0]["location"] != "header" {
		t.Fatalf("validationErrors = %v", v)
	}
	// An empty body is an empty query.
	req, _ = http.NewRequest("POST", e.url+"/v1/ads/query", nil)
	req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
	wantStatus(t, e.send(req), 200)
}

func TestRoutingAnswersNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tests := []struct {
		name, method, path string
		status             int
		allow              string
	}{
		{"unknown route without key", "GET", "/v1/unknown", 404, ""},
		{"trailing slash", "GET", "/v1/ads/", 404, ""},
		{"unversioned path", "GET", "/ads", 404, ""},
		{"PUT on a collection", "PUT", "/v1/ads", 405, "GET"},
		{"GET on a POST-only route", "GET", "/v1/google-ads/query", 405, "POST"},
		{"PATCH on a brandtracker", "PATCH", "/v1/brandtrackers/abc", 405, "DELETE, GET"},
		{"HEAD is not served", "HEAD", "/v1/usage", 405, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, "", nil)
			wantStatus(t, r, tt.status)
			if tt.method != "HEAD" {
				want := map[int]string{404: "not_found", 405: "method_not_allowed"}[tt.status]
				if c := r.errCode(t); c != want {
					t.Fatalf("code = %q, want %q", c, want)
				}
			}
			if got := r.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

// TestPathIDsAreMatchedEscaped proves that an id holding "/" or ".."
// arrives as one unknown id and is never routed elsewhere.
func TestPathIDsAreMatchedEscaped(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tests := []struct {
		name, path string
		status     int
		message    string
	}{
		{"encoded slash and dots in an ad id", "/v1/ads/facebook_1%2F..%2F..%2Fme", 404, `"facebook_1/../../me"`},
		{"encoded dot-dot as the whole id", "/v1/ads/%2e%2e", 404, `".."`},
		{"encoded slash in an advertiser id", "/v1/advertisers/1%2Fads", 404, `"1/ads"`},
		{"encoded slash in a brandtracker id", "/v1/brandtrackers/x%2Fads", 404, `"x/ads"`},
		{"encoded slash in a shop id", "/v1/shops/..%2Fusage", 404, `"../usage"`},
		{"raw dot-dot segments are not cleaned", "/v1/ads/../usage", 404, "No route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", e.url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.RawPath = tt.path // keep the encoding exactly as written
			req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
			r := e.send(req)
			wantStatus(t, r, tt.status)
			msg := r.json(t)["error"].(map[string]any)["message"].(string)
			if !strings.Contains(msg, tt.message) {
				t.Fatalf("message %q does not mention %s", msg, tt.message)
			}
			if r.header.Get("X-Usage-Cost") != "" {
				t.Errorf("a 404 must not be charged")
			}
		})
	}
}
