package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

func readLedger(t *testing.T, path string) []gateway.LedgerEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []gateway.LedgerEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e gateway.LedgerEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("ledger line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// TestLedgerHoldsEveryPaidCall checks the audit ledger's lines: one per
// call of a paid tool (succeeded, failed or halted), none for free ones,
// with the figures the API sent, and no secret in the file.
func TestLedgerHoldsEveryPaidCall(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 12}})
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	l, err := gateway.OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil), Ledger: l})
	ctx := context.Background()
	alice, bob := connect(t, url, aliceToken, legacy), connect(t, url, bobToken, modern)

	testenv.CallMCP(t, ctx, bob, "get_ad", map[string]any{"adId": "facebook_0"}, nil)
	_, ok := testenv.CallMCP(t, ctx, alice, "search_ads", map[string]any{"search": "coffee", "limit": 12}, nil)
	testenv.CallMCP(t, ctx, alice, "get_budget", nil, nil) // free: no line
	testenv.CallMCP(t, ctx, bob, "search_ads", map[string]any{"search": "tea", "limit": 20}, nil)

	lines := readLedger(t, path)
	if len(lines) != 3 {
		t.Fatalf("%d ledger lines, want 3: %+v", len(lines), lines)
	}
	b404, a, halt := lines[0], lines[1], lines[2]
	if a.Client != "alice" || a.Tool != "search_ads" || a.Outcome != "ok" || a.Reserved != 12 || a.Charged != e.SB.Spent(e.Key) ||
		a.RequestID != ok["requestId"] || a.Session == "" || !strings.HasPrefix(a.Args, "sha256:") || a.Status != 200 {
		t.Errorf("alice's line: %+v (result %s)", a, testenv.MustJSON(ok["metering"]))
	}
	if b404.Client != "bob" || b404.Outcome != "not_found" || b404.Charged != 0 || b404.Status != 404 || b404.Session != "" {
		t.Errorf("bob's 404 line: %+v", b404)
	}
	if halt.Client != "bob" || halt.Outcome != budget.CodeCapReached || halt.Reserved != 0 || halt.Charged != 0 || halt.Status != 0 {
		t.Errorf("the halted call's line: %+v", halt)
	}
	raw, _ := os.ReadFile(path)
	for _, secret := range []string{e.Key, aliceToken, bobToken, "coffee"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the ledger holds %q", secret)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger mode %v, want 0600", fi.Mode().Perm())
	}

	f, _ := os.Open(path)
	defer f.Close()
	s, err := gateway.SummarizeLedger(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 3 || s.Total.Calls != 3 || s.Total.Failed != 2 || s.Total.Charged != a.Charged || s.Total.Reserved != 13 {
		t.Errorf("summary: %+v", s)
	}
}

func TestSummarizeLedgerByDayClientAndTool(t *testing.T) {
	t.Parallel()
	in := strings.Join([]string{
		`{"time":"2026-12-01T10:00:00Z","client":"bob","tool":"search_ads","reserved":20,"charged":18,"outcome":"ok"}`,
		`{"time":"2026-12-01T11:00:00Z","client":"alice","tool":"search_ads","reserved":10,"charged":10,"outcome":"ok"}`,
		`{"time":"2026-12-01T12:00:00Z","client":"alice","tool":"search_ads","reserved":5,"charged":0,"outcome":"rate_limited"}`,
		`{"time":"2026-12-02T00:30:00Z","client":"alice","tool":"get_ad","reserved":1,"charged":1,"outcome":"ok"}`,
		``,
		`{"time":"2026-12-02T00:31:00Z","client":"alice","tool":"get_ad","reser`, // torn by a crash
	}, "\n")
	s, err := gateway.SummarizeLedger(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []gateway.LedgerRow{
		{Day: "2026-12-01", Client: "alice", Tool: "search_ads", Calls: 2, Failed: 1, Reserved: 15, Charged: 10},
		{Day: "2026-12-01", Client: "bob", Tool: "search_ads", Calls: 1, Reserved: 20, Charged: 18},
		{Day: "2026-12-02", Client: "alice", Tool: "get_ad", Calls: 1, Reserved: 1, Charged: 1},
	}
	if testenv.MustJSON(s.Rows) != testenv.MustJSON(want) {
		t.Errorf("rows:\n%s\nwant\n%s", testenv.MustJSON(s.Rows), testenv.MustJSON(want))
	}
	if s.Total.Calls != 4 || s.Total.Charged != 29 || s.Skipped != 1 {
		t.Errorf("total %+v, skipped %d", s.Total, s.Skipped)
	}
}
