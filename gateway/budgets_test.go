package gateway_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// spendUntilHalted calls search_ads (limit rows) until a budget halt and
// returns what the results say was charged, and the halt.
func spendUntilHalted(t *testing.T, cl *client.Client, rows int) (charged int64, halt map[string]any) {
	t.Helper()
	for i := 1; i < 200; i++ {
		req := mcp.CallToolRequest{}
		req.Params.Name = "search_ads"
		req.Params.Arguments = map[string]any{"search": "coffee", "limit": rows, "page": i}
		res, err := cl.CallTool(context.Background(), req)
		if err != nil {
			t.Errorf("search_ads: %v", err)
			return charged, nil
		}
		var sc map[string]any
		b, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(b, &sc)
		if res.IsError {
			er, _ := sc["error"].(map[string]any)
			if er["source"] != "budget" {
				t.Errorf("a failure that is not a budget halt: %s", testenv.MustJSON(sc))
			}
			return charged, sc
		}
		m, _ := sc["metering"].(map[string]any)
		cost, _ := m["cost"].(float64)
		charged += int64(cost)
	}
	t.Error("never halted")
	return charged, nil
}

// budgetView calls get_budget and returns its budget object.
func budgetView(t *testing.T, cl *client.Client) map[string]any {
	t.Helper()
	_, sc := testenv.CallMCP(t, context.Background(), cl, "get_budget", nil, nil)
	return testenv.Obj(t, sc, "budget")
}

// TestTwoTokensEachHeldToItsOwnCap has alice (cap 30, 2026-07-28) and
// bob (cap 50, 2025-11-25) spend at the same time: each stops at its own
// cap while the other goes on, nothing ends in a 402, the sandbox
// charged exactly the sum, and get_budget shows each its own view.
func TestTwoTokensEachHeldToItsOwnCap(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 1000, Reserve: 100}})
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, ptr(30), ptr(50))})
	alice, bob := connect(t, url, aliceToken, modern), connect(t, url, bobToken, legacy)

	var wg sync.WaitGroup
	var aliceSpent, bobSpent int64
	var aliceHalt, bobHalt map[string]any
	wg.Go(func() { aliceSpent, aliceHalt = spendUntilHalted(t, alice, 7) })
	wg.Go(func() { bobSpent, bobHalt = spendUntilHalted(t, bob, 7) })
	wg.Wait()
	if aliceSpent != 30 || bobSpent != 50 {
		t.Errorf("alice spent %d of her 30, bob %d of his 50", aliceSpent, bobSpent)
	}
	if got := e.SB.Spent(e.Key); got != aliceSpent+bobSpent {
		t.Errorf("the sandbox charged %d, the clients' results say %d", got, aliceSpent+bobSpent)
	}
	for who, h := range map[string]map[string]any{"alice": aliceHalt, "bob": bobHalt} {
		if h == nil {
			continue
		}
		if code := testenv.Obj(t, h, "error")["code"]; code != budget.CodeCapReached {
			t.Errorf("%s halted with %v, want %s", who, code, budget.CodeCapReached)
		}
	}
	if bobHalt != nil {
		if b := testenv.Obj(t, bobHalt, "budget"); b["runCap"] != 50.0 || b["runSpent"] != 50.0 {
			t.Errorf("bob's halt shows %s, want his own cap and spend", testenv.MustJSON(b))
		}
	}
	for _, c := range []struct {
		cl        *client.Client
		cap, sent float64
	}{{alice, 30, 30}, {bob, 50, 50}} {
		b := budgetView(t, c.cl)
		if b["runCap"] != c.cap || b["runSpent"] != c.sent || b["available"] != 0.0 || b["reserve"] != 100.0 || b["creditsRemaining"] == nil {
			t.Errorf("get_budget shows %s, want cap %v, spent %v, nothing available, the deployment's floor and the balance", testenv.MustJSON(b), c.cap, c.sent)
		}
	}
	if d := testenv.StatusOf(t, e.Ctrl); d.RunSpent != 80 || d.InFlight != 0 {
		t.Errorf("the deployment's budget: %+v, want 80 spent and nothing held", d)
	}
}

// TestTheDeploymentsCapBindsEveryClient gives two clients caps that add
// up to more than the deployment's: together they stop at the
// deployment's.
func TestTheDeploymentsCapBindsEveryClient(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 40}})
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, ptr(30), ptr(30))})
	alice, bob := connect(t, url, aliceToken, modern), connect(t, url, bobToken, modern)
	var wg sync.WaitGroup
	wg.Go(func() { spendUntilHalted(t, alice, 4) })
	wg.Go(func() { spendUntilHalted(t, bob, 4) })
	wg.Wait()
	if got := e.SB.Spent(e.Key); got != 40 {
		t.Errorf("two clients spent %d against the deployment's cap of 40", got)
	}
}

