package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/opfixtures"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// opEnv is a Toolbox over real HTTP against one workspace of a sandbox,
// with a budget controller that reads /v1/usage, and a record of every
// request the client sent.
type opEnv struct {
	sb   *sandbox.Server
	key  string
	ctrl *budget.Controller
	box  *tools.Toolbox

	mu   sync.Mutex
	sent []*runtime.Request
}

type opEnvConfig struct {
	credits sandbox.Credits
	cap     int64 // budget cap; 0 means 100000
	logger  *slog.Logger
	catalog *tools.Catalogue // nil means the built-in one
	// wrap, when set, stands between the client and the sandbox.
	wrap func(http.Handler) http.Handler
}

// newOpEnv makes a workspace on sb (a new sandbox when nil) and a Toolbox
// over the built-in catalogue for it.
func newOpEnv(t *testing.T, sb *sandbox.Server, base string, cfg opEnvConfig) *opEnv {
	t.Helper()
	if sb == nil {
		sb = sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
		var h http.Handler = sb
		if cfg.wrap != nil {
			h = cfg.wrap(h)
		}
		ts := httptest.NewServer(h)
		t.Cleanup(ts.Close)
		base = ts.URL
	}
	if cfg.credits == (sandbox.Credits{}) {
		cfg.credits = sandbox.Credits{Recurring: 10000, Topup: 1 << 30}
	}
	if cfg.cap == 0 {
		cfg.cap = 100000
	}
	e := &opEnv{sb: sb, key: sb.NewWorkspace(cfg.credits)}
	var client *runtime.Client
	ctrl, err := budget.New(budget.Config{MaxCredits: cfg.cap,
		Usage: budget.UsageFunc(func(ctx context.Context) (*runtime.Usage, error) { return client.Usage(ctx) })})
	if err != nil {
		t.Fatal(err)
	}
	record := runtime.ObserverFuncs{Response: func(_ context.Context, r *runtime.Request, _ int, _ runtime.Metering) {
		e.mu.Lock()
		e.sent = append(e.sent, r)
		e.mu.Unlock()
	}}
	client, err = runtime.New(runtime.WithBaseURL(base), runtime.WithAPIKey(e.key), runtime.WithObserver(ctrl),
		runtime.WithObserver(record), runtime.WithClock(testenv.NewFakeClock()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctrl.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.ctrl = ctrl
	if cfg.catalog == nil {
		cfg.catalog = tools.BuiltIn()
	}
	e.box, err = tools.NewToolbox(tools.Config{Catalogue: cfg.catalog, Client: client, Budget: ctrl, MaxResultBytes: 8 << 20, Logger: cfg.logger})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// lastSent is the last request the client sent.
func (e *opEnv) lastSent() *runtime.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.sent) == 0 {
		return nil
	}
	return e.sent[len(e.sent)-1]
}

// call runs a tool and returns its success, failing the test otherwise.
func (e *opEnv) call(t testing.TB, name string, args map[string]any) *tools.Success {
	t.Helper()
	res := e.box.Call(context.Background(), name, args)
	if res.IsError {
		t.Fatalf("%s %v failed: %s", name, args, res.JSON())
	}
	return res.Structured.(*tools.Success)
}

// first decodes the first row of a list result.
func first(t *testing.T, s *tools.Success) map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal(s.Data, &rows); err != nil || len(rows) == 0 {
		t.Fatalf("fixture: no rows in %s", s.Data)
	}
	return rows[0]
}

// toolFixtures are the shared argument fixtures (internal/opfixtures) of
// one workspace, found and created through the tools themselves, so that
// a valid call of any tool can be built.
type toolFixtures struct{ *opfixtures.Fixtures }

// newToolFixtures finds the fixtures by calling, for each operation, the
// built-in tool of it; with favorites it creates the favorites fixtures too.
func newToolFixtures(t *testing.T, e *opEnv, favorites bool) *toolFixtures {
	t.Helper()
	call := func(t testing.TB, op string, args map[string]any) json.RawMessage {
		t.Helper()
		for _, tl := range tools.BuiltIn().Tools() {
			if tl.Operation == op {
				return e.call(t, tl.Name, args).Data
			}
		}
		t.Fatalf("fixture: no tool calls %s", op)
		return nil
	}
	return &toolFixtures{opfixtures.Find(t, call, favorites)}
}

