package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

func getJSON(t *testing.T, url string) (int, gateway.Readiness) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rd gateway.Readiness
	_ = json.NewDecoder(resp.Body).Decode(&rd)
	return resp.StatusCode, rd
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	base := func(url string) string { return strings.TrimSuffix(url, "/mcp") }

	t.Run("ready once the balance is known", func(t *testing.T) {
		t.Parallel()
		e := testenv.New(t, testenv.Config{NoClient: true})
		_, url := serve(t, e, gateway.Config{Token: aliceToken})
		if status, _ := getJSON(t, base(url)+"/healthz"); status != http.StatusOK {
			t.Errorf("/healthz: HTTP %d", status)
		}
		// The balance is unknown at first: /readyz asks the API for it.
		status, rd := getJSON(t, base(url)+"/readyz")
		if status != http.StatusOK || !rd.Ready || rd.Checks["catalogue"] != "ok" || rd.Checks["balance"] != "ok" {
			t.Errorf("/readyz: HTTP %d %+v", status, rd)
		}
	})
	t.Run("names what is missing", func(t *testing.T) {
		t.Parallel()
		e := testenv.New(t, testenv.Config{NoClient: true, NoUsage: true, Budget: &budget.Config{MaxCredits: 100}})
		store := errors.New("redis does not answer: connection refused")
		_, url := serve(t, e, gateway.Config{Checks: []gateway.Check{{Name: "budget store", Func: func(context.Context) error { return store }}}})
		status, rd := getJSON(t, base(url)+"/readyz")
		if status != http.StatusServiceUnavailable || rd.Ready {
			t.Fatalf("/readyz: HTTP %d %+v, want 503", status, rd)
		}
		missing := strings.Join(rd.Missing, "\n")
		for _, want := range []string{"balance: ", "budget store: redis does not answer"} {
			if !strings.Contains(missing, want) {
				t.Errorf("missing %q in %q", want, missing)
			}
		}
		if rd.Checks["catalogue"] != "ok" {
			t.Errorf("catalogue: %q", rd.Checks["catalogue"])
		}
		if status, _ := getJSON(t, base(url)+"/healthz"); status != http.StatusOK {
			t.Errorf("/healthz while not ready: HTTP %d, want 200 (alive)", status)
		}
	})
}
