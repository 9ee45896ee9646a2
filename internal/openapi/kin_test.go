package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

// A differential test: kin-openapi (a test-only dependency) is an
// independent reading of the same documents. For the built-in document
// and mutated ones, both must find the same operations, with the same
// parameters (name, in, required), and refuse the same operations (kin's
// op.Validate with examples and patterns off, as tools used it, against
// Document.Check).

// view is what the two readings are compared on: per "METHOD /path",
// its parameters and whether it is refused.
type view map[string]string

func ourView(t *testing.T, b []byte) (view, []openapi.Problem) {
	t.Helper()
	d, err := openapi.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	v := view{}
	for _, path := range d.SortedPaths() {
		item := d.Paths[path]
		for _, mo := range item.Operations() {
			var ps []string
			for _, p := range slices.Concat(item.Parameters, mo.Operation.Parameters) {
				ps = append(ps, fmt.Sprintf("%s:%s:%v", p.In, p.Name, p.Required))
			}
			v[mo.Method+" "+path] = describeOp(ps, d.Check(item, mo.Operation) != nil)
		}
	}
	return v, d.Problems
}

func kinView(t *testing.T, b []byte) (view, error) {
	t.Helper()
	d, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, err
	}
	v := view{}
	for path, item := range d.Paths.Map() {
		for method, op := range item.Operations() {
			var ps []string
			for _, p := range slices.Concat(item.Parameters, op.Parameters) {
				ps = append(ps, fmt.Sprintf("%s:%s:%v", p.Value.In, p.Value.Name, p.Value.Required))
			}
			refused := op.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaPatternValidation()) != nil
			v[method+" "+path] = describeOp(ps, refused)
		}
	}
	return v, nil
}

func describeOp(params []string, refused bool) string {
	s := strings.Join(params, " ")
	if refused {
		s += " REFUSED"
	}
	return s
}

func builtInMap(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(apispec.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func pathsOf(doc map[string]any) map[string]any { return doc["paths"].(map[string]any) }

func opIn(doc map[string]any, method, path string) map[string]any {
	return pathsOf(doc)[path].(map[string]any)[method].(map[string]any)
}

func addParam(op map[string]any, p map[string]any) {
	list, _ := op["parameters"].([]any)
	op["parameters"] = append(list, p)
}

func str() map[string]any { return map[string]any{"type": "string"} }

var okResponse = map[string]any{"200": map[string]any{"description": "ok"}}

// mutations change the built-in document in ways both readings must
// agree on; refused lists the operations the change must refuse.
var mutations = []struct {
	name    string
	change  func(doc map[string]any)
	refused []string
}{
	{"no responses", func(d map[string]any) { delete(opIn(d, "get", "/v1/shops/{shopId}/products"), "responses") },
		[]string{"GET /v1/shops/{shopId}/products"}},
	{"an optional path parameter", func(d map[string]any) {
		d["paths"].(map[string]any)["/v1/things/{id}"] = map[string]any{"get": map[string]any{"responses": okResponse,
			"parameters": []any{map[string]any{"name": "id", "in": "path", "schema": str()}}}}
	}, []string{"GET /v1/things/{id}"}},
	{"a duplicate parameter", func(d map[string]any) {
		op := opIn(d, "get", "/v1/advertisers")
		addParam(op, map[string]any{"name": "x", "in": "query", "schema": str()})
		addParam(op, map[string]any{"name": "x", "in": "query", "schema": str()})
	}, []string{"GET /v1/advertisers"}},
	{"a header parameter", func(d map[string]any) {
		addParam(opIn(d, "get", "/v1/shops"), map[string]any{"name": "X-Tenant", "in": "header", "required": true, "schema": str()})
	}, nil},
	{"a parameter in the body", func(d map[string]any) {
		addParam(opIn(d, "get", "/v1/brandtrackers"), map[string]any{"name": "b", "in": "body", "schema": str()})
	}, []string{"GET /v1/brandtrackers"}},
	{"an unknown type in a response", func(d map[string]any) {
		opIn(d, "get", "/v1/facets/themes")["responses"] = map[string]any{"200": map[string]any{"description": "ok",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object",
				"properties": map[string]any{"data": map[string]any{"type": "strnig"}}}}}}}
	}, []string{"GET /v1/facets/themes"}},
	{"a body without content", func(d map[string]any) {
		opIn(d, "post", "/v1/shops/query")["requestBody"] = map[string]any{"required": true}
	}, []string{"POST /v1/shops/query"}},
	{"an integer default that is a string", func(d map[string]any) {
		addParam(opIn(d, "get", "/v1/facets/pixels"), map[string]any{"name": "n", "in": "query",
			"schema": map[string]any{"type": "integer", "default": "10"}})
	}, []string{"GET /v1/facets/pixels"}},
	{"deepObject without explode", func(d map[string]any) {
		addParam(opIn(d, "get", "/v1/facets/categories"), map[string]any{"name": "f", "in": "query", "style": "deepObject",
			"explode": false, "schema": map[string]any{"type": "object"}})
	}, []string{"GET /v1/facets/categories"}},
	{"path-level and referenced parameters", func(d map[string]any) {
		comps := d["components"].(map[string]any)
		comps["parameters"] = map[string]any{"Id": map[string]any{"name": "id", "in": "path", "required": true, "schema": str()},
			"Q": map[string]any{"name": "q", "in": "query", "schema": str()}}
		pathsOf(d)["/v1/widgets/{id}"] = map[string]any{
			"parameters": []any{map[string]any{"$ref": "#/components/parameters/Id"}},
			"get":        map[string]any{"responses": okResponse, "parameters": []any{map[string]any{"$ref": "#/components/parameters/Q"}}},
			"delete":     map[string]any{"responses": okResponse},
		}
	}, nil},
}

