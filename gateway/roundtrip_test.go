package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

// addConfirmTool adds to g's MCP server a tool that asks the user once
// (an input-required result with state "asked") and answers "done" when
// retried with that state.
func addConfirmTool(g *gateway.Gateway, name string) {
	g.MCPServer().AddTool(mcp.NewTool(name), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		switch req.Params.RequestState {
		case "":
			return server.NewInputRequestBuilder("asked").
				Elicit("ok", mcp.ElicitationParams{Message: "Spend?", RequestedSchema: map[string]any{"type": "object"}}).ToolResult(), nil
		case "asked":
			return mcp.NewToolResultText("done"), nil
		}
		return mcp.NewToolResultError("unexpected state " + req.Params.RequestState), nil
	})
}

// TestRetriedRoundTripOnlyFromTheCaller checks 2026-07-28's multi round
// trips: the requestState a client gets is sealed to it and to the tool,
// so that a retry is honoured from that client only.
func TestRetriedRoundTripOnlyFromTheCaller(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	g, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	addConfirmTool(g, "confirm_test")
	addConfirmTool(g, "confirm_other")
	ctx := context.Background()
	alice, bob := newRaw(t, url, aliceToken, modern), newRaw(t, url, bobToken, modern)

	first := alice.call(ctx, 1, "confirm_test", map[string]any{}).result(t)
	state, _ := first["requestState"].(string)
	if first["resultType"] != string(mcp.ResultTypeInputRequired) || !strings.HasPrefix(state, "tg1.") {
		t.Fatalf("first call: want an input-required result with a sealed state, got %s", testenv.MustJSON(first))
	}
	if strings.HasSuffix(state, ".asked") == false {
		t.Errorf("the sealed state %q does not carry the tool's own", state)
	}
	retry := func(c *rawClient, tool, st string) map[string]any {
		t.Helper()
		r := c.rpc(ctx, c.nextID(), "tools/call", map[string]any{"name": tool, "arguments": map[string]any{},
			"inputResponses": map[string]any{"ok": map[string]any{"action": "accept", "content": map[string]any{}}},
			"requestState":   st})
		if r.status != http.StatusOK {
			t.Fatalf("retry: HTTP %d: %s", r.status, r.body)
		}
		return r.result(t)
	}
	refused := func(res map[string]any) bool {
		sc, _ := res["structuredContent"].(map[string]any)
		er, _ := sc["error"].(map[string]any)
		return res["isError"] == true && er["code"] == gateway.CodeRoundTripRefused
	}
	if res := retry(bob, "confirm_test", state); !refused(res) {
		t.Errorf("bob retried alice's call and got %s, want %s", testenv.MustJSON(res), gateway.CodeRoundTripRefused)
	}
	if res := retry(alice, "confirm_other", state); !refused(res) {
		t.Errorf("alice's state for confirm_test was taken by confirm_other: %s", testenv.MustJSON(res))
	}
	if res := retry(alice, "confirm_test", strings.TrimSuffix(state, "asked")+"other"); !refused(res) {
		t.Errorf("a tampered state was honoured: %s", testenv.MustJSON(res))
	}
	if res := retry(alice, "confirm_test", ""); !refused(res) {
		t.Errorf("answers without the state were honoured: %s", testenv.MustJSON(res))
	}
	res := retry(alice, "confirm_test", state)
	if res["isError"] == true || !strings.Contains(testenv.MustJSON(res), "done") {
		t.Errorf("alice's own retry: %s", testenv.MustJSON(res))
	}
}

type acceptAll struct{}

func (acceptAll) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{}}}, nil
}

// TestRoundTripUnderTheSessionRevision checks that the seal does not get
// in the way of 2025-11-25, where mcp-go asks the question itself
// (elicitation/create) and runs the handler again.
func TestRoundTripUnderTheSessionRevision(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{NoClient: true})
	g, url := serve(t, e, gateway.Config{Clients: twoClients(t, nil, nil)})
	addConfirmTool(g, "confirm_test")
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + aliceToken}))
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewClient(tr, client.WithProtocolVersion(legacy), client.WithElicitationHandler(acceptAll{}))
	t.Cleanup(func() { _ = cl.Close() })
	ctx := context.Background()
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "confirm_test"
	res, err := cl.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("CallTool: %v", err)
	}
	if res.IsError || testenv.TextOf(t, res) != "done" {
		t.Fatalf("confirm_test under %s: %s", legacy, testenv.MustJSON(res))
	}
}

// TestSpendApprovalIsTheCallersOwn runs the MCP face's spend approval
// (--confirm-above) under 2026-07-28 through two instances: alice is
// asked on one and answers on the other; bob, retrying alice's call with
// her state and a yes, is refused and spends nothing.
func TestSpendApprovalIsTheCallersOwn(t *testing.T) {
	t.Parallel()
	rc := redisClient(t)
	e := testenv.New(t, testenv.Config{NoClient: true})
	clients := twoClients(t, nil, nil)
	cfg := gateway.Config{Clients: clients}
	cfg.Server.ConfirmAbove = 5
	_, urlA := serve(t, e, sharedConfig(t, rc, "tg:approve:", cfg))
	_, urlB := serve(t, e, sharedConfig(t, rc, "tg:approve:", cfg))
	ctx := context.Background()
	form := map[string]any{"elicitation": map[string]any{"form": map[string]any{}}}
	alice, aliceB, bob := newRaw(t, urlA, aliceToken, modern), newRaw(t, urlB, aliceToken, modern), newRaw(t, urlB, bobToken, modern)
	alice.caps, aliceB.caps, bob.caps = form, form, form
	args := map[string]any{"search": "coffee", "limit": 10}

	first := alice.call(ctx, 1, "search_ads", args).result(t)
	state, _ := first["requestState"].(string)
	if first["resultType"] != string(mcp.ResultTypeInputRequired) || !strings.HasPrefix(state, "tg1.") {
		t.Fatalf("a 10-credit call above 5: want the question, got %s", testenv.MustJSON(first))
	}
	yes := func(c *rawClient) map[string]any {
		return c.rpc(ctx, c.nextID(), "tools/call", map[string]any{"name": "search_ads", "arguments": args,
			"inputResponses": map[string]any{"tollgate_spend_approval": map[string]any{"action": "accept", "content": map[string]any{"choice": "once"}}},
			"requestState":   state}).result(t)
	}
	if res := yes(bob); res["isError"] != true || !strings.Contains(testenv.MustJSON(res), gateway.CodeRoundTripRefused) {
		t.Errorf("bob answered alice's question: %s", testenv.MustJSON(res))
	}
	if spent := e.SB.Spent(e.Key); spent != 0 {
		t.Fatalf("bob's answer spent %d credits", spent)
	}
	res := yes(aliceB)
	if res["isError"] == true || res["resultType"] == string(mcp.ResultTypeInputRequired) {
		t.Fatalf("alice's yes on the other instance: %s", testenv.MustJSON(res))
	}
	if spent := e.SB.Spent(e.Key); spent != 10 {
		t.Errorf("alice's approved call spent %d, want 10", spent)
	}
}
