package tools_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

func TestParseBuildsTheCatalogueOfTheBuiltInDocument(t *testing.T) {
	t.Parallel()
	cat, err := tools.Parse(apispec.Document(), "test")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cat.Source != "test" {
		t.Errorf("Source = %q, want test", cat.Source)
	}
	var names []string
	for _, tl := range cat.Tools() {
		names = append(names, tl.Name)
		var schema map[string]any
		if err := json.Unmarshal(tl.InputSchema, &schema); err != nil || schema["type"] != "object" {
			t.Errorf("%s: input schema %s is not an object schema", tl.Name, tl.InputSchema)
		}
		if schema["additionalProperties"] != false {
			t.Errorf("%s: input schema allows unknown arguments", tl.Name)
		}
		if !strings.Contains(tl.Description, "Cost:") {
			t.Errorf("%s: description does not state the cost: %q", tl.Name, tl.Description)
		}
		if tl.Cost == tools.CostPerRow {
			if tl.DefaultLimit < 1 || tl.MaxLimit != 100 || tl.Paging == tools.PagingNone {
				t.Errorf("%s: per-row tool with default limit %d, max %d, paging %q", tl.Name, tl.DefaultLimit, tl.MaxLimit, tl.Paging)
			}
		}
		if tl.Operation != "" && (tl.Method == "" || !strings.HasPrefix(tl.Path, "/v1/")) {
			t.Errorf("%s: method %q path %q", tl.Name, tl.Method, tl.Path)
		}
	}
	want := []string{"lookup", "get_ad", "query_ads", "search_ads", "get_advertiser", "list_advertiser_ads",
		"search_advertisers", "get_shop", "search_shops", "create_brandtracker", "delete_brandtracker",
		"get_brandtracker", "list_brandtracker_ads", "list_brandtrackers", "query_google_ads",
		"search_tiktok_library", "get_workspace", "get_me", "get_usage", "estimate_cost", "get_budget"}
	if !slices.Equal(names, want) {
		t.Errorf("tools = %v\nwant     %v", names, want)
	}
	for _, hidden := range []string{"get_openapi", "get_health", "get_api_info"} {
		if _, ok := cat.Lookup(hidden); ok {
			t.Errorf("%s is offered as a tool", hidden)
		}
	}
	if sa, _ := cat.Lookup("search_ads"); sa.DefaultLimit != 20 || sa.Paging != tools.PagingPage {
		t.Errorf("search_ads: default limit %d paging %q, want 20 and page", sa.DefaultLimit, sa.Paging)
	}
	if ss, _ := cat.Lookup("search_shops"); ss.DefaultLimit != 32 || ss.Paging != tools.PagingOffset {
		t.Errorf("search_shops: default limit %d paging %q, want 32 and offset", ss.DefaultLimit, ss.Paging)
	}
	// Deprecated parameters are not offered.
	if sa, _ := cat.Lookup("search_ads"); strings.Contains(string(sa.InputSchema), `"query"`) {
		t.Errorf("search_ads offers the deprecated query parameter")
	}
}

