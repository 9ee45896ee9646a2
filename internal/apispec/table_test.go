package apispec_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// TestTableIsConsistent checks the rules every operation of the table must
// follow, so the document, the sandbox and tollgate's reservations can rely
// on them.
func TestTableIsConsistent(t *testing.T) {
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	ids, keys := map[string]bool{}, map[string]bool{}
	for _, o := range apispec.Operations() {
		name := o.Key()
		if !camel.MatchString(o.ID) || ids[o.ID] {
			t.Errorf("%s: operationId %q is not camelCase or not unique", name, o.ID)
		}
		if keys[name] {
			t.Errorf("%s: listed twice", name)
		}
		ids[o.ID], keys[name] = true, true
		if o.Tag == "" || o.Summary == "" || o.Description == "" || o.Access == "" {
			t.Errorf("%s: needs a tag, summary, description and access", name)
		}
		if o.Response.Shape == "" || (o.Response.Shape != apispec.ShapeRaw && o.Response.Schema == "") {
			t.Errorf("%s: needs a response shape and schema", name)
		}
		seen := map[string]bool{}
		for _, p := range append(slices.Clone(o.Params), o.Body...) {
			if seen[p.Name] {
				t.Errorf("%s: parameter %s appears twice (path, query or body)", name, p.Name)
			}
			seen[p.Name] = true
			if p.Required && p.Example == nil {
				t.Errorf("%s: required parameter %s has no example", name, p.Name)
			}
			if p.AliasOf != "" && !seen[p.AliasOf] {
				t.Errorf("%s: %s is an alias of %s, which must come first", name, p.Name, p.AliasOf)
			}
			if p.Type == apispec.TypeArray && p.Items == "" {
				t.Errorf("%s: array %s has no item type", name, p.Name)
			}
		}
		for _, pp := range o.PathParams() {
			if p, ok := o.Param(pp); !ok || p.In != apispec.InPath {
				t.Errorf("%s: path parameter %s is not declared", name, pp)
			}
		}
		for _, c := range o.Constraints {
			for _, n := range append(slices.Clone(c.Params), c.If) {
				if _, ok := o.Param(n); n != "" && !ok {
					t.Errorf("%s: constraint %s names unknown parameter %s", name, c.Kind, n)
				}
			}
		}
		if o.Write.Confirm {
			if p, ok := o.Param("confirm"); !ok || !p.Required || p.In != apispec.InBody {
				t.Errorf("%s: confirm-gated but has no required body confirm", name)
			}
		}
		if o.Access == apispec.AccessScoped {
			if p, ok := o.Param("scope"); !ok || !p.Required || p.In != apispec.InQuery {
				t.Errorf("%s: scoped but has no required query scope", name)
			}
		}
		if (o.Write.Kind == apispec.WriteNone) != (o.Method == "GET" || (o.Method == "POST" && o.Response.Shape == apispec.ShapeList && o.Cost.Model == apispec.CostPerRow)) {
			t.Errorf("%s: write kind %q does not fit the method", name, o.Write.Kind)
		}
		if o.Write.Kind == apispec.WriteUpsert && !slices.Contains(o.Response.Extra, "created") {
			t.Errorf("%s: an upsert must answer created", name)
		}
		c := o.Cost
		switch c.Model {
		case apispec.CostFree:
			if c.Max != 0 {
				t.Errorf("%s: free with max %d", name, c.Max)
			}
		case apispec.CostPerRow, apispec.CostPerSeries, apispec.CostPerItem, apispec.CostFixed:
			if c.Max < 1 {
				t.Errorf("%s: %s needs an upper bound", name, c.Model)
			}
		default:
			t.Errorf("%s: unknown cost model %q", name, c.Model)
		}
		if c.LimitParam != "" {
			def, max, ok := o.Limit()
			if !ok || def < 1 || max != c.Max {
				t.Errorf("%s: limit parameter %s must have a default and a maximum equal to the cost bound %d (got %d/%d)", name, c.LimitParam, c.Max, def, max)
			}
		}
		if p, ok := o.Param("limit"); ok && p.Default == nil {
			t.Errorf("%s: limit has no default", name)
		}
		if (o.Paging != apispec.PagingNone) != (o.Response.Shape == apispec.ShapeList && hasParam(o, "page", "offset")) {
			t.Errorf("%s: paging %q does not match its parameters", name, o.Paging)
		}
		if got := o.Reservation(0); got > c.Max || (c.Model != apispec.CostFree && got < 1) {
			t.Errorf("%s: reservation %d outside 1..%d", name, got, c.Max)
		}
	}
	if n := len(ids); n < 110 {
		t.Errorf("the table has %d operations; the reference lists about 120", n)
	}
}

func hasParam(o apispec.Operation, names ...string) bool {
	for _, n := range names {
		if _, ok := o.Param(n); ok {
			return true
		}
	}
	return false
}

func TestLookupAndByID(t *testing.T) {
	o, ok := apispec.Lookup("get", "/v1/ads")
	if !ok || o.ID != "listAds" {
		t.Fatalf("Lookup(get, /v1/ads) = %q, %v", o.ID, ok)
	}
	if def, max, ok := o.Limit(); !ok || def != 25 || max != 100 {
		t.Errorf("listAds limit %d/%d, want default 25, max 100", def, max)
	}
	if o.Reservation(0) != 25 || o.Reservation(7) != 7 || o.Reservation(500) != 100 {
		t.Errorf("listAds reservations %d %d %d", o.Reservation(0), o.Reservation(7), o.Reservation(500))
	}
	b, ok := apispec.ByID("deleteBrandtrackerFolder")
	if !ok || !b.Write.Confirm || !b.Destructive() || b.Method != "DELETE" || b.Body == nil {
		t.Errorf("deleteBrandtrackerFolder: %+v", b)
	}
	o.Params[0].Name = "changed"
	if again, _ := apispec.ByID("listAds"); again.Params[0].Name == "changed" {
		t.Error("operations must be copies")
	}
}
