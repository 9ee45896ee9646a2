package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// specDoc is the built-in OpenAPI document, parsed once.
var specDoc = sync.OnceValues(func() (*openapi3.T, error) {
	return openapi3.NewLoader().LoadFromData(apispec.Document())
})

// dataSchema is the schema of the data of t's success response: what
// the tool's rows (or item) must match, projected or not. tollgate's
// tools carry no outputSchema of their own (yet); this is the document
// one would be built from.
func dataSchema(t *testing.T, tool *tools.Tool) *openapi3.Schema {
	t.Helper()
	doc, err := specDoc()
	if err != nil {
		t.Fatal(err)
	}
	op := doc.Paths.Find(tool.Path).GetOperation(tool.Method)
	sc := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value.Properties["data"].Value
	if sc.Items != nil {
		return sc.Items.Value
	}
	return sc
}

// isList reports a tool that returns rows.
func isList(t *tools.Tool) bool {
	return t.Operation != "" && (t.Paging != tools.PagingNone || t.DefaultLimit > 0)
}

// costOf is a success's metering.cost as text ("none" when absent).
func costOf(s *tools.Success) string {
	if s.Metering == nil || s.Metering.Cost == nil {
		return "none"
	}
	return fmt.Sprint(*s.Metering.Cost)
}

// TestEveryListToolProjectsWithinItsOutputSchema calls every list tool
// with its compact default, with one field picked and with ["*"]: each
// result matches the tool's outputSchema, keeps the ids, and costs what
// the full answer costs; the default is smaller than the full rows.
func TestEveryListToolProjectsWithinItsOutputSchema(t *testing.T) {
	t.Parallel()
	e := newOpEnv(t, nil, "", opEnvConfig{})
	fx := newToolFixtures(t, e, true)
	n := 0
	for _, tool := range tools.BuiltIn().Tools() {
		if !isList(tool) {
			continue
		}
		o, ok := apispec.Lookup(tool.Method, tool.Path)
		if !ok {
			continue
		}
		n++
		t.Run(tool.Name, func(t *testing.T) {
			if !strings.Contains(string(tool.InputSchema), `"fields"`) || !strings.Contains(tool.Description, "fields") {
				t.Fatalf("no fields argument, or its description does not say how to ask for more:\n%s", tool.Description)
			}
			a := fx.args(tool, o)
			delete(a, tools.ArgFields)
			full := e.call(t, tool.Name, with(a, tools.ArgFields, []any{"*"}))
			def := e.call(t, tool.Name, a)
			picked := e.call(t, tool.Name, with(a, tools.ArgFields, []any{pickOne(t, dataSchema(t, tool))}))
			var fullRows []map[string]any
			_ = json.Unmarshal(full.Data, &fullRows)
			for what, s := range map[string]*tools.Success{"default": def, "one field": picked, "all": full} {
				meetsOutputSchema(t, tool, s)
				var rows []map[string]any
				if err := json.Unmarshal(s.Data, &rows); err != nil {
					t.Fatalf("%s: data is not a list of objects: %.200s", what, s.Data)
				}
				if len(rows) != len(fullRows) {
					t.Errorf("%s: %d rows, the full answer %d", what, len(rows), len(fullRows))
					continue
				}
				for i, r := range rows {
					for k, v := range fullRows[i] {
						if _, kept := r[k]; !kept && k == "id" {
							t.Errorf("%s: row %d lost its id %v", what, i, v)
						}
					}
				}
				// A projection never changes what is charged or paged.
				if costOf(s) != costOf(full) {
					t.Errorf("%s: cost %s, the full answer %s", what, costOf(s), costOf(full))
				}
				if testenv.MustJSON(s.Pagination) != testenv.MustJSON(full.Pagination) {
					t.Errorf("%s: pagination %+v, the full answer %+v", what, s.Pagination, full.Pagination)
				}
			}
			if strings.Contains(tool.Description, "compact by default") && len(fullRows) > 0 && len(def.Data) >= len(full.Data) {
				t.Errorf("the compact default (%d bytes) is not smaller than the full rows (%d)", len(def.Data), len(full.Data))
			}
		})
	}
	if n < 40 {
		t.Errorf("only %d list tools", n)
	}
}

