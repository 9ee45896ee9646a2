package tollgate_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tollgate-mcp/tollgate"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestMain fails the package's tests if any goroutine outlives them, and
// silences go-redis's own log of the dial failures a test causes.
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func startSandbox(t testing.TB) (url string, srv *sandbox.Server) {
	srv = sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL, srv
}

func TestNewWiresClientBudgetAndTools(t *testing.T) {
	url, srv := startSandbox(t)
	ctx := context.Background()
	kit, err := tollgate.New(ctx, tollgate.Config{APIKey: sandbox.DemoKey, BaseURL: url, MaxCredits: 30,
		Filter: tools.Filter{Toolsets: []string{"ads", "budget"}}})
	if err != nil {
		t.Fatal(err)
	}
	if kit.UsageErr != nil || kit.Usage == nil {
		t.Fatalf("the balance was not read: %v", kit.UsageErr)
	}
	if kit.Tools.Catalogue().Source != tools.SourceAPI || kit.Tools.Budget() != kit.Budget {
		t.Errorf("catalogue from %s, budget %p vs %p", kit.Tools.Catalogue().Source, kit.Tools.Budget(), kit.Budget)
	}
	if _, ok := kit.Tools.Catalogue().Lookup("lookup"); ok {
		t.Error("the filter was not applied")
	}
	res := kit.Tools.Call(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 20})
	if res.IsError {
		t.Fatalf("search_ads: %s", res.JSON())
	}
	res = kit.Tools.Call(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 20, "page": 2})
	if res.IsError || !strings.Contains(string(res.JSON()), "limit lowered from 20 to 10") {
		t.Fatalf("the second page was not fitted to the 10 credits left: %s", res.JSON())
	}
	res = kit.Tools.Call(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 20, "page": 3})
	if !res.IsError || res.Advice.Code != budget.CodeCapReached {
		t.Fatalf("past the cap: %s", res.JSON())
	}
	st, err := kit.Budget.Status(ctx)
	if err != nil || st.RunSpent != 30 || srv.Spent(sandbox.DemoKey) != 30 {
		t.Errorf("budget %+v (%v); the API charged %d", st, err, srv.Spent(sandbox.DemoKey))
	}
}

func TestNewRefusesAConfigItCannotUse(t *testing.T) {
	url, _ := startSandbox(t)
	for _, tt := range []struct {
		name string
		cfg  tollgate.Config
		want string
	}{
		{"a base URL without a scheme", tollgate.Config{BaseURL: "api.trendtrack.io"}, "BaseURL"},
		{"a negative floor", tollgate.Config{BaseURL: url, Reserve: -1}, "Reserve"},
		{"an unknown toolset", tollgate.Config{BaseURL: url, Catalogue: tools.BuiltIn(), Filter: tools.Filter{Toolsets: []string{"adz"}}}, `unknown toolset "adz"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tollgate.New(context.Background(), tt.cfg)
			if _, ok := errors.AsType[*tollgate.ConfigError](err); !ok || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want a ConfigError naming %s", err, tt.want)
			}
		})
	}
}

func TestNewReportsABalanceItCannotRead(t *testing.T) {
	url, _ := startSandbox(t)
	kit, err := tollgate.New(context.Background(), tollgate.Config{APIKey: "tt_live_wrong", BaseURL: url, Catalogue: tools.BuiltIn()})
	if err != nil {
		t.Fatal(err)
	}
	if kit.Usage != nil || kit.UsageErr == nil || !strings.Contains(kit.UsageErr.Error(), "invalid_api_key") {
		t.Fatalf("Usage %v, UsageErr %v", kit.Usage, kit.UsageErr)
	}
}

// TestOnlyRedisUsersCompileGoRedis: the faces and the root package do not
// depend on go-redis; redisstore does.
func TestOnlyRedisUsersCompileGoRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	for pkg, want := range map[string]bool{
		".": false, "./tools": false, "./agent": false, "./batch": false, "./budget": false, "./runtime": false,
		"./redisstore": true,
	} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		if got := strings.Contains(string(out), "github.com/redis/go-redis"); got != want {
			t.Errorf("%s depends on go-redis: %v, want %v", pkg, got, want)
		}
	}
}

// New wires everything against a sandbox here; against the real API,
// pass APIKey alone. The third page is fitted to the 10 credits the cap
// leaves; the fourth halts before reaching the API.
func Example() {
	srv := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx := context.Background()
	kit, err := tollgate.New(ctx, tollgate.Config{APIKey: sandbox.DemoKey, BaseURL: ts.URL, MaxCredits: 50})
	if err != nil {
		panic(err)
	}
	for page := 1; page <= 4; page++ {
		res := kit.Tools.Call(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 20, "page": page})
		if res.IsError {
			fmt.Println("page", page, "halted:", res.Advice.Code)
			continue
		}
		fmt.Println("page", page, "ok")
	}
	st, _ := kit.Budget.Status(ctx)
	fmt.Println("spent", st.RunSpent, "of", *st.RunCap)
	// Output:
	// page 1 ok
	// page 2 ok
	// page 3 ok
	// page 4 halted: budget_cap_reached
	// spent 50 of 50
}

// TestToolsKeepServingWhileTheSharedBudgetIsDown is what `tollgate serve`
// does when its Redis goes away: paid calls halt with advice a model can
// follow, free calls go on, and once Redis is back paid calls work again
// without a restart.
func TestToolsKeepServingWhileTheSharedBudgetIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv := redistest.Start(t)
	store, err := redisstore.OpenBudget(srv.URL(), "serve-"+t.Name(), redisstore.BudgetOptions{LeaseTTL: 600 * time.Millisecond, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	url, _ := startSandbox(t)
	ctx := context.Background()
	// NoCache: the cache would answer the repeated call for free, and
	// this test is about paid calls.
	kit, err := tollgate.New(ctx, tollgate.Config{APIKey: sandbox.DemoKey, BaseURL: url, MaxCredits: 100, Store: store, Catalogue: tools.BuiltIn(), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	paid := func() *tools.Result {
		return kit.Tools.Call(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 5})
	}
	if res := paid(); res.IsError {
		t.Fatalf("with Redis up: %s", res.JSON())
	}

	srv.Kill()
	res := paid()
	if !res.IsError || res.Advice.Code != budget.CodeStoreUnavailable || !res.Advice.Retryable || res.Advice.Source != "budget" {
		t.Fatalf("a paid call with Redis down: %s", res.JSON())
	}
	if free := kit.Tools.Call(ctx, "lookup", map[string]any{"q": "coffee"}); free.IsError {
		t.Fatalf("a free call with Redis down: %s", free.JSON())
	}
	view := kit.Tools.Call(ctx, "get_budget", nil).Structured.(*tools.BudgetView)
	if view.BudgetError == nil || view.BudgetError.Code != budget.CodeStoreUnavailable || view.Usage == nil {
		t.Fatalf("get_budget with Redis down: %+v", view)
	}

	srv.Start() // empty: the ledger is rebuilt from what this process saw
	deadline := time.Now().Add(10 * time.Second)
	for res = paid(); res.IsError; res = paid() {
		if time.Now().After(deadline) {
			t.Fatalf("paid calls did not come back with Redis: %s", res.JSON())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, err := kit.Budget.Status(ctx); err != nil || st.RunSpent != 10 {
		t.Errorf("after Redis came back empty: %+v, %v; want the 10 credits spent before remembered", st, err)
	}
}
