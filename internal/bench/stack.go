package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	goruntime "runtime"
	"runtime/pprof"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/bench/bare"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// The call every comparison makes: one 20-row search_ads page, every
// field of it (fields ["*"]), as the baselines return the body whole.
var (
	callArgs  = map[string]any{"search": "coffee", "limit": 20, "fields": []any{"*"}}
	callQuery = url.Values{"search": {"coffee"}, "limit": {"20"}}
)

// Profile labels: a CPU profile of a run (internal/cmd/bench -cpuprofile)
// tells the sides apart with pprof -tagfocus side=tollgate, and so on.
const (
	labelSide = "side"
	sideTG    = "tollgate" // tollgate's MCP HTTP server
	sideBare  = "bare"     // the baseline MCP HTTP server
	sideSB    = "sandbox"  // the embedded sandbox
	sideLoad  = "client"   // the harness's own clients
)

// stack is the in-process setup of the CPU and load sections: the
// sandbox on a loopback listener with its rate limit off, and
// tollgate's client, budget and toolbox wired to it as `serve
// --sandbox` wires them (a budget without a cap, so that no run halts).
type stack struct {
	sbURL string
	key   string
	hs    *http.Server

	client *runtime.Client
	box    *tools.Toolbox
	// raw is the baseline's HTTP client: a transport like runtime's
	// default (64 idle connections per host), so neither side
	// reconnects more than the other.
	raw *http.Client

	page []byte // the raw body of the page
	rows int
}

func newStack(ctx context.Context) (*stack, error) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	key := sb.NewWorkspace(sandbox.Credits{Recurring: 1 << 50})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: listen for the sandbox: %w", err)
	}
	st := &stack{
		sbURL: "http://" + ln.Addr().String(),
		key:   key,
		hs:    &http.Server{Handler: labelled(sideSB, sb), ReadHeaderTimeout: 10 * time.Second},
		raw:   &http.Client{Transport: poolTransport(64)},
	}
	go func() { _ = st.hs.Serve(ln) }()

	var c *runtime.Client
	ctrl, err := budget.New(budget.Config{MaxCredits: budget.Unlimited,
		Usage: budget.UsageFunc(func(ctx context.Context) (*runtime.Usage, error) { return c.Usage(ctx) })})
	if err != nil {
		st.Close()
		return nil, err
	}
	if c, err = runtime.New(runtime.WithBaseURL(st.sbURL), runtime.WithAPIKey(key), runtime.WithObserver(ctrl)); err != nil {
		st.Close()
		return nil, err
	}
	st.client = c
	if _, err := ctrl.Refresh(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("bench: the sandbox's usage: %w", err)
	}
	cat := tools.Load(ctx, c, tools.LoadOptions{})
	if cat.Source != tools.SourceAPI {
		st.Close()
		return nil, fmt.Errorf("bench: the catalogue came from %s, not from the sandbox", cat.Source)
	}
	// NoDedupe: the load's sessions make the same call at once, which the
	// toolbox would otherwise share; the bare server makes every request.
	if st.box, err = tools.NewToolbox(tools.Config{Catalogue: cat, Client: c, Budget: ctrl, NoDedupe: true}); err != nil {
		st.Close()
		return nil, err
	}
	if st.page, err = st.get(ctx); err != nil {
		st.Close()
		return nil, err
	}
	resp, err := st.do(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if resp.Pagination == nil || resp.Pagination.Limit != 20 {
		st.Close()
		return nil, errors.New("bench: the sandbox's page has no pagination of 20 rows")
	}
	st.rows = resp.Pagination.Limit
	return st, nil
}

// Close stops the sandbox.
func (st *stack) Close() {
	_ = st.hs.Close()
	st.raw.CloseIdleConnections()
}

func (st *stack) pageURL() string { return st.sbURL + "/v1/ads?" + callQuery.Encode() }

// get is the baseline: the raw GET of the page.
func (st *stack) get(ctx context.Context) ([]byte, error) {
	return bare.Get(ctx, st.raw, st.pageURL(), st.key)
}

// do is the same page through runtime.Client.Do.
func (st *stack) do(ctx context.Context) (*runtime.Response, error) {
	return st.client.Do(ctx, &runtime.Request{Method: http.MethodGet, Path: "/v1/ads", Operation: "listAds", Query: callQuery})
}

// call is the same page through Toolbox.Call.
func (st *stack) call(ctx context.Context) error {
	if r := st.box.Call(ctx, "search_ads", callArgs); r.IsError {
		return fmt.Errorf("search_ads failed: %s", r.JSON())
	}
	return nil
}

// poolTransport is http.DefaultTransport keeping n idle connections per
// host.
func poolTransport(n int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 4 * n
	t.MaxIdleConnsPerHost = n
	return t
}

// labelled runs h with the profile label side=name, so that a CPU
// profile of the run can tell the servers apart.
func labelled(name string, h http.Handler) http.Handler {
	labels := pprof.Labels(labelSide, name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pprof.Do(r.Context(), labels, func(ctx context.Context) { h.ServeHTTP(w, r.WithContext(ctx)) })
	})
}

func envLine(pageBytes, rows int) string {
	s := fmt.Sprintf("%s %s/%s, %d CPUs (GOMAXPROCS %d)", goruntime.Version(), goruntime.GOOS, goruntime.GOARCH,
		goruntime.NumCPU(), goruntime.GOMAXPROCS(0))
	if pageBytes > 0 {
		s += fmt.Sprintf("; the page: search_ads, %d rows, %d bytes of JSON from the embedded sandbox over loopback (rate limit off)", rows, pageBytes)
	}
	return s
}