// args builds valid arguments for a call of tl, without limit, asking
// for every field of the answer.
func (fx *toolFixtures) args(tl *tools.Tool, o apispec.Operation) map[string]any {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(tl.InputSchema, &schema)
	args := fx.Args(o)
	for name := range args {
		if _, offered := schema.Properties[name]; !offered || name == "limit" {
			delete(args, name)
		}
	}
	if _, projects := schema.Properties[tools.ArgFields]; projects {
		args[tools.ArgFields] = []any{"*"} // the answer as the API gives it
	}
	return args
}

var (
	docOnce sync.Once
	docSpec *openapi3.T
)

// documented validates a success against the schema the document gives
// its answer: data (or, for answers at the root, the whole body).
func documented(t *testing.T, tl *tools.Tool, o apispec.Operation, s *tools.Success) {
	t.Helper()
	docOnce.Do(func() {
		d, err := openapi3.NewLoader().LoadFromData(apispec.Document())
		if err != nil {
			panic(err)
		}
		docSpec = d
	})
	op := docSpec.Paths.Value(o.Path).GetOperation(o.Method)
	var data any
	if err := json.Unmarshal(s.Data, &data); err != nil {
		t.Fatalf("data is not JSON: %v", err)
	}
	var errs []string
	for _, status := range []string{"200", "201"} {
		r := op.Responses.Value(status)
		if r == nil {
			continue
		}
		mt := r.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil {
			return
		}
		schema := mt.Schema.Value
		if ds := schema.Properties["data"]; ds != nil {
			schema = ds.Value
		} else if o.Response.Shape != apispec.ShapeRoot {
			t.Fatalf("the %s answer of %s has no data schema", status, o.Key())
		}
		err := schema.VisitJSON(data, openapi3.MultiErrors())
		if err == nil {
			return
		}
		errs = append(errs, err.Error())
	}
	t.Errorf("%s: the answer does not match the documented schema: %s\n%.600s", tl.Name, strings.Join(errs, "; "), s.Data)
}

