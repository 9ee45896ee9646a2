package tools_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/syncbuffer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestEveryErrorReachesTheModelAsAdvice drives each failure of the public
// error guide (and the ones tollgate names itself) through the MCP server
// and checks that it arrives as an isError tool result whose
// structuredContent is the advice object, never as a JSON-RPC error.
func TestEveryErrorReachesTheModelAsAdvice(t *testing.T) {
	t.Parallel()
	searchAds := map[string]any{"search": "coffee", "limit": 20}
	cases := []struct {
		name      string
		cfg       testenv.Config
		setup     func(t *testing.T, e *testenv.Env)
		tool      string
		args      map[string]any
		code      string
		status    int // 0: no httpStatus expected
		retryable bool
		source    string
		requestID bool
		// sleeps are the waits the client made before giving up: the
		// Retry-After of each 429, or the default backoff with the jitter
		// fixed at 0.5 (half of 0.5 s, then half of 1 s).
		sleeps []time.Duration
		// charged is what the run is charged: a 2xx without cost headers
		// is charged its worst case, since the API may have billed it.
		charged int64
	}{
		{name: "missing_api_key", cfg: testenv.Config{NoKey: true}, tool: "search_ads", args: searchAds,
			code: runtime.CodeMissingAPIKey, status: 401, source: "api", requestID: true},
		{name: "invalid_api_key", cfg: testenv.Config{Key: sandbox.KeyMalformed}, tool: "search_ads", args: searchAds,
			code: runtime.CodeInvalidAPIKey, status: 401, source: "api", requestID: true},
		{name: "credential_not_found (key deleted)", cfg: testenv.Config{Key: sandbox.KeyDeleted}, tool: "search_ads", args: searchAds,
			code: runtime.CodeCredentialNotFound, status: 401, source: "api", requestID: true},
		{name: "credential_revoked", cfg: testenv.Config{Key: sandbox.KeyRevoked}, tool: "search_ads", args: searchAds,
			code: runtime.CodeCredentialRevoked, status: 401, source: "api", requestID: true},
		{name: "credential_expired", cfg: testenv.Config{Key: sandbox.KeyExpired}, tool: "search_ads", args: searchAds,
			code: runtime.CodeCredentialExpired, status: 401, source: "api", requestID: true},
		{name: "workspace_public_api_disabled", cfg: testenv.Config{Key: sandbox.KeyDisabledWorkspace}, tool: "search_ads", args: searchAds,
			code: runtime.CodeWorkspacePublicAPIDisabled, status: 403, source: "api", requestID: true},
		{name: "workspace_public_api_suspended", cfg: testenv.Config{Key: sandbox.KeySuspendedWorkspace}, tool: "search_ads", args: searchAds,
			code: runtime.CodeWorkspacePublicAPISuspended, status: 403, source: "api", requestID: true},
		{name: "forbidden (delegated key writes)", cfg: testenv.Config{Key: sandbox.KeyDelegated}, tool: "create_brandtracker",
			args: map[string]any{"domain": "example.com"},
			code: runtime.CodeForbidden, status: 403, source: "api", requestID: true},
		{name: "insufficient_credits (a real 402)",
			setup: func(t *testing.T, e *testenv.Env) {
				// The controller learns 10000 credits, then another client
				// drains the workspace behind its back.
				if _, err := e.Ctrl.Refresh(context.Background()); err != nil {
					t.Fatal(err)
				}
				e.SB.SetCredits(e.Key, sandbox.Credits{Recurring: 5})
			},
			tool: "search_ads", args: searchAds,
			code: runtime.CodeInsufficientCredits, status: 402, source: "api", requestID: true},
		{name: "insufficient_credits (a controller without a usage source)",
			cfg:  testenv.Config{NoUsage: true, Credits: sandbox.Credits{Recurring: 5}},
			tool: "search_ads", args: searchAds,
			code: runtime.CodeInsufficientCredits, status: 402, source: "api", requestID: true},
		{name: "rate_limited beyond the retries",
			setup: func(t *testing.T, e *testenv.Env) {
				e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, Count: 4, PathPrefix: "/v1/ads", RetryAfter: "7"})
			},
			tool: "search_ads", args: searchAds,
			code: runtime.CodeRateLimited, status: 429, retryable: true, source: "api", requestID: true,
			sleeps: []time.Duration{7 * time.Second, 7 * time.Second, 7 * time.Second}},
		{name: "internal_error beyond the retries",
			setup: func(t *testing.T, e *testenv.Env) {
				e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 3, PathPrefix: "/v1/ads"})
			},
			tool: "search_ads", args: searchAds,
			code: runtime.CodeInternalError, status: 500, retryable: true, source: "api", requestID: true,
			sleeps: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{name: "bad_gateway (proxy HTML page)",
			setup: func(t *testing.T, e *testenv.Env) {
				e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultBadGateway, Count: 3, PathPrefix: "/v1/ads"})
			},
			tool: "search_ads", args: searchAds,
			code: "bad_gateway", status: 502, retryable: true, source: "api",
			sleeps: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{name: "not_found", tool: "get_ad", args: map[string]any{"adId": "facebook_0000000000"},
			code: runtime.CodeNotFound, status: 404, source: "api", requestID: true},
		{name: "validation_error (schema allows, API rejects)", tool: "create_brandtracker", args: map[string]any{},
			code: runtime.CodeValidation, status: 400, source: "api", requestID: true},
		{name: "malformed_response (truncated JSON)",
			setup: func(t *testing.T, e *testenv.Env) {
				e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultMalformed, PathPrefix: "/v1/ads"})
			},
			tool: "search_ads", args: searchAds,
			code: runtime.CodeMalformedResponse, status: 200, retryable: true, source: "api", requestID: true, charged: 20},
		{name: "malformed_response (HTML page with 200)",
			setup: func(t *testing.T, e *testenv.Env) {
				e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultHTML, Status: 200, PathPrefix: "/v1/ads"})
			},
			tool: "search_ads", args: searchAds,
			code: runtime.CodeMalformedResponse, status: 200, retryable: true, source: "api", charged: 20},
		{name: "network_error (dropped connection)",
			setup: func(t *testing.T, e *testenv.Env) {
				// net/http resends a request once by itself when a reused
				// connection closes before any response, so one attempt of
				// the runtime may consume two drops.
				e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Count: 20, PathPrefix: "/v1/ads"})
			},
			tool: "search_ads", args: searchAds,
			code: runtime.CodeNetwork, retryable: true, source: "api",
			sleeps: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, tc.cfg)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			res, sc := e.Call(t, tc.tool, tc.args)
			ad := testenv.WantAdvice(t, res, sc, tc.code, tc.source)
			if tc.status != 0 {
				if got, _ := ad["httpStatus"].(float64); int(got) != tc.status {
					t.Errorf("httpStatus = %v, want %d", ad["httpStatus"], tc.status)
				}
			} else if _, ok := ad["httpStatus"]; ok {
				t.Errorf("httpStatus = %v, want none (no HTTP response)", ad["httpStatus"])
			}
			if ad["retryable"] != tc.retryable {
				t.Errorf("retryable = %v, want %v", ad["retryable"], tc.retryable)
			}
			id, _ := ad["requestId"].(string)
			if tc.requestID && !strings.HasPrefix(id, "req_") {
				t.Errorf("requestId = %q, want the API's req_… id", id)
			}
			if !tc.requestID && id != "" {
				t.Errorf("requestId = %q, but the API sent none", id)
			}
			if tc.code == runtime.CodeRateLimited {
				if got, _ := ad["retryAfterSeconds"].(float64); got != 7 {
					t.Errorf("retryAfterSeconds = %v, want 7 (the Retry-After of the last 429)", ad["retryAfterSeconds"])
				}
			} else if _, ok := ad["retryAfterSeconds"]; ok {
				t.Errorf("retryAfterSeconds = %v on a %s", ad["retryAfterSeconds"], tc.code)
			}
			if tc.code == runtime.CodeValidation {
				if ve, _ := ad["validationErrors"].([]any); len(ve) == 0 {
					t.Errorf("validation_error without validationErrors: %s", testenv.MustJSON(ad))
				}
			}
			if tc.sleeps != nil && !slices.Equal(e.Clock.Sleeps(), tc.sleeps) {
				t.Errorf("the client waited %v, want %v", e.Clock.Sleeps(), tc.sleeps)
			}
			b := testenv.WantBudget(t, sc)
			if testenv.Num(t, b, "inFlight") != 0 {
				t.Errorf("budget.inFlight = %v after a failed call, want 0 (reservation released)", b["inFlight"])
			}
			if testenv.Num(t, b, "runSpent") != tc.charged {
				t.Errorf("budget.runSpent = %v after a failed call, want %d", b["runSpent"], tc.charged)
			}
			if tc.code == runtime.CodeInsufficientCredits && b["exhausted"] != true {
				t.Errorf("after a real 402 the budget is not marked exhausted: %s", testenv.MustJSON(b))
			}
		})
	}
}

