package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// guideCodes is the error code reference of the public error guide: every
// code with its HTTP status and whether it may be retried.
var guideCodes = []struct {
	code      string
	status    int
	retryable bool
}{
	{runtime.CodeMissingAPIKey, 401, false},
	{runtime.CodeInvalidAPIKey, 401, false},
	{runtime.CodeCredentialNotFound, 401, false},
	{runtime.CodeCredentialRevoked, 401, false},
	{runtime.CodeCredentialExpired, 401, false},
	{runtime.CodeWorkspacePublicAPIDisabled, 403, false},
	{runtime.CodeWorkspacePublicAPISuspended, 403, false},
	{runtime.CodeForbidden, 403, false},
	{runtime.CodeRateLimited, 429, true},
	{runtime.CodeInsufficientCredits, 402, false},
	{runtime.CodeInternalError, 500, true},
}

func TestGuideCodeStrings(t *testing.T) {
	t.Parallel()
	// The constants must spell the guide's codes, since the API sends them.
	want := "missing_api_key invalid_api_key credential_not_found credential_revoked credential_expired " +
		"workspace_public_api_disabled workspace_public_api_suspended forbidden rate_limited insufficient_credits internal_error"
	var got []string
	for _, g := range guideCodes {
		got = append(got, g.code)
	}
	if strings.Join(got, " ") != want {
		t.Errorf("code constants = %v\nwant the guide's %v", got, want)
	}
}

func TestAdviceTableFollowsGuide(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, c := range runtime.Codes() {
		known[c] = true
	}
	for _, g := range guideCodes {
		if !known[g.code] {
			t.Errorf("Codes() lacks the guide's %q", g.code)
		}
		info := runtime.LookupCode(g.code, g.status)
		if info.Code != g.code || info.Status != g.status || info.Retryable != g.retryable || info.Action == "" {
			t.Errorf("LookupCode(%q) = %+v; want status %d, retryable %v and an action", g.code, info, g.status, g.retryable)
		}
	}
	for _, c := range runtime.Codes() {
		if runtime.LookupCode(c, 0).Action == "" {
			t.Errorf("code %q has no action", c)
		}
	}
}

