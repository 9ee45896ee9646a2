package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

// TestSessionsAreTheDeploymentsOwn drives the 2025-11-25 session rules
// by hand: only issued ids are served, to the token that opened them;
// DELETE ends a session for good.
func TestSessionsAreTheDeploymentsOwn(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	ctx := context.Background()
	alice := newRaw(t, url, aliceToken, legacy)
	alice.initialize()
	call := func(c *rawClient) reply {
		t.Helper()
		return c.call(ctx, c.nextID(), "get_me", nil)
	}
	if r := call(alice); r.status != http.StatusOK {
		t.Fatalf("alice in her own session: HTTP %d: %s", r.status, r.body)
	}

	t.Run("a forged session id gets 404", func(t *testing.T) {
		for _, id := range []string{"tg-AAAAAAAAAAAAAAAAAAAAAA", "mcp-session-6f1c1a4e-8d1b-4bb4-9d0c-3f4c8f8f2b11", alice.session + "x"} {
			f := newRaw(t, url, aliceToken, legacy)
			f.session = id
			if r := call(f); r.status != http.StatusNotFound {
				t.Errorf("session id %q: HTTP %d, want 404: %s", id, r.status, r.body)
			}
		}
	})
	t.Run("a session id with another client's token gets 404", func(t *testing.T) {
		bob := newRaw(t, url, bobToken, legacy)
		bob.session = alice.session
		if r := call(bob); r.status != http.StatusNotFound {
			t.Errorf("bob with alice's session: HTTP %d, want 404: %s", r.status, r.body)
		}
		if r := bob.cancel(1); r.status != http.StatusNotFound {
			t.Errorf("bob cancelling in alice's session: HTTP %d, want 404", r.status)
		}
		if r := bob.send(ctx, http.MethodDelete, nil, nil); r.status != http.StatusNotFound {
			t.Errorf("bob deleting alice's session: HTTP %d, want 404", r.status)
		}
		if r := call(alice); r.status != http.StatusOK {
			t.Errorf("alice's session after bob's tries: HTTP %d: %s", r.status, r.body)
		}
	})
	t.Run("no session id gets 400", func(t *testing.T) {
		n := newRaw(t, url, aliceToken, legacy)
		if r := call(n); r.status != http.StatusBadRequest {
			t.Errorf("no Mcp-Session-Id: HTTP %d, want 400: %s", r.status, r.body)
		}
	})
	t.Run("DELETE ends the session", func(t *testing.T) {
		s := newRaw(t, url, aliceToken, legacy)
		s.initialize()
		if r := s.send(ctx, http.MethodDelete, nil, nil); r.status != http.StatusOK {
			t.Fatalf("DELETE: HTTP %d: %s", r.status, r.body)
		}
		if r := call(s); r.status != http.StatusNotFound {
			t.Errorf("a call after DELETE: HTTP %d, want 404: %s", r.status, r.body)
		}
		if r := s.send(ctx, http.MethodGet, nil, nil); r.status != http.StatusNotFound {
			t.Errorf("a GET stream after DELETE: HTTP %d, want 404", r.status)
		}
		if r := s.send(ctx, http.MethodDelete, nil, nil); r.status != http.StatusNotFound {
			t.Errorf("a second DELETE: HTTP %d, want 404", r.status)
		}
		if r := call(alice); r.status != http.StatusOK {
			t.Errorf("another session of the same client after the DELETE: HTTP %d", r.status)
		}
	})
}

// TestStatelessRevisionAuthorisesEveryRequest checks 2026-07-28: no
// session is minted or needed, a session header is ignored, and every
// request stands on its own token.
func TestStatelessRevisionAuthorisesEveryRequest(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	ctx := context.Background()
	alice := newRaw(t, url, aliceToken, modern)
	r := alice.call(ctx, 1, "get_me", nil)
	if r.status != http.StatusOK || r.header.Get(mcp.HeaderSessionID) != "" {
		t.Fatalf("a stateless call: HTTP %d, session %q: %s", r.status, r.header.Get(mcp.HeaderSessionID), r.body)
	}
	forged := alice.send(ctx, http.MethodPost, []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_me","_meta":{"`+
		mcp.MetaKeyProtocolVersion+`":"`+modern+`","`+mcp.MetaKeyClientCapabilities+`":{}}}}`),
		map[string]string{mcp.HeaderSessionID: "tg-forged", mcp.HeaderMethod: "tools/call", mcp.HeaderName: "get_me"})
	if forged.status != http.StatusOK {
		t.Errorf("a stateless call with a stray session header: HTTP %d: %s", forged.status, forged.body)
	}
	for _, tok := range []string{"", "nope-nope-nope-nope-nope"} {
		c := newRaw(t, url, tok, modern)
		if r := c.call(ctx, 1, "get_me", nil); r.status != http.StatusUnauthorized {
			t.Errorf("token %q: HTTP %d, want 401", tok, r.status)
		}
	}
	if r := alice.send(ctx, http.MethodDelete, nil, nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE under 2026-07-28: HTTP %d, want 405", r.status)
	}
}

// TestBothRevisionsThroughMCPGo runs a paid call through mcp-go's own
// client in each revision.
func TestBothRevisionsThroughMCPGo(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	for _, v := range []string{legacy, modern} {
		t.Run(v, func(t *testing.T) {
			cl := connect(t, url, aliceToken, v)
			res, sc := testenv.CallMCP(t, context.Background(), cl, "search_ads", map[string]any{"search": "shoes", "limit": 3}, nil)
			if res.IsError || len(testenv.Rows(t, sc)) != 3 {
				t.Fatalf("search_ads: %s", testenv.MustJSON(sc))
			}
			testenv.CheckMetering(t, e, sc)
		})
	}
}