// TestEveryOperationThroughToolboxCall calls every tool of the catalogue
// over HTTP through Toolbox.Call against the sandbox, with its limit
// omitted and at its maximum: it must succeed, send the limit it reserved
// for, be charged at most what it reserved, and answer what the reference
// says (the shape and schema of the document, the page asked for).
func TestEveryOperationThroughToolboxCall(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	t.Cleanup(ts.Close)
	n := 0
	for _, tl := range tools.BuiltIn().Tools() {
		if tl.Operation == "" {
			continue
		}
		o, ok := apispec.Lookup(tl.Method, tl.Path)
		if !ok {
			t.Errorf("%s: %s %s is not an operation of the reference", tl.Name, tl.Method, tl.Path)
			continue
		}
		n++
		t.Run(tl.Name, func(t *testing.T) {
			t.Parallel()
			e := newOpEnv(t, sb, ts.URL, opEnvConfig{})
			fx := newToolFixtures(t, e, o.Tag == "Favorites")
			args := fx.args(tl, o)
			check := func(args map[string]any) {
				t.Helper()
				ask := tl.Ask(args)
				spentBefore := testenv.StatusOf(t, e.ctrl).RunSpent
				s := e.call(t, tl.Name, args)
				charged := testenv.StatusOf(t, e.ctrl).RunSpent - spentBefore
				if s.Metering != nil && s.Metering.Cost != nil && *s.Metering.Cost != charged {
					t.Errorf("metering.cost %d, the budget charged %d", *s.Metering.Cost, charged)
				}
				if charged > ask.Worst() || charged > 0 && tl.Cost == tools.CostFree {
					t.Errorf("charged %d credits, reserved %d", charged, ask.Worst())
				}
				if ask.Worst() > o.Cost.Max && o.Cost.Model != apispec.CostFree {
					t.Errorf("reserved %d, above the reference's bound %d", ask.Worst(), o.Cost.Max)
				}
				var rows []json.RawMessage
				isList := json.Unmarshal(s.Data, &rows) == nil
				switch o.Response.Shape {
				case apispec.ShapeList, apispec.ShapeSeries:
					if !isList {
						t.Errorf("data is not a list: %.200s", s.Data)
					}
				case apispec.ShapeItem, apispec.ShapeRoot:
					if isList || !strings.HasPrefix(string(s.Data), "{") {
						t.Errorf("data is not an object: %.200s", s.Data)
					}
				}
				for _, extra := range o.Response.Extra {
					if _, ok := s.More[extra]; !ok {
						t.Errorf("the answer lacks top-level %s", extra)
					}
				}
				if tl.LimitsCost() {
					want := tl.DefaultLimit
					if l, ok := args["limit"]; ok {
						want = l.(int64)
					}
					req := e.lastSent()
					got := req.Query.Get("limit")
					if body, ok := req.Body.(map[string]any); ok && body["limit"] != nil {
						got = fmt.Sprint(body["limit"])
					}
					if got != fmt.Sprint(want) {
						t.Errorf("sent limit %q, want %d (the limit it reserved for)", got, want)
					}
					if int64(len(rows)) > want || charged > want {
						t.Errorf("%d rows, %d credits for limit %d", len(rows), charged, want)
					}
					if tl.Paging != tools.PagingNone && (s.Pagination == nil || int64(s.Pagination.Limit) != want) {
						t.Errorf("pagination %+v, want limit %d", s.Pagination, want)
					}
				}
				if tl.Paging == tools.PagingOffset && (s.Pagination == nil || s.Pagination.Offset == nil) {
					t.Errorf("offset paging without pagination.offset: %+v", s.Pagination)
				}
				if tl.Paging == tools.PagingPage && (s.Pagination == nil || s.Pagination.Page < 1) {
					t.Errorf("page paging without pagination.page: %+v", s.Pagination)
				}
				documented(t, tl, o, s)
				meetsOutputSchema(t, tl, s)
			}
			check(args)
			if tl.MaxLimit > 0 {
				at := maps(args)
				at["limit"] = tl.MaxLimit
				check(at)
			}
			if over := e.box.Overcharges(); len(over) > 0 {
				t.Errorf("answers cost more than reserved: %+v", over)
			}
		})
	}
	if n < 110 {
		t.Errorf("only %d API tools were called", n)
	}
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// staleDefaults returns a catalogue of a document whose limit defaults are
// 5 below what the API uses, as the real API's pages were (20 documented,
// 25 served): a call that relied on the API's default would be charged
// more than it reserved.
func staleDefaults(t *testing.T) *tools.Catalogue {
	t.Helper()
	doc := liveDoc(t)
	lowered := 0
	lower := func(s map[string]any) {
		if d, ok := s["default"].(float64); ok && d > 5 {
			s["default"] = d - 5
			lowered++
		}
	}
	for _, item := range doc["paths"].(map[string]any) {
		for _, op := range item.(map[string]any) {
			m, _ := op.(map[string]any)
			ps, _ := m["parameters"].([]any)
			for _, p := range ps {
				if p := p.(map[string]any); p["name"] == "limit" {
					lower(p["schema"].(map[string]any))
				}
			}
			if rb, ok := m["requestBody"].(map[string]any); ok {
				js, _ := rb["content"].(map[string]any)["application/json"].(map[string]any)
				sch, _ := js["schema"].(map[string]any)
				props, _ := sch["properties"].(map[string]any)
				if l, ok := props["limit"].(map[string]any); ok {
					lower(l)
				}
			}
		}
	}
	raw, _ := json.Marshal(doc)
	cat, err := tools.Parse(raw, "test")
	if err != nil || lowered < 50 {
		t.Fatalf("Parse: %v (%d defaults lowered)", err, lowered)
	}
	return cat
}

// TestABudgetRunWhoseModelNeverSendsLimit plays a model that never sends
// limit (and strips it from nextPage) across paid tools of every cost
// model, eight calls at a time, until the budget stops it: no call ends in
// a 402, no answer costs more than it reserved, and no more than the cap
// (or the balance) is spent. The document's limit defaults are lower than
// the API's, so only a limit sent on every call keeps the promise.
func TestABudgetRunWhoseModelNeverSendsLimit(t *testing.T) {
	t.Parallel()
	stale := staleDefaults(t)
	for _, tc := range []struct {
		name    string
		credits sandbox.Credits
		cap     int64
	}{
		{"the balance binds", sandbox.Credits{Recurring: 700}, 100000},
		{"the cap binds", sandbox.Credits{Recurring: 10000}, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := newOpEnv(t, nil, "", opEnvConfig{credits: tc.credits, cap: tc.cap, catalog: stale})
			fx := newToolFixtures(t, run, false)
			calls := []struct {
				tool string
				args map[string]any
			}{
				{"search_ads", map[string]any{"search": "coffee"}},
				{"query_ads", map[string]any{}},
				{"list_brandtrackers", map[string]any{}},
				{"list_brandtracker_ads", map[string]any{"brandtrackerId": fx.Tracker}},
				{"list_brandtracker_hooks", map[string]any{"brandtrackerId": fx.Tracker}},
				{"get_brandtracker_ad_copy_evolution", map[string]any{"brandtrackerId": fx.Tracker}},
				{"get_brandtracker_time_series", map[string]any{"brandtrackerId": fx.Tracker}},
				{"get_brandtracker_demography", map[string]any{"brandtrackerId": fx.Tracker}},
				{"list_brandtracker_creative_tests", map[string]any{"brandtrackerId": fx.Tracker}},
				{"list_advertiser_ads", map[string]any{"advertiserId": fx.Advertiser}},
				{"search_shops", map[string]any{}},
				{"list_brandtracker_folders", map[string]any{}},
				{"list_favorite_ads", map[string]any{"scope": "workspace"}},
				{"get_ad", map[string]any{"adId": fx.Ad}},
				{"list_workspace_top_ads", map[string]any{}},
			}
			var (
				mu             sync.Mutex
				halts, refused int
				wg             sync.WaitGroup
			)
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					next := map[string]map[string]any{}
					for i := 0; i < 60; i++ {
						c := calls[(i+w)%len(calls)]
						args := c.args
						if n, ok := next[c.tool]; ok {
							args = n
						}
						res := run.box.Call(context.Background(), c.tool, args)
						mu.Lock()
						if res.IsError {
							switch {
							case res.Advice.HTTPStatus == 402 || res.Advice.Code == runtime.CodeInsufficientCredits:
								refused++
							case res.Advice.Source == budget.SourceBudget:
								halts++
							default:
								t.Errorf("%s failed: %s", c.tool, res.JSON())
							}
						} else if s := res.Structured.(*tools.Success); s.NextPage != nil {
							delete(s.NextPage, "limit") // the model never sends limit
							next[c.tool] = s.NextPage
						}
						mu.Unlock()
					}
				}(w)
			}
			wg.Wait()
			st := testenv.StatusOf(t, run.ctrl)
			limit := min(tc.cap, tc.credits.Recurring)
			if refused > 0 || st.RunSpent > limit || halts == 0 {
				t.Errorf("%d calls ended in a 402, %d budget halts; spent %d of %d", refused, halts, st.RunSpent, limit)
			}
			if spent := run.sb.Spent(run.key); spent != st.RunSpent {
				t.Errorf("the sandbox charged %d, the budget counted %d", spent, st.RunSpent)
			}
			if over := run.box.Overcharges(); len(over) > 0 {
				t.Errorf("answers cost more than reserved: %+v", over)
			}
			if st.RunSpent < limit*8/10 {
				t.Errorf("spent %d of %d: the run stopped too early", st.RunSpent, limit)
			}
		})
	}
}

var (
	outputSchemasMu sync.Mutex
	outputSchemas   = map[string]*jsonschema.Schema{}
)

// meetsOutputSchema validates a success, as a host sees it as
// structuredContent, against the outputSchema tollgate lists for tl.
func meetsOutputSchema(t *testing.T, tl *tools.Tool, s *tools.Success) {
	t.Helper()
	outputSchemasMu.Lock()
	sch, ok := outputSchemas[tl.Name]
	if !ok {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(tl.OutputSchema))
		if err != nil {
			outputSchemasMu.Unlock()
			t.Fatalf("%s: outputSchema is not JSON: %v", tl.Name, err)
		}
		c := jsonschema.NewCompiler()
		url := "mem:///" + tl.Name + ".json"
		if err := c.AddResource(url, doc); err != nil {
			outputSchemasMu.Unlock()
			t.Fatal(err)
		}
		if sch, err = c.Compile(url); err != nil {
			outputSchemasMu.Unlock()
			t.Fatalf("%s: outputSchema does not compile: %v", tl.Name, err)
		}
		outputSchemas[tl.Name] = sch
	}
	outputSchemasMu.Unlock()
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s: the result does not validate against its outputSchema: %v", tl.Name, err)
	}
}