// TestErrorCodesEndToEnd drives every documented failure, plus the 400,
// 404 and 405 the sandbox answers, from the sandbox through Client.Do with
// the default retry policy, and checks the *APIError and its Advice.
func TestErrorCodesEndToEnd(t *testing.T) {
	t.Parallel()
	adsQuery := func(q url.Values) *runtime.Request {
		r := get("/v1/ads")
		r.Query = q
		return r
	}
	tests := []struct {
		code       string
		status     int
		cfg        sandbox.Config
		key        string
		setup      func(t *testing.T, e *env)
		req        *runtime.Request
		retryable  bool
		attempts   int
		retryAfter int // Advice.RetryAfterSeconds; 0 means none
		validation []runtime.ValidationError
	}{
		{code: "missing_api_key", status: 401, key: "", req: get("/v1/me"), attempts: 1},
		{code: "invalid_api_key", status: 401, key: sandbox.KeyMalformed, req: get("/v1/me"), attempts: 1},
		{code: "credential_not_found", status: 401, key: sandbox.KeyDeleted, req: get("/v1/me"), attempts: 1},
		{code: "credential_revoked", status: 401, key: sandbox.KeyRevoked, req: get("/v1/usage"), attempts: 1},
		{code: "credential_expired", status: 401, key: sandbox.KeyExpired, req: get("/v1/me"), attempts: 1},
		{code: "workspace_public_api_disabled", status: 403, key: sandbox.KeyDisabledWorkspace, req: get("/v1/me"), attempts: 1},
		{code: "workspace_public_api_suspended", status: 403, key: sandbox.KeySuspendedWorkspace, req: get("/v1/me"), attempts: 1},
		{
			code: "forbidden", status: 403, key: sandbox.KeyDelegated, attempts: 1,
			req: &runtime.Request{Method: "POST", Path: "/v1/brandtrackers", Body: map[string]string{"domain": "example.com"}, Idempotent: true},
		},
		{
			code: "insufficient_credits", status: 402, key: sandbox.DemoKey, attempts: 1,
			setup: func(t *testing.T, e *env) { e.sb.SetCredits(sandbox.DemoKey, sandbox.Credits{}) },
			req:   adsQuery(url.Values{"search": {"coffee"}}),
		},
		{
			// One request per 128 s, burst 1: the second call is told to
			// wait 128 s, longer than MaxWait, so it is not retried.
			code: "rate_limited", status: 429, key: sandbox.DemoKey, retryable: true, attempts: 1, retryAfter: 128,
			cfg: sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 1.0 / 128, Burst: 1}},
			setup: func(t *testing.T, e *env) {
				if _, err := e.client().Do(context.Background(), get("/v1/me")); err != nil {
					t.Fatalf("first call: %v", err)
				}
			},
			req: get("/v1/me"),
		},
		{
			code: "internal_error", status: 500, key: sandbox.DemoKey, retryable: true, attempts: 3,
			setup: func(t *testing.T, e *env) { e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 3}) },
			req:   get("/v1/me"),
		},
		{
			code: "validation_error", status: 400, key: sandbox.DemoKey, attempts: 1,
			req: adsQuery(url.Values{"search": {"coffee"}, "limit": {"101"}}),
			validation: []runtime.ValidationError{{
				Field: "query-string.limit", Location: "query-string",
				Expected: []string{"limit must not be greater than 100"},
			}},
		},
		{
			code: "not_found", status: 404, key: sandbox.DemoKey, attempts: 1,
			req: &runtime.Request{Path: "/v1/ads/{adId}", PathParams: map[string]string{"adId": "facebook_404"}},
		},
		{
			code: "method_not_allowed", status: 405, key: sandbox.DemoKey, attempts: 1,
			req: &runtime.Request{Method: "DELETE", Path: "/v1/ads", Idempotent: true},
		},
	}

	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.code] = true
	}
	for _, g := range guideCodes {
		if !covered[g.code] {
			t.Errorf("no end-to-end case for the guide's code %q", g.code)
		}
	}

	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.cfg)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			before := e.sb.Requests()
			_, err := e.client(runtime.WithAPIKey(tt.key)).Do(context.Background(), tt.req)
			ae := mustAPIError(t, err)

			if ae.Status != tt.status || ae.Code != tt.code {
				t.Errorf("got %d %s; want %d %s (%v)", ae.Status, ae.Code, tt.status, tt.code, err)
			}
			if !strings.HasPrefix(ae.RequestID, "req_") || ae.RequestID != ae.Metering.RequestID {
				t.Errorf("RequestID = %q, X-Request-Id = %q; want the same req_ id in both", ae.RequestID, ae.Metering.RequestID)
			}
			if ae.Message == "" {
				t.Error("Message is empty")
			}
			if ae.Retryable() != tt.retryable {
				t.Errorf("Retryable() = %v; want %v", ae.Retryable(), tt.retryable)
			}
			if ae.Attempts != tt.attempts {
				t.Errorf("Attempts = %d; want %d", ae.Attempts, tt.attempts)
			}
			if got := e.sb.Requests() - before; got != int64(tt.attempts) {
				t.Errorf("the sandbox got %d requests; want %d", got, tt.attempts)
			}
			if ae.Metering.Metered() {
				t.Errorf("error response carried metering %+v; the sandbox sends none on errors", ae.Metering)
			}
			if !reflect.DeepEqual(ae.ValidationErrors, tt.validation) {
				t.Errorf("ValidationErrors = %+v; want %+v", ae.ValidationErrors, tt.validation)
			}
			if !strings.Contains(ae.Error(), tt.code) || !strings.Contains(ae.Error(), ae.RequestID) {
				t.Errorf("Error() = %q; want it to name the code and the request id", ae.Error())
			}

			a := runtime.Advise(err)
			if a.Code != tt.code || a.HTTPStatus != tt.status || a.Source != runtime.SourceAPI ||
				a.Retryable != tt.retryable || a.RequestID != ae.RequestID || a.Message != ae.Message {
				t.Errorf("Advise = %+v; want code %s, status %d, source api, retryable %v, request id %s",
					a, tt.code, tt.status, tt.retryable, ae.RequestID)
			}
			if a.Action == "" {
				t.Error("Advice.Action is empty")
			}
			if !tt.retryable && !strings.Contains(a.Action, ae.RequestID) {
				t.Errorf("Action %q of a final failure does not quote the request id", a.Action)
			}
			switch {
			case tt.retryAfter == 0 && a.RetryAfterSeconds != nil:
				t.Errorf("RetryAfterSeconds = %d; want none", *a.RetryAfterSeconds)
			case tt.retryAfter != 0 && (a.RetryAfterSeconds == nil || *a.RetryAfterSeconds != tt.retryAfter):
				t.Errorf("RetryAfterSeconds = %v; want %d", a.RetryAfterSeconds, tt.retryAfter)
			}
			if !reflect.DeepEqual(a.ValidationErrors, tt.validation) {
				t.Errorf("Advice.ValidationErrors = %+v; want %+v", a.ValidationErrors, tt.validation)
			}
		})
	}
}

