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