// A parameter with both schema and content: kin's loader refuses the
// whole document; ours reads it and Check refuses the operation.
func TestAParameterWithSchemaAndContentCostsOnlyItsOperation(t *testing.T) {
	doc := builtInMap(t)
	addParam(opIn(doc, "get", "/v1/ads"), map[string]any{"name": "both", "in": "query", "schema": str(),
		"content": map[string]any{"application/json": map[string]any{}}})
	b, _ := json.Marshal(doc)
	if _, err := kinView(t, b); err == nil || !strings.Contains(err.Error(), "both schema and content") {
		t.Errorf("kin: %v, want the document refused", err)
	}
	ours, _ := ourView(t, b)
	if !strings.HasSuffix(ours["GET /v1/ads"], "REFUSED") {
		t.Errorf("GET /v1/ads is not refused: %s", ours["GET /v1/ads"])
	}
	delete(ours, "GET /v1/ads")
	delete(pathsOf(doc), "/v1/ads")
	b, _ = json.Marshal(doc)
	kin, err := kinView(t, b)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, ours, kin)
}

// agreeWhole loads document b with both loaders, which must both read
// every path of it and agree on its operations; it returns our view.
func agreeWhole(t *testing.T, b []byte) map[string]string {
	t.Helper()
	ours, problems := ourView(t, b)
	kin, err := kinView(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	compare(t, ours, kin)
	return ours
}

func TestOurLoaderAndKinAgree(t *testing.T) {
	t.Run("the built-in document", func(t *testing.T) {
		ours := agreeWhole(t, apispec.Document())
		for op, s := range ours {
			if strings.HasSuffix(s, "REFUSED") {
				t.Errorf("%s is refused", op)
			}
		}
	})
	t.Run("mutated", func(t *testing.T) {
		doc := builtInMap(t)
		for _, m := range mutations {
			m.change(doc)
		}
		b, _ := json.Marshal(doc)
		ours := agreeWhole(t, b)
		for _, m := range mutations {
			for _, op := range m.refused {
				if !strings.HasSuffix(ours[op], "REFUSED") {
					t.Errorf("%s: %s is not refused", m.name, op)
				}
			}
		}
	})
	t.Run("a path that does not read", func(t *testing.T) {
		doc := builtInMap(t)
		ok := opIn(doc, "get", "/v1/advertisers")["responses"].(map[string]any)["200"].(map[string]any)
		ok["content"].(map[string]any)["application/json"].(map[string]any)["schema"] = map[string]any{"$ref": "#/components/schemas/DoesNotExist"}
		b, _ := json.Marshal(doc)
		ours, problems := ourView(t, b)
		if len(problems) != 1 || problems[0].Path != "/v1/advertisers" {
			t.Errorf("problems %v, want /v1/advertisers", problems)
		}
		if _, err := kinView(t, b); err == nil || !strings.Contains(err.Error(), "DoesNotExist") {
			t.Errorf("kin loads it: %v", err)
		}
		// Without the path, kin loads the rest, and agrees on it.
		delete(pathsOf(doc), "/v1/advertisers")
		b, _ = json.Marshal(doc)
		kin, err := kinView(t, b)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, ours, kin)
	})
}

func compare(t *testing.T, ours, kin view) {
	t.Helper()
	for _, op := range slices.Sorted(maps.Keys(kin)) {
		if o, ok := ours[op]; !ok {
			t.Errorf("%s: kin reads it, we do not", op)
		} else if o != kin[op] {
			t.Errorf("%s:\n ours %s\n kin  %s", op, o, kin[op])
		}
	}
	for op := range ours {
		if _, ok := kin[op]; !ok {
			t.Errorf("%s: we read it, kin does not", op)
		}
	}
}