func TestAdviceJSONShape(t *testing.T) {
	t.Parallel()
	secs := 12
	b, err := json.Marshal(runtime.Advice{Code: "rate_limited", HTTPStatus: 429, Message: "m", RequestID: "req_1",
		Retryable: true, RetryAfterSeconds: &secs, Action: "wait", Source: "api"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"rate_limited","httpStatus":429,"message":"m","requestId":"req_1","retryable":true,"retryAfterSeconds":12,"action":"wait","source":"api"}`
	if string(b) != want {
		t.Errorf("Advice JSON = %s\nwant (DESIGN.md) %s", b, want)
	}
}

// TestOddErrorBodies checks responses the sandbox never sends (but proxies,
// gateways and future API versions might) become sane errors.
func TestOddErrorBodies(t *testing.T) {
	t.Parallel()
	html := "text/html; charset=utf-8"
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		code      string
		retryable bool
		message   string // substring of Message
		requestID string
	}{
		{name: "HTML page from a proxy", status: 502, header: map[string]string{"Content-Type": html},
			body: "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>",
			code: "bad_gateway", retryable: true, message: "HTML page"},
		{name: "HTML page without a content type", status: 503, body: "  <!DOCTYPE html><p>down</p>",
			code: "service_unavailable", retryable: true, message: "HTML page"},
		{name: "HTML page with a JSON content type", status: 504, header: map[string]string{"Content-Type": "application/json"},
			body: "<html>timeout</html>", code: "gateway_timeout", retryable: true, message: "HTML page"},
		{name: "empty 500", status: 500, code: "internal_error", retryable: true, message: "empty body"},
		{name: "empty 401", status: 401, code: "unauthorized", message: "empty body"},
		{name: "empty 402", status: 402, code: "insufficient_credits", message: "empty body"},
		{name: "whitespace-only 404", status: 404, body: " \n\t", code: "not_found", message: "empty body"},
		{name: "truncated JSON 500", status: 500, body: `{"error":{"code":"internal_er`,
			code: "internal_error", retryable: true, message: `{\"error\":{\"code\":\"internal_er`},
		{name: "truncated JSON 400", status: 400, body: `{"error":{"code":"validation_error","message":"bad`,
			code: "validation_error", message: "not the API's JSON error envelope"},
		{name: "unknown code on 400", status: 400, body: `{"error":{"code":"quota_exploded","message":"Boom.","requestId":"req_body"}}`,
			code: "quota_exploded", message: "Boom.", requestID: "req_body"},
		{name: "unknown code on 503", status: 503, body: `{"error":{"code":"maintenance","message":"Back soon."}}`,
			code: "maintenance", retryable: true, message: "Back soon."},
		{name: "unknown 4xx status", status: 418, header: map[string]string{"Content-Type": "text/plain"}, body: "I'm a teapot",
			code: "client_error", message: "I'm a teapot"},
		{name: "unknown 5xx status", status: 599, body: "???", code: "server_error", retryable: true, message: "???"},
		{name: "code that is not snake_case", status: 403, body: `{"error":{"code":"Not A Code!","message":"x"}}`,
			code: "forbidden", message: "not the API's JSON error envelope"},
		{name: "error field is a string", status: 404, body: `{"error":"nope"}`, code: "not_found", message: "nope"},
		{name: "JSON without an error object", status: 500, body: `{"message":"upstream failed"}`,
			code: "internal_error", retryable: true, message: "upstream failed"},
		{name: "empty message", status: 403, body: `{"error":{"code":"forbidden","message":"  "}}`,
			code: "forbidden", message: "Forbidden"},
		{name: "request id from the header", status: 403, header: map[string]string{"X-Request-Id": "req_header"},
			body: `{"error":{"code":"forbidden","message":"no"}}`, code: "forbidden", message: "no", requestID: "req_header"},
		{name: "body request id wins", status: 403, header: map[string]string{"X-Request-Id": "req_header"},
			body: `{"error":{"code":"forbidden","message":"no","requestId":"req_body"}}`, code: "forbidden", message: "no", requestID: "req_body"},
		{name: "unprintable body request id falls back to the header", status: 403, header: map[string]string{"X-Request-Id": "req_header"},
			body: `{"error":{"code":"forbidden","message":"no","requestId":"req\u0001x"}}`, code: "forbidden", message: "no", requestID: "req_header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, n := plainServer(t, reply(tt.status, tt.header, tt.body))
			c := newClient(t, ts, newFakeClock(), runtime.WithRetryPolicy(runtime.NoRetries()))
			_, err := c.Do(context.Background(), get("/v1/me"))
			ae := mustAPIError(t, err)
			if ae.Status != tt.status || ae.Code != tt.code {
				t.Errorf("got %d %q; want %d %q", ae.Status, ae.Code, tt.status, tt.code)
			}
			if !strings.Contains(ae.Message, tt.message) {
				t.Errorf("Message = %q; want it to contain %q", ae.Message, tt.message)
			}
			if ae.RequestID != tt.requestID {
				t.Errorf("RequestID = %q; want %q", ae.RequestID, tt.requestID)
			}
			if ae.Retryable() != tt.retryable {
				t.Errorf("Retryable() = %v; want %v", ae.Retryable(), tt.retryable)
			}
			if ae.Attempts != 1 || n.Load() != 1 {
				t.Errorf("Attempts = %d, server got %d; want 1 with NoRetries", ae.Attempts, n.Load())
			}
			a := runtime.Advise(err)
			if a.Code != tt.code || a.HTTPStatus != tt.status || a.Action == "" || a.Source != runtime.SourceAPI || a.Retryable != tt.retryable {
				t.Errorf("Advise = %+v", a)
			}
		})
	}
}

