package tools_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/tools"
)

// miniDoc is an OpenAPI document of version with the one path item
// /v1/widgets and the components.
func miniDoc(version string, item, components map[string]any) []byte {
	doc := map[string]any{"openapi": version, "info": map[string]any{"title": "t", "version": "1"},
		"paths": map[string]any{"/v1/widgets": item}}
	if components != nil {
		doc["components"] = components
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return raw
}

// widgetTool parses doc and returns its one API tool, list_widgets or
// post_widgets.
func widgetTool(t *testing.T, doc []byte, name string) (*tools.Tool, *tools.Catalogue) {
	t.Helper()
	cat, err := tools.Parse(doc, "test")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tl, ok := cat.Lookup(name)
	if !ok {
		t.Fatalf("%s is not offered; problems: %v", name, cat.Problems())
	}
	return tl, cat
}

// inputProp is the input schema of argument name.
func inputProp(t *testing.T, tl *tools.Tool, name string) map[string]any {
	t.Helper()
	var s struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(tl.InputSchema, &s); err != nil {
		t.Fatal(err)
	}
	p, ok := s.Properties[name]
	if !ok {
		t.Fatalf("%s has no argument %s: %s", tl.Name, name, tl.InputSchema)
	}
	return p
}

func intParam(name, in string, max int) map[string]any {
	return map[string]any{"name": name, "in": in, "schema": map[string]any{"type": "integer", "maximum": max}}
}

var okResponse = map[string]any{"200": map[string]any{"description": "ok"}}

func TestAnOperationParameterOverridesThePathItemsOfTheSameNameAndIn(t *testing.T) {
	t.Parallel()
	item := map[string]any{
		"parameters": []any{intParam("limit", "query", 10), intParam("page", "query", 5)},
		"get": map[string]any{
			"parameters": []any{intParam("limit", "query", 50)},
			"responses":  okResponse,
		},
	}
	tl, _ := widgetTool(t, miniDoc("3.0.3", item, nil), "list_widgets")
	if got := inputProp(t, tl, "limit")["maximum"]; got != 50.0 {
		t.Errorf("limit's maximum is %v, want the operation's 50 over the path item's 10", got)
	}
	if got := inputProp(t, tl, "page")["maximum"]; got != 5.0 {
		t.Errorf("page's maximum is %v, want the path item's 5", got)
	}
}

func TestJSONBodiesAndResponsesAreFoundWhateverTheirMediaTypeParameters(t *testing.T) {
	t.Parallel()
	rows := map[string]any{"type": "object", "properties": map[string]any{
		"data": map[string]any{"type": "array", "items": map[string]any{"type": "object",
			"properties": map[string]any{"id": map[string]any{"type": "string"}, "name": map[string]any{"type": "string"}}}}}}
	for _, typ := range []string{"application/json; charset=utf-8", "Application/JSON", "application/vnd.widgets+json; charset=utf-8"} {
		t.Run(typ, func(t *testing.T) {
			item := map[string]any{"post": map[string]any{
				"requestBody": map[string]any{"required": true, "content": map[string]any{typ: map[string]any{
					"schema": map[string]any{"type": "object", "required": []any{"name"},
						"properties": map[string]any{"name": map[string]any{"type": "string"}}}}}},
				"responses": map[string]any{"201": map[string]any{"description": "ok",
					"content": map[string]any{typ: map[string]any{"schema": rows}}}},
			}}
			tl, _ := widgetTool(t, miniDoc("3.0.3", item, nil), "post_widgets")
			inputProp(t, tl, "name")
			if !strings.Contains(string(tl.OutputSchema), `"name"`) {
				t.Errorf("the output schema does not describe the response's rows: %s", tl.OutputSchema)
			}
		})
	}
}

func TestExclusiveBoundsOf30And31AreEnforced(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		version string
		schema  map[string]any
	}{
		{"3.0.3", map[string]any{"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true}},
		{"3.1.0", map[string]any{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}},
	} {
		t.Run(c.version, func(t *testing.T) {
			item := map[string]any{"get": map[string]any{
				"parameters": []any{map[string]any{"name": "share", "in": "query", "schema": c.schema}},
				"responses":  okResponse,
			}}
			tl, _ := widgetTool(t, miniDoc(c.version, item, nil), "list_widgets")
			for v, ok := range map[float64]bool{0: false, 0.5: true, 1: false} {
				err := tl.Validate(map[string]any{"share": v})
				if (err == nil) != ok {
					t.Errorf("share %v: Validate = %v, want accepted %v", v, err, ok)
				}
			}
			err := tl.Validate(map[string]any{"share": 0.0})
			if err == nil || !strings.Contains(err.Error(), "must be > 0") || !strings.Contains(err.Error(), "allowed: number, above 0, below 1") {
				t.Errorf("Validate(share 0) = %v, want it to say > 0 and what is allowed", err)
			}
		})
	}
}

func TestLengthsWrittenAsDecimalsOrHugeAreKept(t *testing.T) {
	t.Parallel()
	item := map[string]any{"get": map[string]any{
		"parameters": []any{
			map[string]any{"name": "q", "in": "query", "schema": json.RawMessage(`{"type": "string", "minLength": 2.0, "maxLength": 1e1}`)},
			map[string]any{"name": "note", "in": "query", "schema": json.RawMessage(`{"type": "string", "maxLength": 18446744073709551615}`)},
			map[string]any{"name": "tags", "in": "query", "schema": json.RawMessage(`{"type": "array", "items": {"type": "string"}, "maxItems": 1e30}`)},
		},
		"responses": okResponse,
	}}
	tl, cat := widgetTool(t, miniDoc("3.0.3", item, nil), "list_widgets")
	if len(cat.Problems()) != 0 {
		t.Errorf("problems: %v", cat.Problems())
	}
	if err := tl.Validate(map[string]any{"q": "a"}); err == nil || !strings.Contains(err.Error(), "length must be >= 2") {
		t.Errorf("Validate(q a) = %v, want minLength 2.0 enforced", err)
	}
	if err := tl.Validate(map[string]any{"q": strings.Repeat("é", 10), "note": strings.Repeat("x", 1000), "tags": []any{"a"}}); err != nil {
		t.Errorf("Validate = %v, want ten characters within maxLength 1e1 and huge maxima no bound", err)
	}
}

func TestReadOnlyPropertiesAreNotArgumentsAndWriteOnlyOnesNotRequiredInAnswers(t *testing.T) {
	t.Parallel()
	widget := map[string]any{"type": "object", "required": []any{"id", "name", "secret"}, "properties": map[string]any{
		"id":     map[string]any{"type": "string", "readOnly": true},
		"name":   map[string]any{"type": "string"},
		"secret": map[string]any{"type": "string", "writeOnly": true},
	}}
	item := map[string]any{"post": map[string]any{
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": widget}}},
		"responses": map[string]any{"201": map[string]any{"description": "ok", "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"type": "object", "properties": map[string]any{"data": widget}}}}}},
	}}
	tl, _ := widgetTool(t, miniDoc("3.0.3", item, nil), "post_widgets")
	if err := tl.Validate(map[string]any{"name": "n", "secret": "s"}); err != nil {
		t.Errorf("Validate without the readOnly id = %v", err)
	}
	if err := tl.Validate(map[string]any{"name": "n", "secret": "s", "id": "x"}); err == nil {
		t.Errorf("the readOnly id is taken as an argument: %s", tl.InputSchema)
	}
	if !strings.Contains(string(tl.OutputSchema), `"required":["id","name"]`) {
		t.Errorf("the output schema's data does not require id and name only: %s", tl.OutputSchema)
	}
}