func TestFieldsPicksDottedPathsAndKeepsIDs(t *testing.T) {
	e := testenv.New(t, testenv.Config{})
	sc := callOK(t, e, "search_ads", map[string]any{"search": "coffee", "limit": 2,
		tools.ArgFields: []any{"advertiser.name", "metrics.reach", "content"}})
	row := testenv.Rows(t, sc)[0].(map[string]any)
	adv := testenv.Obj(t, row, "advertiser")
	if _, ok := adv["name"]; !ok || adv["id"] == nil || adv["logoUrl"] != nil || adv["reach30d"] != nil {
		t.Errorf("advertiser = %s; want name and the ids only", testenv.MustJSON(adv))
	}
	if m := testenv.Obj(t, row, "metrics"); len(m) != 1 || m["reach"] == nil {
		t.Errorf("metrics = %s; want reach only", testenv.MustJSON(m))
	}
	if c := testenv.Obj(t, row, "content"); c["body"] == nil || c["landingPageUrl"] == nil {
		t.Errorf("content = %s; a whole object was asked for", testenv.MustJSON(c))
	}
	if row["id"] == nil || row["daysRunning"] != nil || row["createdAt"] != nil {
		t.Errorf("row = %s; want the id, what was asked and what the schema requires", testenv.MustJSON(row))
	}
	// The next page keeps the projection.
	next := testenv.Obj(t, sc, "nextPage")
	if f, _ := next[tools.ArgFields].([]any); len(f) != 3 {
		t.Errorf("nextPage = %s; want the same fields", testenv.MustJSON(next))
	}
	// A detail tool takes fields too.
	id := row["id"].(string)
	ad := callOK(t, e, "get_ad", map[string]any{"adId": id, tools.ArgFields: []any{"transcript.fullText"}})
	data := testenv.Obj(t, ad, "data")
	if data["id"] != id || testenv.Obj(t, data, "transcript")["fullText"] == nil || data["pageAnalytics"] != nil {
		t.Errorf("get_ad with fields = %s", testenv.MustJSON(data))
	}
	if whole := callOK(t, e, "get_ad", map[string]any{"adId": id}); testenv.Obj(t, whole, "data")["pageAnalytics"] == nil {
		t.Error("a detail tool without fields lost fields: only list tools are compact by default")
	}
}

func TestUnknownFieldsAreInvalidArgumentsListingTheValidOnes(t *testing.T) {
	e := testenv.New(t, testenv.Config{})
	before := e.SB.Requests()
	res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", tools.ArgFields: []any{"advertiser.nmae", "id"}})
	ad := testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
	ve := ad["validationErrors"].([]any)[0].(map[string]any)
	exp := testenv.MustJSON(ve["expected"])
	if ve["field"] != tools.ArgFields || !strings.Contains(exp, `advertiser.nmae`) || !strings.Contains(exp, "advertiser.name") || !strings.Contains(exp, "metrics.reach") {
		t.Errorf("validation error = %s; want the bad path and the valid ones", testenv.MustJSON(ve))
	}
	if e.SB.Requests() != before {
		t.Error("a call with unknown fields reached the API")
	}
	// estimate_cost checks them the same way.
	res, sc = e.Call(t, "estimate_cost", map[string]any{"tool": "search_ads", "arguments": map[string]any{"search": "x", "fields": []any{"nope"}}})
	testenv.WantAdvice(t, res, sc, tools.CodeInvalidArguments, tools.SourceTool)
}

func TestTruncationNotesMentionFields(t *testing.T) {
	e := testenv.New(t, testenv.Config{Box: tools.Config{MaxResultBytes: 4096}})
	sc := callOK(t, e, "search_ads", map[string]any{"search": "coffee", "limit": 20, tools.ArgFields: []any{"*"}})
	note, _ := testenv.Obj(t, sc, "truncated")["note"].(string)
	if !strings.Contains(note, "fields") {
		t.Errorf("truncated.note %q does not mention fields", note)
	}
	rest := testenv.Obj(t, sc, "truncated", "showRest")
	if f, _ := rest[tools.ArgFields].([]any); len(f) != 1 {
		t.Errorf("showRest = %s; want the same fields", testenv.MustJSON(rest))
	}
}

