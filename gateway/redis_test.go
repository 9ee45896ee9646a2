package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/redisstore"
)

// redisClient connects to a Redis of the test's own.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

// sharedConfig is what two instances of one deployment share in Redis.
func sharedConfig(t *testing.T, rc *redis.Client, prefix string, cfg gateway.Config) gateway.Config {
	t.Helper()
	secret, err := redisstore.SharedSecret(context.Background(), rc, prefix)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sessions = redisstore.NewSessions(rc, prefix)
	cfg.Peers = redisstore.NewPeers(rc, prefix)
	cfg.Secret = secret
	return cfg
}

// TestTwoInstancesAgreeOnSessions opens sessions on one instance and
// uses them on the other: honoured for the token that opened them,
// refused for another, refused everywhere once DELETEd on either.
func TestTwoInstancesAgreeOnSessions(t *testing.T) {
	t.Parallel()
	rc := redisClient(t)
	e := testenv.New(t, testenv.Config{NoClient: true})
	clients := twoClients(t, nil, nil)
	_, urlA := serve(t, e, sharedConfig(t, rc, "tg:test:", gateway.Config{Clients: clients}))
	_, urlB := serve(t, e, sharedConfig(t, rc, "tg:test:", gateway.Config{Clients: clients}))
	ctx := context.Background()
	call := func(url, token, session string) int {
		c := newRaw(t, url, token, legacy)
		c.session = session
		return c.call(ctx, 1, "get_me", nil).status
	}
	onA := newRaw(t, urlA, aliceToken, legacy)
	onA.initialize()
	if s := call(urlB, aliceToken, onA.session); s != http.StatusOK {
		t.Fatalf("alice's session of A on B: HTTP %d", s)
	}
	if s := call(urlB, bobToken, onA.session); s != http.StatusNotFound {
		t.Errorf("alice's session of A with bob's token on B: HTTP %d, want 404", s)
	}
	if s := call(urlB, aliceToken, "tg-AAAAAAAAAAAAAAAAAAAAAA"); s != http.StatusNotFound {
		t.Errorf("a forged id on B: HTTP %d, want 404", s)
	}
	onB := newRaw(t, urlB, aliceToken, legacy)
	onB.session = onA.session
	if r := onB.send(ctx, http.MethodDelete, nil, nil); r.status != http.StatusOK {
		t.Fatalf("DELETE on B: HTTP %d: %s", r.status, r.body)
	}
	for _, url := range []string{urlA, urlB} {
		if s := call(url, aliceToken, onA.session); s != http.StatusNotFound {
			t.Errorf("the session DELETEd on B, used on %s: HTTP %d, want 404", url, s)
		}
	}

	t.Run("a state sealed on one instance opens on the other", func(t *testing.T) {
		gA, urlA := serve(t, e, sharedConfig(t, rc, "tg:test:", gateway.Config{Clients: clients}))
		gB, urlB := serve(t, e, sharedConfig(t, rc, "tg:test:", gateway.Config{Clients: clients}))
		addConfirmTool(gA, "confirm_test")
		addConfirmTool(gB, "confirm_test")
		first := newRaw(t, urlA, aliceToken, modern).call(ctx, 1, "confirm_test", map[string]any{}).result(t)
		retry := newRaw(t, urlB, aliceToken, modern).rpc(ctx, 2, "tools/call", map[string]any{"name": "confirm_test", "arguments": map[string]any{},
			"inputResponses": map[string]any{"ok": map[string]any{"action": "accept"}}, "requestState": first["requestState"]}).result(t)
		if retry["isError"] == true {
			t.Errorf("the retry on B of a call asked on A: %s", testenv.MustJSON(retry))
		}
	})
}

// TestCancellationAndSessionEndReachTheInstanceRunningTheCall cancels a
// call in flight on instance A through instance B, and ends a session on
// B whose call runs on A.
func TestCancellationAndSessionEndReachTheInstanceRunningTheCall(t *testing.T) {
	t.Parallel()
	rc := redisClient(t)
	api := newHangingAPI(t)
	e := testenv.New(t, testenv.Config{NoClient: true, BaseURL: api.srv.URL})
	clients := twoClients(t, nil, nil)
	_, urlA := serve(t, e, sharedConfig(t, rc, "tg:cancel:", gateway.Config{Clients: clients}))
	_, urlB := serve(t, e, sharedConfig(t, rc, "tg:cancel:", gateway.Config{Clients: clients}))
	start := func(c *rawClient, id int64) chan reply {
		done := make(chan reply, 1)
		go func() {
			done <- c.call(context.Background(), id, "search_ads", map[string]any{"search": "x", "limit": 5})
		}()
		select {
		case <-api.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the call never reached the API")
		}
		return done
	}
	wait := func(what string, done chan reply) {
		t.Helper()
		select {
		case <-api.gone:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not stop the call on the other instance", what)
		}
		<-done
	}
	for _, version := range []string{legacy, modern} {
		a := newRaw(t, urlA, aliceToken, version)
		if version == legacy {
			a.initialize()
		}
		done := start(a, 3)
		b := newRaw(t, urlB, aliceToken, version)
		b.session = a.session
		if r := b.cancel(3); r.status != http.StatusAccepted {
			t.Fatalf("%s cancel on B: HTTP %d", version, r.status)
		}
		wait(version+" cancellation through B", done)
	}
	a := newRaw(t, urlA, aliceToken, legacy)
	a.initialize()
	done := start(a, 4)
	b := newRaw(t, urlB, aliceToken, legacy)
	b.session = a.session
	if r := b.send(context.Background(), http.MethodDelete, nil, nil); r.status != http.StatusOK {
		t.Fatalf("DELETE on B: HTTP %d", r.status)
	}
	wait("DELETE on B", done)
}

