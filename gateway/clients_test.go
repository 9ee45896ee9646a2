package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

func TestParseClientsSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	cases := []struct{ file, want string }{
		{`{"clients": [{"name": "alice", "token": "short"}]}`, "shorter than 16"},
		{`{"clients": [{"name": "alice"}]}`, "no token or tokenSha256"},
		{`{"clients": [{"name": "alice", "tokenSha256": "abc"}]}`, "64 hex digits"},
		{`{"clients": [{"name": "a b", "token": "0123456789abcdef"}]}`, "name"},
		{`{"clients": [{"name": "alice", "token": "0123456789abcdef", "maxCredit": 5}]}`, "unknown field"},
		{`{"clients": [{"name": "alice", "token": "0123456789abcdef", "maxCredits": 0}]}`, "forbid every paid call"},
		{`{"clients": [{"name": "alice", "token": "0123456789abcdef"}, {"name": "alice", "token": "0123456789abcdeg"}]}`, "used twice"},
		{`{"clients": [{"name": "alice", "token": "0123456789abcdef"}, {"name": "bob", "token": "0123456789abcdef"}]}`, "same token"},
		{`{"clients": [{"name": "default", "token": "0123456789abcdef"}]}`, "reserved"},
		{`[]`, "not a clients file"},
	}
	for _, tc := range cases {
		_, err := gateway.ParseClients([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseClients(%s) = %v, want an error saying %q", tc.file, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("the error repeats a token: %v", err)
		}
	}
	sum := sha256.Sum256([]byte(bobToken))
	list, err := gateway.ParseClients([]byte(`{"clients": [
		{"name": "alice", "token": "` + aliceToken + `", "maxCredits": 200, "toolsets": ["lookup", "ads"], "readOnly": true},
		{"name": "bob", "tokenSha256": "` + hex.EncodeToString(sum[:]) + `"},
		{"name": "carol", "token": "carol-token-0123456789", "revoked": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "alice" || *list[0].MaxCredits != 200 || !list[0].ReadOnly || len(list[0].Toolsets) != 2 ||
		list[1].Name != "bob" || list[1].MaxCredits != nil {
		t.Errorf("parsed %+v", list)
	}
}

// TestUnknownAndRevokedTokensGet401AndReloadTakesEffect loads a clients
// file, then revokes one token and adds another by reloading it.
func TestUnknownAndRevokedTokensGet401AndReloadTakesEffect(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	path := filepath.Join(t.TempDir(), "clients.json")
	write := func(body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"clients": [{"name": "alice", "token": "` + aliceToken + `"}, {"name": "bob", "token": "` + bobToken + `"}]}`)
	clients, err := gateway.LoadClients(path)
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, e, gateway.Config{Clients: clients})
	ctx := context.Background()
	status := func(token, version string) int {
		c := newRaw(t, url, token, version)
		if version == legacy {
			r := c.rpc(ctx, 1, "initialize", map[string]any{"protocolVersion": legacy, "capabilities": map[string]any{},
				"clientInfo": map[string]any{"name": "raw", "version": "1"}})
			return r.status
		}
		return c.call(ctx, 1, "get_me", nil).status
	}
	for _, v := range []string{legacy, modern} {
		if s := status(aliceToken, v); s != http.StatusOK {
			t.Errorf("%s alice: HTTP %d", v, s)
		}
		for _, tok := range []string{"", "not-a-client-0123456789", "Bearer"} {
			if s := status(tok, v); s != http.StatusUnauthorized {
				t.Errorf("%s token %q: HTTP %d, want 401", v, tok, s)
			}
		}
	}
	bobSession := newRaw(t, url, bobToken, legacy)
	bobSession.initialize()

	write(`{"clients": [{"name": "alice", "token": "` + aliceToken + `"}, {"name": "bob", "token": "` + bobToken + `", "revoked": true},
		{"name": "carol", "token": "carol-token-0123456789"}]}`)
	if err := clients.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{legacy, modern} {
		if s := status(bobToken, v); s != http.StatusUnauthorized {
			t.Errorf("%s revoked bob: HTTP %d, want 401", v, s)
		}
		if s := status("carol-token-0123456789", v); s != http.StatusOK {
			t.Errorf("%s carol after reload: HTTP %d", v, s)
		}
	}
	if r := bobSession.call(ctx, 9, "get_me", nil); r.status != http.StatusUnauthorized {
		t.Errorf("bob's open session after his revocation: HTTP %d, want 401", r.status)
	}
	write(`{"clients": [`)
	if err := clients.Reload(); err == nil {
		t.Error("a broken file reloaded")
	}
	if s := status(aliceToken, modern); s != http.StatusOK {
		t.Errorf("alice after a failed reload: HTTP %d (the clients in use must stay)", s)
	}
}