func TestViewArgumentsAreNeverSentToTheAPI(t *testing.T) {
	tool, _ := testenv.BuiltIn().Lookup("search_ads")
	req, err := tool.Request(map[string]any{"search": "coffee", tools.ArgFields: []any{"id"}, tools.ArgFresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if req.Query.Has(tools.ArgFields) || req.Query.Has(tools.ArgFresh) || req.Query.Get("search") != "coffee" {
		t.Errorf("query = %v", req.Query)
	}
	free, _ := testenv.BuiltIn().Lookup("lookup")
	if strings.Contains(string(free.InputSchema), `"fresh"`) {
		t.Error("a free tool offers fresh, but free calls are never cached")
	}
	write, _ := testenv.BuiltIn().Lookup("create_brandtracker")
	if strings.Contains(string(write.InputSchema), `"fields"`) || strings.Contains(string(write.InputSchema), `"fresh"`) {
		t.Error("a write offers fields or fresh")
	}
}

// compileOutput compiles the tool's outputSchema.
func compileOutput(t *testing.T, tool *tools.Tool) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(tool.OutputSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("out.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("out.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// callOK calls a tool through MCP and fails the test on a failure.
func callOK(t *testing.T, e *testenv.Env, name string, args map[string]any) map[string]any {
	t.Helper()
	res, sc := e.Call(t, name, args)
	if res.IsError {
		t.Fatalf("%s failed: %s", name, testenv.MustJSON(sc))
	}
	return sc
}

// with returns a copy of args with the key/value pairs kv set.
func with(args map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range args {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// pickOne returns a nested field path of the row schema that is not
// required, so the projection has something to drop around it.
func pickOne(t *testing.T, sch *openapi3.Schema) string {
	t.Helper()
	names := make([]string, 0, len(sch.Properties))
	for n := range sch.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p := sch.Properties[n].Value
		if p.Type != nil && p.Type.Is("object") && len(p.Properties) > 0 {
			for k := range p.Properties {
				return n + "." + k
			}
		}
	}
	return names[0]
}

// rawData calls the API directly with runtime and returns the data.
func rawData(t *testing.T, e *testenv.Env, tool *tools.Tool, args map[string]any) json.RawMessage {
	t.Helper()
	req, err := tool.Request(args)
	if err != nil {
		t.Fatal(err)
	}
	if req.Query == nil {
		req.Query = url.Values{}
	}
	resp, err := e.Client.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("raw %s: %v", tool.Name, err)
	}
	return resp.Data
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return testenv.MustJSON(x) == testenv.MustJSON(y)
}

// TestAListToolTollgateDoesNotKnowGetsACompactDefault adds an operation
// to the document with a row schema and serves it: the derived default
// keeps ids, names, numbers and dates, and drops URLs and lists.
func TestAListToolTollgateDoesNotKnowGetsACompactDefault(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(apispec.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	str := map[string]any{"type": "string"}
	row := map[string]any{"type": "object", "required": []any{"id"}, "properties": map[string]any{
		"id": str, "name": str, "logoUrl": str, "body": str,
		"createdAt": map[string]any{"type": "string", "format": "date-time"},
		"stats":     map[string]any{"type": "object", "properties": map[string]any{"views": map[string]any{"type": "integer"}, "pageUrl": str}},
		"history":   map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"v": map[string]any{"type": "integer"}}}},
	}}
	doc["paths"].(map[string]any)["/v1/widgets"] = map[string]any{"get": map[string]any{
		"operationId": "listWidgets", "summary": "List widgets",
		"parameters": []any{map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "default": 10}}},
		"responses": map[string]any{"200": map[string]any{"description": "ok", "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"type": "object", "properties": map[string]any{"data": map[string]any{"type": "array", "items": row}}}}}}},
	}}
	raw, _ := json.Marshal(doc)
	cat, err := tools.Parse(raw, "test")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := cat.Lookup("list_widgets")
	if !strings.Contains(w.Description, "compact by default (createdAt, id, name, stats.views)") {
		t.Errorf("description: %s", w.Description)
	}
	api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"data":[{"id":"w1","name":"One","logoUrl":"https://x/1.png","body":"long text","createdAt":"2026-01-01T00:00:00Z","stats":{"views":3,"pageUrl":"https://x"},"history":[{"v":1}]}],"requestId":"req_1"}`))
	}))
	defer api.Close()
	c, _ := runtime.New(runtime.WithBaseURL(api.URL), runtime.WithAPIKey("tt_live_0123456789abcdef"))
	box, err := tools.NewToolbox(tools.Config{Catalogue: cat, Client: c})
	if err != nil {
		t.Fatal(err)
	}
	res := box.Call(context.Background(), "list_widgets", nil)
	if res.IsError {
		t.Fatalf("%s", res.JSON())
	}
	if got := string(res.Structured.(*tools.Success).Data); got != `[{"id":"w1","name":"One","createdAt":"2026-01-01T00:00:00Z","stats":{"views":3}}]` {
		t.Errorf("data = %s", got)
	}
}
