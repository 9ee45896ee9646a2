package tools_test

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/tools"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

func TestMCPListsEveryToolsetWithNamesSchemasAndAnnotations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{load: true})
	res, err := e.mcp.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	cat := e.box.Catalogue()
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
		if ct.LimitsCost() && wire.InputSchema.Properties["limit"] == nil {
			t.Errorf("%s: a tool whose limit bounds its cost has no limit argument", mt.Name)
		}
		a := mt.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil {
			t.Errorf("%s: annotations are not all set: %+v", mt.Name, a)
			continue
		}
		// The reference's write semantics (checked against the catalogue
		// in TestEveryOperationOfTheReferenceIsCurated) reach the wire.
		if *a.ReadOnlyHint != ct.Annotations.ReadOnly || *a.DestructiveHint != ct.Annotations.Destructive || *a.IdempotentHint != ct.Annotations.Idempotent {
			t.Errorf("%s: hints readOnly %v destructive %v idempotent %v, want %+v", mt.Name, *a.ReadOnlyHint, *a.DestructiveHint, *a.IdempotentHint, ct.Annotations)
		}
	}
	var got []string
	for ts := range toolsets {
		got = append(got, ts)
	}
	sort.Strings(got)
	want := cat.Toolsets()
	if !slices.Equal(got, want) || len(got) < 10 {
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
			e := newEnv(t, envConfig{})
			if ct, ok := e.box.Catalogue().Lookup(tc.tool); !ok || ct.Toolset != tc.toolset {
				t.Fatalf("%s is not in toolset %s", tc.tool, tc.toolset)
			}
			res, sc := e.call(t, tc.tool, tc.args)
			if res.IsError {
				t.Fatalf("%s failed: %s", tc.tool, mustJSON(sc))
			}
			if tc.toolset == "budget" {
				b := obj(t, sc, "budget")
				if num(t, b, "runCap") != 1000 {
					t.Errorf("budget.runCap = %v, want 1000", b["runCap"])
				}
				u := obj(t, sc, "usage", "credits")
				if num(t, u, "totalRemaining") != 10000 {
					t.Errorf("usage.credits.totalRemaining = %v, want 10000", u["totalRemaining"])
				}
				return
			}
			if _, ok := sc["data"]; !ok {
				t.Fatalf("no data in %s", mustJSON(sc))
			}
			if id, _ := sc["requestId"].(string); id == "" {
				t.Errorf("no requestId in %s", mustJSON(sc))
			}
			wantBudget(t, sc)
			if tc.paid {
				checkMetering(t, e, sc)
			}
			if tc.paging == "" {
				return
			}
			page := obj(t, sc, "pagination")
			first := rows(t, sc)
			if int64(len(first)) != num(t, page, "returned") {
				t.Errorf("pagination.returned = %v, data holds %d rows", page["returned"], len(first))
			}
			if len(first) == 0 || page["hasMore"] != true {
				t.Fatalf("want a first page with more after it: %s", mustJSON(page))
			}
			next := obj(t, sc, "nextPage")
			for k, v := range tc.args {
				if !reflect.DeepEqual(next[k], toJSONValue(v)) {
					t.Errorf("nextPage.%s = %v, want the argument %v kept", k, next[k], v)
				}
			}
			switch tc.paging {
			case "page":
				if num(t, next, "page") != 2 {
					t.Errorf("nextPage.page = %v, want 2", next["page"])
				}
			case "offset":
				if num(t, next, "offset") != int64(len(first)) {
					t.Errorf("nextPage.offset = %v, want %d", next["offset"], len(first))
				}
			}
			res2, sc2 := e.call(t, tc.tool, next)
			if res2.IsError {
				t.Fatalf("the next page failed: %s", mustJSON(sc2))
			}
			page2 := obj(t, sc2, "pagination")
			second := rows(t, sc2)
			if len(second) == 0 {
				t.Fatalf("the next page is empty: %s", mustJSON(sc2))
			}
			if reflect.DeepEqual(first[0], second[0]) {
				t.Errorf("the next page starts with the same row as the first")
			}
			switch tc.paging {
			case "page":
				if num(t, page2, "page") != 2 {
					t.Errorf("second page's pagination.page = %v, want 2", page2["page"])
				}
			case "offset":
				if num(t, page2, "offset") != int64(len(first)) {
					t.Errorf("second page's pagination.offset = %v, want %d", page2["offset"], len(first))
				}
			}
			checkMetering(t, e, sc2)
		})
	}
}

// checkMetering checks a paid result's metering against the sandbox: the
// cost is the rows returned and creditsRemaining the workspace's balance.
func checkMetering(t *testing.T, e *env, sc map[string]any) {
	t.Helper()
	m := obj(t, sc, "metering")
	n := int64(1)
	if r, ok := sc["data"].([]any); ok {
		n = int64(len(r))
	}
	if got := num(t, m, "cost"); got != n {
		t.Errorf("metering.cost = %d, want %d (one per row)", got, n)
	}
	bal := e.sb.Credits(e.key)
	if got := num(t, m, "creditsRemaining"); got != bal.Recurring+bal.Topup {
		t.Errorf("metering.creditsRemaining = %d, the sandbox holds %d", got, bal.Recurring+bal.Topup)
	}
	b := obj(t, sc, "budget")
	if num(t, b, "inFlight") != 0 {
		t.Errorf("budget.inFlight = %v after the call, want 0", b["inFlight"])
	}
}

func toJSONValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}

// TestMCPDetailAndWriteTools covers per-item tools and the brandtracker
// writes, whose results carry the envelope's extra fields (created).
func TestMCPDetailAndWriteTools(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	_, sc := e.call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1})
	ad := rows(t, sc)[0].(map[string]any)
	res, sc := e.call(t, "get_ad", map[string]any{"adId": ad["id"]})
	if res.IsError {
		t.Fatalf("get_ad failed: %s", mustJSON(sc))
	}
	if got := obj(t, sc, "data")["id"]; got != ad["id"] {
		t.Errorf("get_ad returned ad %v, want %v", got, ad["id"])
	}
	checkMetering(t, e, sc)

	_, sc = e.call(t, "search_shops", map[string]any{"limit": 1})
	shop := rows(t, sc)[0].(map[string]any)
	res, sc = e.call(t, "create_brandtracker", map[string]any{"shopId": shop["id"]})
	if res.IsError {
		t.Fatalf("create_brandtracker failed: %s", mustJSON(sc))
	}
	if sc["more"] == nil || obj(t, sc, "more")["created"] == nil {
		t.Errorf("create_brandtracker result does not say created: %s", mustJSON(sc))
	}
	id := obj(t, sc, "data")["id"]
	res, sc = e.call(t, "delete_brandtracker", map[string]any{"brandtrackerId": id})
	if res.IsError {
		t.Fatalf("delete_brandtracker failed: %s", mustJSON(sc))
	}
	res, sc = e.call(t, "get_brandtracker", map[string]any{"brandtrackerId": id})
	wantAdvice(t, res, sc, "not_found", "api")
}

func TestMCPUnknownToolIsAnErrorResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	r := e.box.Call(context.Background(), "no_such_tool", nil)
	if !r.IsError || r.Advice == nil || r.Advice.Code != tools.CodeUnknownTool || r.Advice.Source != tools.SourceTool {
		t.Fatalf("Call of an unknown tool = %s, want unknown_tool advice", r.JSON())
	}
}
