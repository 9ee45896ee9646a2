package sandbox_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

var requestIDFormat = regexp.MustCompile(`^req_[0-9A-Z]{26}$`)

// TestEveryErrorCodeIsReachable drives each documented error code (and the
// sandbox's 400/404/405 codes) over HTTP, one case each.
func TestEveryErrorCodeIsReachable(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	broke := e.s.NewWorkspace(sandbox.Credits{})
	e.s.SetCredits(broke, sandbox.Credits{})
	limited := e.s.NewWorkspace(sandbox.Credits{})
	faulty := e.s.NewWorkspace(sandbox.Credits{})

	tests := []struct {
		name   string
		setup  func()
		req    func() *http.Request
		status int
		code   string
	}{
		{"no Authorization header is missing_api_key", nil,
			func() *http.Request { return newReq(t, e, "/v1/me", nil) }, 401, "missing_api_key"},
		{"x-api-key header instead of Bearer is invalid_api_key", nil,
			func() *http.Request { return newReq(t, e, "/v1/me", map[string]string{"X-Api-Key": sandbox.DemoKey}) }, 401, "invalid_api_key"},
		{"non-Bearer scheme is invalid_api_key", nil,
			func() *http.Request {
				return newReq(t, e, "/v1/me", map[string]string{"Authorization": "Basic " + sandbox.DemoKey})
			}, 401, "invalid_api_key"},
		{"malformed key is invalid_api_key", nil,
			func() *http.Request { return bearer(t, e, "/v1/me", sandbox.KeyMalformed) }, 401, "invalid_api_key"},
		{"key with trailing whitespace inside the token is invalid_api_key", nil,
			func() *http.Request {
				return newReq(t, e, "/v1/me", map[string]string{"Authorization": "Bearer " + sandbox.DemoKey + " x"})
			}, 401, "invalid_api_key"},
		{"deleted key is credential_not_found", nil,
			func() *http.Request { return bearer(t, e, "/v1/me", sandbox.KeyDeleted) }, 401, "credential_not_found"},
		{"unknown well-formed key is credential_not_found", nil,
			func() *http.Request { return bearer(t, e, "/v1/me", "tt_live_AAAAAAAAAAAAAAAAAAAAAAAA") }, 401, "credential_not_found"},
		{"revoked key is credential_revoked", nil,
			func() *http.Request { return bearer(t, e, "/v1/me", sandbox.KeyRevoked) }, 401, "credential_revoked"},
		{"expired key is credential_expired", nil,
			func() *http.Request { return bearer(t, e, "/v1/me", sandbox.KeyExpired) }, 401, "credential_expired"},
		{"workspace without access row is workspace_public_api_disabled", nil,
			func() *http.Request { return bearer(t, e, "/v1/me", sandbox.KeyDisabledWorkspace) }, 403, "workspace_public_api_disabled"},
		{"suspended workspace is workspace_public_api_suspended", nil,
			func() *http.Request { return bearer(t, e, "/v1/me", sandbox.KeySuspendedWorkspace) }, 403, "workspace_public_api_suspended"},
		{"delegated key writing is forbidden", nil,
			func() *http.Request {
				r := bearer(t, e, "/v1/brandtrackers/x", sandbox.KeyDelegated)
				r.Method = "DELETE"
				return r
			}, 403, "forbidden"},
		{"empty bucket is rate_limited",
			func() {
				e.s.SetRateLimit(sandbox.RateLimit{PerSecond: 1, Burst: 1})
				_ = e.send(bearer(t, e, "/v1/me", limited))
			},
			func() *http.Request { return bearer(t, e, "/v1/me", limited) }, 429, "rate_limited"},
		{"uncovered reservation is insufficient_credits",
			func() { e.s.SetRateLimit(sandbox.RateLimit{Disabled: true}) },
			func() *http.Request { return bearer(t, e, "/v1/ads?search=shoes", broke) }, 402, "insufficient_credits"},
		{"injected failure is internal_error",
			func() { e.s.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError}) },
			func() *http.Request { return bearer(t, e, "/v1/me", faulty) }, 500, "internal_error"},
		{"limit above 100 is validation_error", nil,
			func() *http.Request { return bearer(t, e, "/v1/ads?search=shoes&limit=101", sandbox.DemoKey) }, 400, "validation_error"},
		{"unknown ad is not_found", nil,
			func() *http.Request { return bearer(t, e, "/v1/ads/facebook_1", sandbox.DemoKey) }, 404, "not_found"},
		{"unknown route is not_found", nil,
			func() *http.Request { return bearer(t, e, "/v1/nope", sandbox.DemoKey) }, 404, "not_found"},
		{"wrong method is method_not_allowed", nil,
			func() *http.Request {
				r := bearer(t, e, "/v1/ads", sandbox.DemoKey)
				r.Method = "PUT"
				return r
			}, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			r := e.send(tt.req())
			wantStatus(t, r, tt.status)
			if got := r.errCode(t); got != tt.code {
				t.Fatalf("error.code = %q, want %q", got, tt.code)
			}
			body := r.json(t)["error"].(map[string]any)
			id := r.header.Get("X-Request-Id")
			if !requestIDFormat.MatchString(id) || body["requestId"] != id {
				t.Errorf("X-Request-Id %q must match req_ + 26 chars and equal error.requestId %v", id, body["requestId"])
			}
			if msg, _ := body["message"].(string); len(msg) < 10 {
				t.Errorf("message %q is too short to act on", msg)
			}
			if r.header.Get("X-Usage-Cost") != "" || r.header.Get("X-Credits-Remaining") != "" {
				t.Errorf("error responses must not carry metering headers: %v", r.header)
			}
		})
	}
}

