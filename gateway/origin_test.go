package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

// TestOriginAllowedRefusedAndAbsent checks the transport's rule: a
// present Origin that is not allowed gets 403, on initialize and on a
// paid call, before anything is spent; an allowed one and none at all
// are served.
func TestOriginAllowedRefusedAndAbsent(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	_, url := serve(t, e, gateway.Config{Token: aliceToken, AllowOrigins: []string{"https://app.example.com", "http://localhost:5173"}})
	ctx := context.Background()
	cases := []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"https://app.example.com", true},
		{"HTTPS://App.Example.com:443", true},
		{"http://localhost:5173", true},
		{"http://evil.example", false},
		{"https://app.example.com.evil.example", false},
		{"http://app.example.com", false}, // another scheme is another origin
		{"http://localhost:8080", false},
		{"null", false},
	}
	for _, version := range []string{legacy, modern} {
		for _, tc := range cases {
			t.Run(version+"/"+tc.origin, func(t *testing.T) {
				c := newRaw(t, url, aliceToken, version)
				c.origin = tc.origin
				before := e.SB.Spent(e.Key)
				var r reply
				if version == legacy {
					r = c.rpc(ctx, c.nextID(), "initialize", map[string]any{"protocolVersion": legacy, "capabilities": map[string]any{},
						"clientInfo": map[string]any{"name": "raw", "version": "1"}})
					if tc.ok {
						c.session = r.header.Get("Mcp-Session-Id")
						c.rpc(ctx, 0, "notifications/initialized", nil)
					}
				}
				if version == modern || tc.ok {
					r = c.call(ctx, c.nextID(), "search_ads", map[string]any{"search": "coffee", "limit": 2})
				}
				if !tc.ok {
					if r.status != http.StatusForbidden {
						t.Fatalf("Origin %q: HTTP %d, want 403: %s", tc.origin, r.status, r.body)
					}
					if !strings.Contains(r.body, "--http-allow-origin") {
						t.Errorf("the 403 does not say how to allow the origin: %s", r.body)
					}
					if spent := e.SB.Spent(e.Key) - before; spent != 0 {
						t.Errorf("a refused origin spent %d credits", spent)
					}
					return
				}
				if r.status != http.StatusOK {
					t.Fatalf("Origin %q: HTTP %d: %s", tc.origin, r.status, r.body)
				}
				if isErr, sc := toolResult(t, r); isErr {
					t.Fatalf("search_ads: %s", testenv.MustJSON(sc))
				}
			})
		}
	}
}

func TestOriginPolicyRejectsWhatIsNotAnOrigin(t *testing.T) {
	t.Parallel()
	for _, o := range []string{"app.example.com", "https://app.example.com/path", "https://user@app.example.com", "mailto:x@y"} {
		if _, err := gateway.NewOriginPolicy([]string{o}); err == nil {
			t.Errorf("NewOriginPolicy(%q) accepted it", o)
		}
	}
	p, err := gateway.NewOriginPolicy([]string{"*"})
	if err != nil || !p.Allows("http://anything.example") {
		t.Errorf("\"*\" does not allow every origin: %v", err)
	}
	var none gateway.OriginPolicy
	if none.Allows("http://localhost") || !none.Allows("") {
		t.Errorf("the zero policy must allow no origin and requests without one")
	}
}
