package mcpserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/tools"
)

// schemaChecker validates results against the output schemas a client
// listed, with a JSON Schema validator of its own (santhosh-tekuri's),
// and remembers which tools it saw succeed and fail.
type schemaChecker struct {
	schemas   map[string]*jsonschema.Schema
	successes map[string]int
	failures  map[string]int
}

func newSchemaChecker(t *testing.T, listed map[string]json.RawMessage) *schemaChecker {
	t.Helper()
	c := &schemaChecker{schemas: map[string]*jsonschema.Schema{}, successes: map[string]int{}, failures: map[string]int{}}
	for name, raw := range listed {
		if len(raw) == 0 || string(raw) == "null" {
			t.Errorf("%s has no outputSchema", name)
			continue
		}
		var root struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &root); err != nil || root.Type != "object" {
			t.Errorf("%s: outputSchema is not an object schema: %s", name, raw)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: outputSchema is not JSON: %v", name, err)
		}
		comp := jsonschema.NewCompiler()
		url := "mem:///" + name + ".json"
		if err := comp.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
		s, err := comp.Compile(url)
		if err != nil {
			t.Fatalf("%s: outputSchema does not compile: %v", name, err)
		}
		c.schemas[name] = s
	}
	return c
}

// check validates one result of tool and counts it.
func (c *schemaChecker) check(t *testing.T, tool string, r mcppeer.Result) {
	t.Helper()
	s, ok := c.schemas[tool]
	if !ok {
		t.Fatalf("%s was called but not listed", tool)
	}
	if r.SC == nil {
		t.Fatalf("%s: no structuredContent: %s", tool, r.Text)
	}
	raw, _ := json.Marshal(r.SC)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s: structuredContent (isError %v) does not validate against its outputSchema: %v\n%s", tool, r.IsError, err, testenv.MustJSON(r.SC))
	}
	if r.IsError {
		c.failures[tool]++
		if _, ok := r.SC["error"].(map[string]any); !ok {
			t.Errorf("%s: an error result without its advice object: %s", tool, testenv.MustJSON(r.SC))
		}
	} else {
		c.successes[tool]++
	}
}