func TestLongTextBodyIsCut(t *testing.T) {
	t.Parallel()
	ts, _ := plainServer(t, reply(500, map[string]string{"Content-Type": "text/plain"}, strings.Repeat("x", 5000)))
	c := newClient(t, ts, newFakeClock(), runtime.WithRetryPolicy(runtime.NoRetries()))
	_, err := c.Do(context.Background(), get("/v1/me"))
	ae := mustAPIError(t, err)
	if len(ae.Message) > 400 || !strings.Contains(ae.Message, "…") {
		t.Errorf("Message has %d bytes; want a cut quote of at most a few hundred: %q", len(ae.Message), ae.Message)
	}
}

// TestMalformedSuccess covers 2xx answers whose body cannot be read: from
// the sandbox's faults and from a plain handler. They are errors with code
// malformed_response and, since the server may have charged, not retried.
func TestMalformedSuccess(t *testing.T) {
	t.Parallel()
	faults := []sandbox.Fault{
		{Kind: sandbox.FaultMalformed},
		{Kind: sandbox.FaultEmpty},
		{Kind: sandbox.FaultHTML, Status: 200},
	}
	for _, f := range faults {
		t.Run("sandbox "+f.Kind.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			e.sb.Inject(f)
			_, err := e.client().Do(context.Background(), get("/v1/me"))
			ae := mustAPIError(t, err)
			if ae.Code != runtime.CodeMalformedResponse || ae.Status != 200 || ae.Attempts != 1 {
				t.Errorf("got %d %s after %d attempts; want 200 malformed_response after 1", ae.Status, ae.Code, ae.Attempts)
			}
			if len(e.clock.Sleeps()) != 0 || e.sb.Requests() != 1 {
				t.Errorf("retried a 2xx: sleeps %v, %d requests", e.clock.Sleeps(), e.sb.Requests())
			}
			if a := runtime.Advise(err); a.Code != runtime.CodeMalformedResponse || a.Action == "" || a.HTTPStatus != 200 {
				t.Errorf("Advise = %+v", a)
			}
		})
	}
	bodies := map[string]string{
		"empty":                    "",
		"HTML":                     "<html>hello</html>",
		"truncated":                `{"data":[{"id":"x"`,
		"pagination of wrong type": `{"data":[],"pagination":"page 1"}`,
		"requestId of wrong type":  `{"data":[],"requestId":5}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts, _ := plainServer(t, reply(200, map[string]string{"X-Request-Id": "req_ok"}, body))
			_, err := newClient(t, ts, newFakeClock()).Do(context.Background(), get("/v1/me"))
			ae := mustAPIError(t, err)
			if ae.Code != runtime.CodeMalformedResponse || ae.Status != 200 || ae.RequestID != "req_ok" || ae.Attempts != 1 {
				t.Errorf("got %+v; want a 200 malformed_response with request id req_ok after 1 attempt", ae)
			}
		})
	}
}

func TestAdviseOtherErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		code   string
		source string
	}{
		{"deadline", context.DeadlineExceeded, runtime.CodeTimeout, "api"},
		{"wrapped deadline", errors.Join(errors.New("x"), context.DeadlineExceeded), runtime.CodeTimeout, "api"},
		{"cancel", context.Canceled, runtime.CodeCanceled, "api"},
		{"transport", &runtime.TransportError{Method: "GET", Path: "/v1/me", Err: errors.New("connection reset")}, runtime.CodeNetwork, "api"},
		{"anything else", errors.New("boom"), "tool_error", "tool"},
	}
	for _, tt := range tests {
		a := runtime.Advise(tt.err)
		if a.Code != tt.code || a.Source != tt.source || a.Action == "" || a.Message == "" {
			t.Errorf("%s: Advise = %+v; want code %s, source %s, an action and a message", tt.name, a, tt.code, tt.source)
		}
	}
}

func TestRetryAfterAdviceWithoutHeader(t *testing.T) {
	t.Parallel()
	// A 429 without Retry-After still tells the model how long to wait.
	e := newEnv(t, sandbox.Config{})
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited})
	_, err := e.client(runtime.WithRetryPolicy(runtime.NoRetries())).Do(context.Background(), get("/v1/me"))
	ae := mustAPIError(t, err)
	if ae.HasRetryAfter || ae.RetryAfter != 0 {
		t.Errorf("RetryAfter = %v, HasRetryAfter = %v; want none", ae.RetryAfter, ae.HasRetryAfter)
	}
	a := runtime.Advise(err)
	if a.RetryAfterSeconds == nil || *a.RetryAfterSeconds < 1 {
		t.Errorf("RetryAfterSeconds = %v; want a positive default", a.RetryAfterSeconds)
	}
}

func TestTransportErrorAdvice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Count: 3})
	_, err := e.client(freshConns(e.ts)).Do(context.Background(), get("/v1/me"))
	var te *runtime.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %T %v; want a *TransportError", err, err)
	}
	if te.Attempts != 3 || te.Method != http.MethodGet || te.Path != "/v1/me" || te.Unwrap() == nil {
		t.Errorf("TransportError = %+v; want 3 attempts of GET /v1/me with a cause", te)
	}
	if a := runtime.Advise(err); a.Code != runtime.CodeNetwork || !a.Retryable || a.Source != "api" {
		t.Errorf("Advise = %+v; want a retryable network_error", a)
	}
	if _, ok := runtime.AsAPIError(err); ok {
		t.Error("a transport error is also an *APIError")
	}
}

func TestLookupCodeUnknown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      string
		status    int
		retryable bool
	}{
		{"brand_new", 400, false},
		{"brand_new", 409, false},
		{"brand_new", 500, true},
		{"brand_new", 503, true},
		{"brand_new", 599, true},
		{"brand_new", 0, false},
	}
	for _, tt := range tests {
		info := runtime.LookupCode(tt.code, tt.status)
		if info.Code != tt.code || info.Status != tt.status || info.Retryable != tt.retryable || info.Action == "" {
			t.Errorf("LookupCode(%q, %d) = %+v; want retryable %v", tt.code, tt.status, info, tt.retryable)
		}
	}
	if got := runtime.CodeForStatus(http.StatusTeapot); got != "client_error" {
		t.Errorf("CodeForStatus(418) = %q", got)
	}
}