// TestClientToolsetsAndReadOnly lists and calls tools as a client limited
// to the lookup toolset, read-only.
func TestClientToolsetsAndReadOnly(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	list, err := gateway.ParseClients([]byte(`{"clients": [{"name": "alice", "token": "` + aliceToken + `", "toolsets": ["lookup", "brandtrackers"], "readOnly": true},
		{"name": "bob", "token": "` + bobToken + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, e, gateway.Config{Clients: gateway.NewClients(list)})
	for _, v := range []string{legacy, modern} {
		alice := connect(t, url, aliceToken, v)
		tl, err := alice.ListTools(context.Background(), mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range tl.Tools {
			names = append(names, x.Name)
		}
		if !slices.Contains(names, "lookup") || !slices.Contains(names, "get_budget") || slices.Contains(names, "search_ads") ||
			slices.Contains(names, "create_brandtracker") || !slices.Contains(names, "list_brandtrackers") {
			t.Errorf("%s: alice sees %v", v, names)
		}
		req := mcp.CallToolRequest{}
		req.Params.Name = "search_ads"
		if res, err := alice.CallTool(context.Background(), req); err == nil && !res.IsError {
			t.Errorf("%s: alice called search_ads, outside her toolsets", v)
		}
		req.Params.Name = "create_brandtracker"
		req.Params.Arguments = map[string]any{"name": "x", "domain": "x.example"}
		if res, err := alice.CallTool(context.Background(), req); err == nil && !res.IsError {
			t.Errorf("%s: alice, read-only, created a brandtracker", v)
		}
		bob := connect(t, url, bobToken, v)
		bl, _ := bob.ListTools(context.Background(), mcp.ListToolsRequest{})
		if len(bl.Tools) != e.Box.Catalogue().Len() {
			t.Errorf("%s: bob sees %d tools, want all %d", v, len(bl.Tools), e.Box.Catalogue().Len())
		}
	}
	bad := gateway.NewClients([]*gateway.Client{{Name: "carol", Toolsets: []string{"nope"}}})
	if _, err := gateway.New(gateway.Config{Toolbox: e.Box, Clients: bad}); err == nil {
		t.Error("a client with an unknown toolset was accepted")
	}
}

// TestMaxCreditsPerSession caps each 2025-11-25 session, and each
// 2026-07-28 call (which has no session), inside the client's cap.
func TestMaxCreditsPerSession(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true, Credits: sandbox.Credits{Recurring: 10000}})
	_, url := serve(t, e, gateway.Config{Clients: twoClients(t, ptr(25), nil), MaxCreditsPerSession: 10})
	s1, s2 := connect(t, url, aliceToken, legacy), connect(t, url, aliceToken, legacy)
	if spent, _ := spendUntilHalted(t, s1, 4); spent != 10 {
		t.Errorf("session 1 spent %d, want its cap of 10", spent)
	}
	if b := budgetView(t, s1); b["runCap"] != 10.0 || b["runSpent"] != 10.0 {
		t.Errorf("session 1's get_budget: %s", testenv.MustJSON(b))
	}
	if spent, _ := spendUntilHalted(t, s2, 4); spent != 10 {
		t.Errorf("session 2 spent %d, want its cap of 10", spent)
	}
	// A third session has 10 of its own, but alice only 5 left of 25.
	if spent, _ := spendUntilHalted(t, connect(t, url, aliceToken, legacy), 4); spent != 5 {
		t.Errorf("session 3 spent %d, want the 5 left of alice's cap", spent)
	}
	// Stateless: each call is its own session.
	bob := connect(t, url, bobToken, modern)
	res, sc := testenv.CallMCP(t, context.Background(), bob, "search_ads", map[string]any{"search": "tea", "limit": 30}, nil)
	if res.IsError || len(testenv.Rows(t, sc)) != 10 {
		t.Errorf("a 30-row stateless call with a per-session cap of 10: %s", testenv.MustJSON(sc["notes"]))
	}
	res, sc = testenv.CallMCP(t, context.Background(), bob, "search_ads", map[string]any{"search": "tea", "limit": 30, "page": 2}, nil)
	if res.IsError || len(testenv.Rows(t, sc)) != 10 {
		t.Errorf("the next stateless call gets its own 10: %s", testenv.MustJSON(sc))
	}
}

// TestReloadChangesACapAndKeepsTheSpend raises a client's cap by reloading
// the clients file: the client goes on from what it had spent.
func TestReloadChangesACapAndKeepsTheSpend(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	path := filepath.Join(t.TempDir(), "clients.json")
	write := func(capCredits int) {
		b, _ := json.Marshal(map[string]any{"clients": []map[string]any{{"name": "alice", "token": aliceToken, "maxCredits": capCredits}}})
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(20)
	clients, err := gateway.LoadClients(path)
	if err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, e, gateway.Config{Clients: clients})
	alice := connect(t, url, aliceToken, modern)
	if spent, _ := spendUntilHalted(t, alice, 5); spent != 20 {
		t.Fatalf("alice spent %d of 20", spent)
	}
	write(35)
	if err := clients.Reload(); err != nil {
		t.Fatal(err)
	}
	if spent, _ := spendUntilHalted(t, alice, 5); spent != 15 {
		t.Errorf("after raising the cap to 35, alice spent %d more, want 15", spent)
	}
	if b := budgetView(t, alice); b["runCap"] != 35.0 || b["runSpent"] != 35.0 {
		t.Errorf("get_budget after the reload: %s", testenv.MustJSON(b))
	}
}
