package mcpserver_test

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

func TestMCPListsEveryToolsetWithNamesSchemasAndAnnotations(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{Load: true})
	res, err := e.MCP.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	cat := e.Box.Catalogue()
	if len(res.Tools) != cat.Len() {
		t.Errorf("tools/list has %d tools, the catalogue %d", len(res.Tools), cat.Len())
	}

	toolsets := map[string]bool{}
	for _, mt := range res.Tools {
		if len(mt.Name) > 64 || !snakeCase.MatchString(mt.Name) {
			t.Errorf("tool name %q is not snake_case of at most 64 characters", mt.Name)
		}
		if mt.Description == "" {
			t.Errorf("%s has no description", mt.Name)
		}
		ct, ok := cat.Lookup(mt.Name)
		if !ok {
			t.Errorf("tools/list offers %s, which the catalogue does not hold", mt.Name)
			continue
		}
		toolsets[ct.Toolset] = true
		var wire struct {
			InputSchema struct {
				Type       string         `json:"type"`
				Properties map[string]any `json:"properties"`
			} `json:"inputSchema"`
		}
		raw, _ := json.Marshal(mt)
		if err := json.Unmarshal(raw, &wire); err != nil || wire.InputSchema.Type != "object" {
			t.Errorf("%s: input schema is not an object schema: %s", mt.Name, raw)
		}
		if ct.Cost == tools.CostPerRow && wire.InputSchema.Properties["limit"] == nil {
			t.Errorf("%s: a per-row tool without a limit argument", mt.Name)
		}
		a := mt.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil {
			t.Errorf("%s: annotations are not all set: %+v", mt.Name, a)
			continue
		}
		wantRO := ct.Method == "GET" || ct.Name == "query_ads" || ct.Name == "query_google_ads" || ct.Operation == ""
		if *a.ReadOnlyHint != wantRO {
			t.Errorf("%s (%s): readOnlyHint = %v, want %v", mt.Name, ct.Method, *a.ReadOnlyHint, wantRO)
		}
		wantDestructive := mt.Name == "delete_brandtracker"
		if *a.DestructiveHint != wantDestructive {
			t.Errorf("%s: destructiveHint = %v, want %v", mt.Name, *a.DestructiveHint, wantDestructive)
		}
		if !*a.IdempotentHint {
			// GETs, query POSTs and both brandtracker writes are all safe to repeat.
			t.Errorf("%s: idempotentHint = false, want true", mt.Name)
		}
	}
	var got []string
	for ts := range toolsets {
		got = append(got, ts)
	}
	sort.Strings(got)
	want := []string{"account", "ads", "advertisers", "brandtrackers", "budget", "google_ads", "lookup", "shops", "tiktok", "workspace"}
	if !slices.Equal(got, want) {
		t.Errorf("toolsets in tools/list = %v, want %v", got, want)
	}
}