// instance is one tollgate process of a deployment on Redis: its own
// API client and deployment budget on the shared budget store, and the
// clients' and sessions' budgets in Redis.
func instance(t *testing.T, e *testenv.Env, rc *redis.Client, prefix string, cfg gateway.Config) string {
	t.Helper()
	deploy, err := redisstore.NewBudget(rc, prefix+"deploy", redisstore.BudgetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = deploy.Close() })
	me := testenv.New(t, testenv.Config{NoClient: true, Key: e.Key, BaseURL: e.TS.URL,
		Budget: &budget.Config{MaxCredits: 1000, Store: deploy}})
	cfg.ClientStore = func(name string) (budget.Store, error) {
		return redisstore.NewBudget(rc, prefix+"client:"+name, redisstore.BudgetOptions{})
	}
	cfg.SessionBudgetStore = redisstore.SessionBudgets(rc, prefix, time.Hour)
	_, url := serve(t, me, sharedConfig(t, rc, prefix, cfg))
	return url
}

// TestAClientsCapHoldsAcrossInstancesAndRestarts spends alice's cap on
// two instances sharing Redis, then on a third started afresh.
func TestAClientsCapHoldsAcrossInstancesAndRestarts(t *testing.T) {
	t.Parallel()
	rc := redisClient(t)
	e := testenv.New(t, testenv.Config{NoClient: true})
	clients := twoClients(t, ptr(30), ptr(100))
	urlA := instance(t, e, rc, "tg:caps:", gateway.Config{Clients: clients, MaxCreditsPerSession: 12})
	urlB := instance(t, e, rc, "tg:caps:", gateway.Config{Clients: clients, MaxCreditsPerSession: 12})
	ctx := context.Background()

	// A session's cap holds across instances too.
	onA := newRaw(t, urlA, aliceToken, legacy)
	onA.initialize()
	spend := func(c *rawClient, rows int) (ok bool, sc map[string]any) {
		isErr, sc := toolResult(t, c.call(ctx, c.nextID(), "search_ads", map[string]any{"search": "coffee", "limit": rows}))
		return !isErr, sc
	}
	if ok, sc := spend(onA, 8); !ok {
		t.Fatalf("8 on A: %s", testenv.MustJSON(sc))
	}
	onB := newRaw(t, urlB, aliceToken, legacy)
	onB.session = onA.session
	if ok, sc := spend(onB, 8); !ok || len(testenv.Rows(t, sc)) != 4 {
		t.Fatalf("the same session on B: want 4 of its 12 left, got %s", testenv.MustJSON(sc["notes"]))
	}
	// Alice's cap: 12 spent, 18 left, whichever instance she uses.
	for i, url := range []string{urlA, urlB, urlA} {
		c := newRaw(t, url, aliceToken, modern)
		ok, sc := spend(c, 8)
		want := []int{8, 8, 2}[i]
		if !ok || len(testenv.Rows(t, sc)) != want {
			t.Fatalf("alice's call %d: want %d rows, got %s", i, want, testenv.MustJSON(sc))
		}
	}
	for _, url := range []string{urlA, urlB} {
		if ok, sc := spend(newRaw(t, url, aliceToken, modern), 1); ok || testenv.Obj(t, sc, "error")["code"] != budget.CodeCapReached {
			t.Errorf("alice past her cap on %s: %s", url, testenv.MustJSON(sc))
		}
	}
	if got := e.SB.Spent(e.Key); got != 30 {
		t.Errorf("the sandbox charged %d, want alice's 30", got)
	}
	// Restarted: a new instance with new stores knows what alice spent.
	urlC := instance(t, e, rc, "tg:caps:", gateway.Config{Clients: clients})
	c := newRaw(t, urlC, aliceToken, modern)
	if ok, sc := spend(c, 1); ok {
		t.Errorf("alice on a restarted instance: %s", testenv.MustJSON(sc))
	}
	if ok, sc := spend(newRaw(t, urlC, bobToken, modern), 5); !ok {
		t.Errorf("bob on the restarted instance: %s", testenv.MustJSON(sc))
	}
}

// Helpers for the benchmark, which has no *testing.T.
func redisURLOrSkip(b *testing.B) string { return redistest.URL(b) }

func redisClientB(b *testing.B, url string) *redis.Client {
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	rc := redis.NewClient(opts)
	b.Cleanup(func() { _ = rc.Close() })
	return rc
}

func redisstoreSessions(rc *redis.Client) gateway.SessionStore {
	return redisstore.NewSessions(rc, "tg:bench:")
}