// missing lists the tools without a success.
func (c *schemaChecker) missing() []string {
	var out []string
	for name := range c.schemas {
		if c.successes[name] == 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func firstID(t *testing.T, r mcppeer.Result) string {
	t.Helper()
	rows := testenv.Rows(t, r.SC)
	if len(rows) == 0 {
		t.Fatalf("no rows: %s", testenv.MustJSON(r.SC))
	}
	id, _ := rows[0].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("the first row has no id: %s", testenv.MustJSON(rows[0]))
	}
	return id
}

// TestEveryResultMeetsItsToolsOutputSchema calls every tool on the
// sandbox (successes, fitted and truncated results, API, budget and
// argument failures) and validates every structuredContent against the
// outputSchema its client listed. mcp-go's own output validation is on
// (testenv), so a success that did not conform would arrive as an error.
func TestEveryResultMeetsItsToolsOutputSchema(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true, Load: true, Budget: &budget.Config{MaxCredits: 300},
			Box: tools.Config{MaxResultBytes: 16 << 10}})
		p := connect(t, e, k, mcppeer.Options{})
		c := newSchemaChecker(t, p.Tools(t))
		call := func(tool string, args map[string]any) mcppeer.Result {
			t.Helper()
			r := p.Call(t, tool, args)
			c.check(t, tool, r)
			return r
		}
		ok := func(tool string, args map[string]any) mcppeer.Result {
			t.Helper()
			r := call(tool, args)
			if r.IsError {
				t.Fatalf("%s failed: %s", tool, r.Text)
			}
			return r
		}

		ok("lookup", map[string]any{"q": "coffee"})
		adID := firstID(t, ok("search_ads", map[string]any{"search": "coffee", "limit": 3}))
		ok("query_ads", map[string]any{"limit": 2})
		ok("get_ad", map[string]any{"adId": adID})
		advID := firstID(t, ok("search_advertisers", map[string]any{"limit": 2}))
		ok("get_advertiser", map[string]any{"advertiserId": advID})
		ok("list_advertiser_ads", map[string]any{"advertiserId": advID, "limit": 2})
		shopID := firstID(t, ok("search_shops", map[string]any{"limit": 2}))
		ok("get_shop", map[string]any{"shopId": shopID})
		btID := firstID(t, ok("list_brandtrackers", map[string]any{"limit": 2}))
		ok("get_brandtracker", map[string]any{"brandtrackerId": btID})
		ok("list_brandtracker_ads", map[string]any{"brandtrackerId": btID, "limit": 2})
		ok("get_brandtracker_overview", map[string]any{"brandtrackerId": btID})
		ok("list_brandtracker_top_ads", map[string]any{"brandtrackerId": btID, "limit": 2})
		ok("list_workspace_top_ads", map[string]any{"limit": 2})
		created := ok("create_brandtracker", map[string]any{"shopId": shopID})
		newID, _ := testenv.Obj(t, created.SC, "data")["id"].(string)
		ok("delete_brandtracker", map[string]any{"brandtrackerId": newID})
		ok("query_google_ads", map[string]any{"limit": 2})
		itemID := firstID(t, ok("search_tiktok_library", map[string]any{"limit": 2}))
		ok("get_tiktok_item", map[string]any{"itemId": itemID})
		ok("get_workspace", nil)
		ok("get_me", nil)
		ok("get_usage", nil)
		ok("get_budget", nil)
		ok("estimate_cost", map[string]any{"tool": "search_ads", "arguments": map[string]any{"search": "coffee", "limit": 30}})

		for _, f := range []struct {
			tool string
			args map[string]any
			code string
		}{
			{"search_ads", map[string]any{"search": "coffee", "limit": 500}, tools.CodeInvalidArguments},
			{"get_ad", map[string]any{"adId": "facebook_0"}, "not_found"},
			{"estimate_cost", map[string]any{"tool": "no_such_tool"}, tools.CodeUnknownTool},
			{"get_shop", map[string]any{}, tools.CodeInvalidArguments},
		} {
			r := call(f.tool, f.args)
			if !r.IsError || testenv.Obj(t, r.SC, "error")["code"] != f.code {
				t.Errorf("%s %v: want a %s failure, got %s", f.tool, f.args, f.code, r.Text)
			}
		}
		// A large page is truncated; pages past the cap are fitted, then
		// halted.
		big := ok("search_ads", map[string]any{"search": "coffee", "limit": 100})
		if big.SC["truncated"] == nil {
			t.Errorf("a 100-row page under a 16 KiB limit was not truncated")
		}
		var halt mcppeer.Result
		fitted := false
		for i := 0; i < 10 && !halt.IsError; i++ {
			halt = call("search_ads", map[string]any{"search": "coffee", "limit": 100, "page": 2})
			fitted = fitted || strings.Contains(halt.Text, "limit lowered")
		}
		if !fitted {
			t.Errorf("no page was fitted to the budget")
		}
		testenv.WantAdviceJSON(t, halt.SC, budget.CodeCapReached, budget.SourceBudget)

		// Every tool of the default list is seen succeeding here; the
		// rest are validated against their output schemas, one call each,
		// by tools' TestEveryOperationThroughToolboxCall.
		var core []string
		for _, name := range c.missing() {
			if tl, ok := e.Box.Catalogue().Lookup(name); ok && tl.Default {
				core = append(core, name)
			}
		}
		if len(core) > 0 {
			t.Errorf("default tools never seen succeeding: %v", core)
		}
	})
}

// TestDynamicModeResultsMeetTheirOutputSchemas does the same for the
// dynamic-mode tools.
func TestDynamicModeResultsMeetTheirOutputSchemas(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true, Server: mcpserver.Options{Mode: mcpserver.ModeDynamic}})
		p := connect(t, e, k, mcppeer.Options{})
		c := newSchemaChecker(t, p.Tools(t))
		for _, tc := range []struct {
			tool string
			args map[string]any
		}{
			{mcpserver.ToolSearchOperations, map[string]any{"query": "ads"}},
			{mcpserver.ToolDescribeOperation, map[string]any{"name": "search_ads"}},
			{mcpserver.ToolDescribeOperation, map[string]any{"name": "nope"}},
			{mcpserver.ToolCallOperation, map[string]any{"name": "search_ads", "arguments": map[string]any{"search": "coffee", "limit": 2}}},
			{mcpserver.ToolCallOperation, map[string]any{"name": "get_workspace"}},
			{mcpserver.ToolCallOperation, map[string]any{"name": "get_ad", "arguments": map[string]any{"adId": "facebook_0"}}},
			{tools.ToolGetBudget, nil},
		} {
			c.check(t, tc.tool, p.Call(t, tc.tool, tc.args))
		}
		if m := c.missing(); len(m) > 0 {
			t.Errorf("tools never seen succeeding: %v", m)
		}
		// describe_operation hands out the operation's output schema too.
		r := p.Call(t, mcpserver.ToolDescribeOperation, map[string]any{"name": "get_shop"})
		if s := fmt.Sprint(r.SC["outputSchema"]); !strings.Contains(s, "advice") && !strings.Contains(s, "error") {
			t.Errorf("describe_operation lacks the output schema: %s", testenv.MustJSON(r.SC))
		}
	})
}