// TestCallOfAnUnknownToolIsAdvice: outside MCP (go-openai, batch) a tool
// name the catalogue does not hold is answered with unknown_tool advice.
// Over MCP it is a JSON-RPC error (mcpserver tests).
func TestCallOfAnUnknownToolIsAdvice(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	r := e.Box.Call(context.Background(), "no_such_tool", nil)
	if !r.IsError || r.Advice == nil || r.Advice.Code != tools.CodeUnknownTool || r.Advice.Source != tools.SourceTool {
		t.Fatalf("Call of an unknown tool = %s, want unknown_tool advice", r.JSON())
	}
}

// TestFailPanicLogsAndAdvises holds what a face answers for a call that
// panicked: a tool_panic advice naming the tool and the panic, and one
// error line in the Toolbox's log.
func TestFailPanicLogsAndAdvises(t *testing.T) {
	t.Parallel()
	var logs syncbuffer.Buffer
	c, err := runtime.New(runtime.WithAPIKey("tt_live_test"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := tools.NewToolbox(tools.Config{Catalogue: tools.BuiltIn(), Client: c, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := box.FailPanic(context.Background(), "search_ads", "boom")
	if !r.IsError || r.Advice == nil || r.Advice.Code != tools.CodeToolPanic || r.Advice.Source != tools.SourceTool ||
		!strings.Contains(r.Advice.Message, "search_ads") || !strings.Contains(r.Advice.Message, "boom") {
		t.Fatalf("FailPanic = %s, want a tool_panic advice naming the tool and the panic", r.JSON())
	}
	if l := logs.String(); strings.Count(l, "level=ERROR") != 1 || !strings.Contains(l, "tool=search_ads") {
		t.Errorf("log %q, want one error line naming the tool", l)
	}
}