// TestMCPCallsOneToolOfEveryToolset calls one tool per toolset through the
// in-process client and checks the structured result: data, pagination,
// the next page's arguments (by fetching it), metering, and that the text
// content is the same JSON.
func TestMCPCallsOneToolOfEveryToolset(t *testing.T) {
	t.Parallel()
	cases := []struct {
		toolset string
		tool    string
		args    map[string]any
		paid    bool
		paging  string // "", "page" or "offset"
	}{
		{"lookup", "lookup", map[string]any{"q": "coffee"}, false, ""},
		{"ads", "search_ads", map[string]any{"search": "coffee", "limit": 5}, true, "page"},
		{"advertisers", "search_advertisers", map[string]any{"limit": 3}, true, "offset"},
		{"shops", "search_shops", map[string]any{"limit": 2}, true, "offset"},
		{"brandtrackers", "list_brandtrackers", map[string]any{"limit": 1}, true, "page"},
		{"google_ads", "query_google_ads", map[string]any{"limit": 2}, true, "page"},
		{"tiktok", "search_tiktok_library", map[string]any{"limit": 2}, true, "page"},
		{"workspace", "get_workspace", nil, false, ""},
		{"account", "get_me", nil, false, ""},
		{"budget", "get_budget", nil, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.toolset, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, testenv.Config{})
			if ct, ok := e.Box.Catalogue().Lookup(tc.tool); !ok || ct.Toolset != tc.toolset {
				t.Fatalf("%s is not in toolset %s", tc.tool, tc.toolset)
			}
			res, sc := e.Call(t, tc.tool, tc.args)
			if res.IsError {
				t.Fatalf("%s failed: %s", tc.tool, testenv.MustJSON(sc))
			}
			if tc.toolset == "budget" {
				b := testenv.Obj(t, sc, "budget")
				if testenv.Num(t, b, "runCap") != 1000 {
					t.Errorf("budget.runCap = %v, want 1000", b["runCap"])
				}
				u := testenv.Obj(t, sc, "usage", "credits")
				if testenv.Num(t, u, "totalRemaining") != 10000 {
					t.Errorf("usage.credits.totalRemaining = %v, want 10000", u["totalRemaining"])
				}
				return
			}
			if _, ok := sc["data"]; !ok {
				t.Fatalf("no data in %s", testenv.MustJSON(sc))
			}
			if id, _ := sc["requestId"].(string); id == "" {
				t.Errorf("no requestId in %s", testenv.MustJSON(sc))
			}
			testenv.WantBudget(t, sc)
			if tc.paid {
				testenv.CheckMetering(t, e, sc)
			}
			if tc.paging == "" {
				return
			}
			page := testenv.Obj(t, sc, "pagination")
			first := testenv.Rows(t, sc)
			if int64(len(first)) != testenv.Num(t, page, "returned") {
				t.Errorf("pagination.returned = %v, data holds %d rows", page["returned"], len(first))
			}
			if len(first) == 0 || page["hasMore"] != true {
				t.Fatalf("want a first page with more after it: %s", testenv.MustJSON(page))
			}
			next := testenv.Obj(t, sc, "nextPage")
			for k, v := range tc.args {
				if !reflect.DeepEqual(next[k], testenv.JSONValue(v)) {
					t.Errorf("nextPage.%s = %v, want the argument %v kept", k, next[k], v)
				}
			}
			switch tc.paging {
			case "page":
				if testenv.Num(t, next, "page") != 2 {
					t.Errorf("nextPage.page = %v, want 2", next["page"])
				}
			case "offset":
				if testenv.Num(t, next, "offset") != int64(len(first)) {
					t.Errorf("nextPage.offset = %v, want %d", next["offset"], len(first))
				}
			}
			res2, sc2 := e.Call(t, tc.tool, next)
			if res2.IsError {
				t.Fatalf("the next page failed: %s", testenv.MustJSON(sc2))
			}
			page2 := testenv.Obj(t, sc2, "pagination")
			second := testenv.Rows(t, sc2)
			if len(second) == 0 {
				t.Fatalf("the next page is empty: %s", testenv.MustJSON(sc2))
			}
			if reflect.DeepEqual(first[0], second[0]) {
				t.Errorf("the next page starts with the same row as the first")
			}
			switch tc.paging {
			case "page":
				if testenv.Num(t, page2, "page") != 2 {
					t.Errorf("second page's pagination.page = %v, want 2", page2["page"])
				}
			case "offset":
				if testenv.Num(t, page2, "offset") != int64(len(first)) {
					t.Errorf("second page's pagination.offset = %v, want %d", page2["offset"], len(first))
				}
			}
			testenv.CheckMetering(t, e, sc2)
		})
	}
}

// TestMCPDetailAndWriteTools covers per-item tools and the brandtracker
// writes, whose results carry the envelope's extra fields (created).
func TestMCPDetailAndWriteTools(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	_, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1})
	ad := testenv.Rows(t, sc)[0].(map[string]any)
	res, sc := e.Call(t, "get_ad", map[string]any{"adId": ad["id"]})
	if res.IsError {
		t.Fatalf("get_ad failed: %s", testenv.MustJSON(sc))
	}
	if got := testenv.Obj(t, sc, "data")["id"]; got != ad["id"] {
		t.Errorf("get_ad returned ad %v, want %v", got, ad["id"])
	}
	testenv.CheckMetering(t, e, sc)

	_, sc = e.Call(t, "search_shops", map[string]any{"limit": 1})
	shop := testenv.Rows(t, sc)[0].(map[string]any)
	res, sc = e.Call(t, "create_brandtracker", map[string]any{"shopId": shop["id"]})
	if res.IsError {
		t.Fatalf("create_brandtracker failed: %s", testenv.MustJSON(sc))
	}
	if sc["more"] == nil || testenv.Obj(t, sc, "more")["created"] == nil {
		t.Errorf("create_brandtracker result does not say created: %s", testenv.MustJSON(sc))
	}
	id := testenv.Obj(t, sc, "data")["id"]
	res, sc = e.Call(t, "delete_brandtracker", map[string]any{"brandtrackerId": id})
	if res.IsError {
		t.Fatalf("delete_brandtracker failed: %s", testenv.MustJSON(sc))
	}
	res, sc = e.Call(t, "get_brandtracker", map[string]any{"brandtrackerId": id})
	testenv.WantAdvice(t, res, sc, "not_found", "api")
}