func newReq(t *testing.T, e *env, path string, headers map[string]string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func bearer(t *testing.T, e *env, path, key string) *http.Request {
	return newReq(t, e, path, map[string]string{"Authorization": "Bearer " + key})
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	r := e.send(newReq(t, e, "/v1/me", map[string]string{"Authorization": "bearer " + sandbox.DemoKey}))
	wantStatus(t, r, 200)
}

func TestPublicRoutesNeedNoKey(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	for _, p := range []string{"/v1", "/v1/health", "/v1/openapi.json"} {
		r := e.get(p, "")
		wantStatus(t, r, 200)
		if !requestIDFormat.MatchString(r.header.Get("X-Request-Id")) {
			t.Errorf("%s: X-Request-Id %q", p, r.header.Get("X-Request-Id"))
		}
	}
	info := e.get("/v1", "").json(t)
	if info["name"] != "Trendtrack Public API" || info["status"] != "ok" || info["version"] != "v1" {
		t.Errorf("/v1 = %v", info)
	}
	h := e.get("/v1/health", "").json(t)
	if h["status"] != "ok" || h["timestamp"] == nil || h["uptime"] == nil {
		t.Errorf("/v1/health = %v", h)
	}
}

func TestIdentityEndpointsAnswerAtTheRoot(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tests := []struct {
		name, path, key string
		keys            []string
		check           func(t *testing.T, m map[string]any)
	}{
		{"me with full access has no delegated user", "/v1/me", sandbox.DemoKey,
			[]string{"requestId", "credential", "workspace", "delegatedUser"},
			func(t *testing.T, m map[string]any) {
				if m["delegatedUser"] != nil || m["credential"].(map[string]any)["accessLevel"] != "full_access" {
					t.Errorf("me = %v", m)
				}
			}},
		{"me with a delegated key names the user", "/v1/me", sandbox.KeyDelegated,
			[]string{"requestId", "credential", "workspace", "delegatedUser"},
			func(t *testing.T, m map[string]any) {
				u, _ := m["delegatedUser"].(map[string]any)
				if u == nil || u["workspaceRole"] == nil || m["credential"].(map[string]any)["accessLevel"] != "delegated_user" {
					t.Errorf("me = %v", m)
				}
			}},
		{"workspace", "/v1/workspace", sandbox.DemoKey,
			[]string{"requestId", "workspace", "authenticatedAs", "credential"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(tt.path, tt.key)
			wantStatus(t, r, 200)
			m := r.json(t)
			for _, k := range tt.keys {
				if _, ok := m[k]; !ok {
					t.Errorf("missing root key %q in %s", k, r.body)
				}
			}
			if _, ok := m["data"]; ok {
				t.Errorf("%s must not wrap its body in data", tt.path)
			}
			if m["requestId"] != r.header.Get("X-Request-Id") {
				t.Errorf("requestId %v != header %q", m["requestId"], r.header.Get("X-Request-Id"))
			}
			if r.header.Get("X-Usage-Cost") != "" {
				t.Errorf("free endpoint sent metering headers")
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}
