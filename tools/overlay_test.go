package tools_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/tools"
)

var snakeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// hiddenOps are the API's shell, which is not offered as tools.
var hiddenOps = []string{"GET /v1", "GET /v1/health", "GET /v1/openapi.json", "GET /v1/docs"}

// byPath indexes a catalogue's API tools by "METHOD /path".
func byPath(c *tools.Catalogue) map[string]*tools.Tool {
	out := map[string]*tools.Tool{}
	for _, tl := range c.Tools() {
		if tl.Operation != "" {
			out[tl.Method+" "+tl.Path] = tl
		}
	}
	return out
}

// TestEveryOperationOfTheReferenceIsCurated checks that each operation of
// the reference (§6.2) is a curated tool whose cost model, bound and
// annotations follow the reference.
func TestEveryOperationOfTheReferenceIsCurated(t *testing.T) {
	t.Parallel()
	cat := tools.BuiltIn()
	tools := byPath(cat)
	for _, o := range apispec.Operations() {
		tl, ok := tools[o.Key()]
		if slices.Contains(hiddenOps, o.Key()) {
			if ok {
				t.Errorf("%s is offered as %s", o.Key(), tl.Name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s (%s) is not offered", o.Key(), o.ID)
			continue
		}
		name := fmt.Sprintf("%s (%s)", tl.Name, o.Key())
		if !snakeName.MatchString(tl.Name) || tl.Title == "" || tl.Toolset == "" || tl.Toolset == "other" {
			t.Errorf("%s: name, title or toolset %q not curated", name, tl.Toolset)
		}
		about, _, _ := strings.Cut(tl.Description, "\nCost: ")
		if len(about) < 40 || about == o.Summary {
			t.Errorf("%s: the description %q is not written for a model", name, about)
		}
		if !slices.Contains(apiToolsets(), tl.Toolset) {
			t.Errorf("%s: toolset %q is not one of tools.Toolsets()", name, tl.Toolset)
		}
		a := tl.Annotations
		if a.ReadOnly != o.ReadOnly() || a.Destructive != o.Destructive() || a.Idempotent != o.Idempotent() || tl.Idempotent != o.Idempotent() {
			t.Errorf("%s: annotations %+v, want readOnly %v destructive %v idempotent %v", name, a, o.ReadOnly(), o.Destructive(), o.Idempotent())
		}
		if o.Method == "POST" && strings.HasSuffix(o.Path, "/query") && !a.ReadOnly {
			t.Errorf("%s: a query POST is not read-only", name)
		}
		if tl.Deprecated != o.Deprecated {
			t.Errorf("%s: deprecated %v, want %v", name, tl.Deprecated, o.Deprecated)
		}
		if o.Deprecated && !strings.Contains(about, "list_brandtracker_top_ads") && !strings.Contains(about, "list_workspace_top_ads") {
			t.Errorf("%s: a legacy tool must point at the top-ads tool: %q", name, about)
		}
		// The reservation is the reference's bound, limit omitted and at
		// its maximum, and it is never 0 for a paid call.
		if got, want := tl.Ask(nil).Worst(), o.Reservation(0); got != want {
			t.Errorf("%s: reserves %d with limit omitted, the reference says at most %d", name, got, want)
		}
		if o.Cost.Model != apispec.CostFree && tl.Ask(nil).Worst() < 1 {
			t.Errorf("%s: a paid operation reserves nothing", name)
		}
		if def, max, ok := o.Limit(); ok {
			if !tl.LimitsCost() || tl.DefaultLimit != def || tl.MaxLimit != max {
				t.Errorf("%s: limit %d..%d (bounds cost %v), want default %d max %d", name, tl.DefaultLimit, tl.MaxLimit, tl.LimitsCost(), def, max)
			}
			if got, want := tl.Ask(map[string]any{"limit": max}).Worst(), o.Reservation(max); got != want {
				t.Errorf("%s: reserves %d at limit %d, want %d", name, got, max, want)
			}
		} else if tl.LimitsCost() {
			t.Errorf("%s: reserves by limit, but the reference's cost does not follow it", name)
		}
		if !strings.Contains(tl.Description, "\nCost: "+tl.CostRule()) {
			t.Errorf("%s: description does not state its cost rule", name)
		}
		if o.Access == apispec.AccessWriter && !strings.Contains(tl.Description, "full_access") {
			t.Errorf("%s: a writer operation's description does not say it needs full_access", name)
		}
	}
	if n := len(tools) + len(hiddenOps); n != len(apispec.Operations()) {
		t.Errorf("the catalogue has %d API tools and %d hidden operations, the reference %d operations", len(tools), len(hiddenOps), len(apispec.Operations()))
	}
}

func apiToolsets() []string { return tools.Toolsets() }

// TestCuratedNamesSurviveRenamedOperationIds loads a copy of the document
// whose operationIds are all renamed (and one path parameter too): the
// overlay is keyed by method and path, so every tool keeps its name.
func TestCuratedNamesSurviveRenamedOperationIds(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(apispec.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	n := 0
	for _, item := range paths {
		for _, op := range item.(map[string]any) {
			if m, ok := op.(map[string]any); ok && m["operationId"] != nil {
				n++
				m["operationId"] = fmt.Sprintf("renamedOperation%d", n)
			}
		}
	}
	// GET /v1/ads/{adId} becomes GET /v1/ads/{id}.
	item := paths["/v1/ads/{adId}"].(map[string]any)
	delete(paths, "/v1/ads/{adId}")
	for _, p := range item["get"].(map[string]any)["parameters"].([]any) {
		if p := p.(map[string]any); p["name"] == "adId" {
			p["name"] = "id"
		}
	}
	paths["/v1/ads/{id}"] = item
	raw, _ := json.Marshal(doc)
	renamed, err := tools.Parse(raw, "test")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p := renamed.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
	want := names(tools.BuiltIn())
	if got := names(renamed); !slices.Equal(got, want) {
		t.Errorf("tools with renamed operationIds:\n%v\nwant\n%v", got, want)
	}
	ad, _ := renamed.Lookup("get_ad")
	if ad == nil || ad.Path != "/v1/ads/{id}" || !strings.HasPrefix(ad.Operation, "renamedOperation") || ad.Cost != tools.CostPerItem {
		t.Errorf("get_ad = %+v", ad)
	}
}

// TestTheDefaultListIsASmallCore checks the default list: a core of at
// most 25 tools, with the budget tools and lookup in it, and the legacy,
// unknown and bulk tools out of it.
func TestTheDefaultListIsASmallCore(t *testing.T) {
	t.Parallel()
	cat := tools.BuiltIn()
	def, err := cat.Select(tools.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if def.Len() > 25 || def.Len() < 15 {
		t.Errorf("the default list has %d tools, want a core of at most 25", def.Len())
	}
	for _, must := range []string{"lookup", "get_budget", "estimate_cost", "search_ads", "get_brandtracker_overview", "list_brandtracker_top_ads"} {
		if _, ok := def.Lookup(must); !ok {
			t.Errorf("%s is not on by default", must)
		}
	}
	for _, tl := range def.Tools() {
		if !tl.Default || tl.Deprecated {
			t.Errorf("%s is offered by default but Default %v, Deprecated %v", tl.Name, tl.Default, tl.Deprecated)
		}
	}
	all, err := cat.Select(tools.Filter{Toolsets: []string{"all"}})
	if err != nil || all.Len() != cat.Len() {
		t.Fatalf("--toolsets all: %v tools, err %v", all, err)
	}
}
