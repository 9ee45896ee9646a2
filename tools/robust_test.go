package tools_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/syncbuffer"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// liveDoc returns the built-in document as a map, to be changed the way a
// live document might surprise the converter.
func liveDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(apispec.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func opOf(doc map[string]any, method, path string) map[string]any {
	return doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
}

func paramOf(op map[string]any, name string) map[string]any {
	for _, p := range op["parameters"].([]any) {
		if p := p.(map[string]any); p["name"] == name {
			return p
		}
	}
	return nil
}

var okResponses = map[string]any{"200": map[string]any{"description": "ok"}}

// TestALiveDocumentIsNeverRejectedWhole changes one operation of the
// document at a time in a way the converter does not expect: that
// operation is described conservatively or left out, the change is
// reported in Problems, and every other tool is kept.
func TestALiveDocumentIsNeverRejectedWhole(t *testing.T) {
	t.Parallel()
	all := tools.BuiltIn().Len()
	cases := []struct {
		name    string
		change  func(doc map[string]any)
		lost    []string // tools no longer offered
		added   int      // unknown tools added
		problem string   // a problem must mention this
		check   func(t *testing.T, c *tools.Catalogue)
	}{
		{name: "a per-row limit without a default",
			change: func(doc map[string]any) {
				delete(paramOf(opOf(doc, "get", "/v1/ads"), "limit")["schema"].(map[string]any), "default")
			},
			problem: "tollgate sends limit=25",
			check: func(t *testing.T, c *tools.Catalogue) {
				sa, _ := c.Lookup("search_ads")
				if sa.DefaultLimit != 25 || sa.Ask(nil).Rows != 25 || !strings.Contains(string(sa.InputSchema), `"default":25`) {
					t.Errorf("search_ads: default limit %d, reserves %+v, schema %s", sa.DefaultLimit, sa.Ask(nil), sa.InputSchema)
				}
				req, _ := sa.Request(map[string]any{"search": "x"})
				if req.Query.Get("limit") != "25" {
					t.Errorf("search_ads without limit sends %v, want limit=25", req.Query)
				}
			}},
		{name: "an unknown per-row operation whose limit has no default",
			change: func(doc map[string]any) {
				doc["paths"].(map[string]any)["/v1/widgets"] = map[string]any{"get": map[string]any{
					"operationId": "listWidgets", "responses": okResponses,
					"parameters": []any{map[string]any{"name": "limit", "in": "query",
						"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 50}}}}}
			},
			added: 1,
			check: func(t *testing.T, c *tools.Catalogue) {
				w, _ := c.Lookup("list_widgets")
				if w == nil || w.DefaultLimit != 50 || w.Ask(nil).Worst() != 50 {
					t.Fatalf("list_widgets = %+v, want it reserved and sent at its largest limit, 50", w)
				}
				if req, _ := w.Request(nil); req.Query.Get("limit") != "50" {
					t.Errorf("list_widgets without limit sends %v, want limit=50", req.Query)
				}
			}},
		{name: "a required header parameter",
			change: func(doc map[string]any) {
				op := opOf(doc, "get", "/v1/shops")
				op["parameters"] = append(op["parameters"].([]any), map[string]any{"name": "X-Tenant", "in": "header", "required": true, "schema": map[string]any{"type": "string"}})
			},
			lost: []string{"search_shops"}, problem: "required header parameter"},
		{name: "an object-valued optional query parameter",
			change: func(doc map[string]any) {
				op := opOf(doc, "get", "/v1/brandtrackers")
				op["parameters"] = append(op["parameters"].([]any), map[string]any{"name": "filter", "in": "query", "style": "deepObject",
					"schema": map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string"}}}})
			},
			problem: "object-valued query parameters",
			check: func(t *testing.T, c *tools.Catalogue) {
				lb, _ := c.Lookup("list_brandtrackers")
				if lb == nil || strings.Contains(string(lb.InputSchema), `"filter"`) {
					t.Errorf("list_brandtrackers offers the parameter it cannot send")
				}
			}},
		{name: "a broken reference in one operation",
			change: func(doc map[string]any) {
				ok := opOf(doc, "get", "/v1/advertisers")["responses"].(map[string]any)["200"].(map[string]any)
				ok["content"].(map[string]any)["application/json"].(map[string]any)["schema"] = map[string]any{"$ref": "#/components/schemas/DoesNotExist"}
			},
			lost: []string{"search_advertisers"}, problem: "does not load"},
		{name: "a required body that is not JSON",
			change: func(doc map[string]any) {
				op := opOf(doc, "post", "/v1/shops/query")
				op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{"schema": map[string]any{"type": "object"}}}}
			},
			lost: []string{"query_shops"}, problem: "not JSON (multipart/form-data)"},
		{name: "a pattern Go cannot compile",
			change: func(doc map[string]any) {
				paramOf(opOf(doc, "get", "/v1/lookup"), "q")["schema"].(map[string]any)["pattern"] = `(?<=a)b`
			},
			problem: "pattern could not be compiled",
			check: func(t *testing.T, c *tools.Catalogue) {
				lk, _ := c.Lookup("lookup")
				if lk == nil || lk.Validate(map[string]any{"q": "zzz"}) != nil {
					t.Errorf("lookup is not offered, or refuses a plain q once the pattern is dropped")
				}
			}},
		{name: "a recursive body schema",
			change: func(doc map[string]any) {
				doc["components"].(map[string]any)["schemas"].(map[string]any)["Node"] = map[string]any{"type": "object",
					"properties": map[string]any{"children": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Node"}}}}
				body := opOf(doc, "post", "/v1/emails/query")["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
				body["properties"].(map[string]any)["tree"] = map[string]any{"$ref": "#/components/schemas/Node"}
			},
			check: func(t *testing.T, c *tools.Catalogue) {
				if q, _ := c.Lookup("query_emails"); q == nil || !strings.Contains(string(q.InputSchema), `"tree"`) {
					t.Errorf("query_emails lost its recursive argument")
				}
			}},
		{name: "an operation without responses",
			change: func(doc map[string]any) { delete(opOf(doc, "get", "/v1/shops/{shopId}/products"), "responses") },
			lost:   []string{"list_shop_products"}, problem: "invalid operation"},
		{name: "an undeclared path parameter",
			change: func(doc map[string]any) {
				doc["paths"].(map[string]any)["/v1/things/{thingId}"] = map[string]any{"get": map[string]any{"operationId": "getThing", "responses": okResponses}}
			},
			problem: "{thingId}"},
		{name: "two unknown operations that one name would fit",
			change: func(doc map[string]any) {
				for _, p := range []string{"/v1/gadgets", "/v2/gadgets"} {
					doc["paths"].(map[string]any)[p] = map[string]any{"get": map[string]any{"operationId": "w" + p[2:3], "responses": okResponses}}
				}
			},
			added: 2,
			check: func(t *testing.T, c *tools.Catalogue) {
				for _, n := range []string{"list_gadgets", "list_gadgets_2"} {
					if w, ok := c.Lookup(n); !ok || w.Toolset != tools.ToolsetOther || w.Cost != tools.CostUnknown || w.Ask(nil).Worst() != tools.UnknownCallBound {
						t.Errorf("%s: %+v", n, w)
					}
				}
			}},
	}
	// Every surprise goes into one document (parsing is the slow part):
	// each must cost only its own operation.
	doc := liveDoc(t)
	lost, added := 0, 0
	for _, tc := range cases {
		tc.change(doc)
		lost += len(tc.lost)
		added += tc.added
	}
	raw, _ := json.Marshal(doc)
	done := make(chan struct{})
	var cat *tools.Catalogue
	var err error
	go func() { defer close(done); cat, err = tools.Parse(raw, tools.SourceAPI) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("Parse does not return")
	}
	if err != nil {
		t.Fatalf("Parse rejected the whole document: %v", err)
	}
	if want := all - lost + added; cat.Len() != want {
		t.Errorf("%d tools, want %d", cat.Len(), want)
	}
	var text []string
	for _, p := range cat.Problems() {
		text = append(text, p.String())
	}
	problems := strings.Join(text, "\n")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range tc.lost {
				if _, ok := cat.Lookup(n); ok {
					t.Errorf("%s is still offered", n)
				}
			}
			if tc.problem != "" && !strings.Contains(problems, tc.problem) {
				t.Errorf("problems do not mention %q:\n%s", tc.problem, problems)
			}
			if tc.check != nil {
				tc.check(t, cat)
			}
		})
	}
}

// TestLoadKeepsALiveDocumentWithAProblem serves a document with one bad
// operation: Load keeps the API's catalogue (not the built-in copy) and
// logs what it left out.
func TestLoadKeepsALiveDocumentWithAProblem(t *testing.T) {
	t.Parallel()
	doc := liveDoc(t)
	delete(paramOf(opOf(doc, "get", "/v1/brandtrackers"), "limit")["schema"].(map[string]any), "default")
	op := opOf(doc, "get", "/v1/shops")
	op["parameters"] = append(op["parameters"].([]any), map[string]any{"name": "X-Tenant", "in": "header", "required": true, "schema": map[string]any{"type": "string"}})
	raw, _ := json.Marshal(doc)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw)
	}))
	defer ts.Close()
	c, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey("tt_live_test"))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuffer.Buffer
	cat := tools.Load(context.Background(), c, tools.LoadOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if cat.Source != tools.SourceAPI || cat.Len() != tools.BuiltIn().Len()-1 {
		t.Errorf("Load: source %s, %d tools; want the API's document with one tool left out", cat.Source, cat.Len())
	}
	for _, want := range []string{"GET /v1/shops", "not offered", "X-Tenant", "GET /v1/brandtrackers", "parameter limit", "level=WARN"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not mention %q:\n%s", want, logs.String())
		}
	}
}