func TestParseOffersAnOperationTheOverlayDoesNotKnow(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(apispec.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	doc["paths"].(map[string]any)["/v1/widgets"] = map[string]any{
		"get": map[string]any{
			"operationId": "listWidgetThings",
			"tags":        []any{"Widget Things"},
			"summary":     "List widget things",
			"parameters": []any{map[string]any{"name": "limit", "in": "query",
				"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 50, "default": 10}}},
			"responses": map[string]any{"200": map[string]any{"description": "ok"}},
		},
		"delete": map[string]any{
			"operationId": "deleteAllWidgets",
			"summary":     "Delete every widget",
			"responses":   map[string]any{"204": map[string]any{"description": "gone"}},
		},
	}
	raw, _ := json.Marshal(doc)
	cat, err := tools.Parse(raw, "test")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	w, ok := cat.Lookup("list_widget_things")
	if !ok {
		t.Fatalf("an unknown operation is not offered; tools: %v", cat.Tools())
	}
	if w.Toolset != "widget_things" || w.Cost != tools.CostPerRow || w.DefaultLimit != 10 || w.MaxLimit != 50 || !w.Annotations.ReadOnly {
		t.Errorf("list_widget_things: toolset %q cost %q limits %d/%d readOnly %v", w.Toolset, w.Cost, w.DefaultLimit, w.MaxLimit, w.Annotations.ReadOnly)
	}
	d, ok := cat.Lookup("delete_all_widgets")
	if !ok {
		t.Fatalf("delete_all_widgets is not offered")
	}
	if d.Toolset != "other" || d.Cost != tools.CostPerItem || !d.Annotations.Destructive || d.Annotations.ReadOnly {
		t.Errorf("delete_all_widgets: toolset %q cost %q annotations %+v", d.Toolset, d.Cost, d.Annotations)
	}
}

func TestParseRejectsWhatIsNotAnOpenAPIDocument(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"not JSON":   "<html>oops</html>",
		"no paths":   `{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{}}`,
		"not valid":  `{"openapi":"3.0.3","info":{"title":"x"},"paths":{"/a":{"get":{"operationId":"a"}}}}`,
		"empty body": "",
	} {
		if _, err := tools.Parse([]byte(doc), "test"); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

func TestLoadFallsBackToTheCacheThenTheBuiltInDocument(t *testing.T) {
	t.Parallel()
	newClient := func(t *testing.T, base string) *runtime.Client {
		c, err := runtime.New(runtime.WithBaseURL(base), runtime.WithAPIKey(sandbox.DemoKey), runtime.WithClock(testenv.NewFakeClock()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	closedURL := func() string {
		ts := httptest.NewServer(http.NotFoundHandler())
		ts.Close()
		return ts.URL
	}
	ctx := context.Background()

	t.Run("unreachable API, no cache", func(t *testing.T) {
		t.Parallel()
		cat := tools.Load(ctx, newClient(t, closedURL()), tools.LoadOptions{CacheDir: t.TempDir()})
		if cat.Source != tools.SourceBuiltIn || cat.Len() != tools.BuiltIn().Len() {
			t.Errorf("Source = %q with %d tools, want built-in", cat.Source, cat.Len())
		}
	})
	t.Run("the API's document is cached, then used when the API is gone", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		ts := httptest.NewServer(sandbox.New(sandbox.Config{}))
		c := newClient(t, ts.URL)
		if cat := tools.Load(ctx, c, tools.LoadOptions{CacheDir: dir}); cat.Source != tools.SourceAPI {
			t.Errorf("with the API up, Source = %q, want api", cat.Source)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "openapi-*.json"))
		if len(files) != 1 {
			t.Fatalf("cache files %v, want one", files)
		}
		ts.Close()
		cat := tools.Load(ctx, c, tools.LoadOptions{CacheDir: dir})
		if cat.Source != tools.SourceCache {
			t.Errorf("with the API gone, Source = %q, want cache", cat.Source)
		}
		if _, ok := cat.Lookup("search_ads"); !ok {
			t.Errorf("the cached catalogue has no search_ads")
		}
		// A broken cache file is skipped for the built-in document.
		if err := os.WriteFile(files[0], []byte("{broken"), 0o644); err != nil {
			t.Fatal(err)
		}
		if cat := tools.Load(ctx, c, tools.LoadOptions{CacheDir: dir}); cat.Source != tools.SourceBuiltIn {
			t.Errorf("with a broken cache, Source = %q, want built-in", cat.Source)
		}
	})
	t.Run("a document that does not parse", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"openapi":"3.0.3","paths":{}}`))
		}))
		defer ts.Close()
		cat := tools.Load(ctx, newClient(t, ts.URL), tools.LoadOptions{})
		if cat.Source != tools.SourceBuiltIn {
			t.Errorf("Source = %q, want built-in", cat.Source)
		}
	})
}

func TestSelectFiltersAndNamesWhatIsValid(t *testing.T) {
	t.Parallel()
	cat := tools.BuiltIn()
	cases := []struct {
		name    string
		f       tools.Filter
		want    []string // exact tool names, when set
		errHas  []string // the error must mention these
		without []string // tools that must be dropped
	}{
		{name: "toolsets", f: tools.Filter{Toolsets: []string{"shops", "budget"}},
			want: []string{"get_shop", "search_shops", "estimate_cost", "get_budget"}},
		{name: "tools", f: tools.Filter{Tools: []string{"lookup", "get_budget"}},
			want: []string{"lookup", "get_budget"}},
		{name: "read-only drops the writes", f: tools.Filter{ReadOnly: true},
			without: []string{"create_brandtracker", "delete_brandtracker"}},
		{name: "unknown toolset", f: tools.Filter{Toolsets: []string{"ads", "facebook"}},
			errHas: []string{`"facebook"`, "ads", "brandtrackers", "google_ads", "tiktok"}},
		{name: "unknown tool", f: tools.Filter{Tools: []string{"search_add"}},
			errHas: []string{`"search_add"`, "search_ads", "get_budget"}},
		{name: "nothing left", f: tools.Filter{Tools: []string{"create_brandtracker"}, ReadOnly: true},
			errHas: []string{"no tools"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := cat.Select(tc.f)
			if tc.errHas != nil {
				if err == nil {
					t.Fatalf("Select(%+v) = %d tools, want an error", tc.f, got.Len())
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %s", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			var names []string
			for _, tl := range got.Tools() {
				names = append(names, tl.Name)
			}
			if tc.want != nil && !slices.Equal(names, tc.want) {
				t.Errorf("Select = %v, want %v", names, tc.want)
			}
			for _, n := range tc.without {
				if slices.Contains(names, n) {
					t.Errorf("Select kept %s", n)
				}
			}
			if tc.f.ReadOnly && len(names) != cat.Len()-2 {
				t.Errorf("read-only kept %d of %d tools, want all but the two writes", len(names), cat.Len())
			}
		})
	}
}
