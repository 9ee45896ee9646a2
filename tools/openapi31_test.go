package tools_test

import (
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/tools"
)

// An OpenAPI 3.1 document converts with 3.1's spellings: a type array
// with "null" is a nullable type, const is a one-value enum, and an
// operation may leave out responses. kin-openapi, which tools used
// before, checked operations by 3.0's rules and refused these.
func TestParseReadsAnOpenAPI31Document(t *testing.T) {
	t.Parallel()
	doc := `{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
		"/v1/widgets": {"get": {"summary": "List widgets",
			"parameters": [
				{"name": "colour", "in": "query", "schema": {"type": ["string", "null"]}},
				{"name": "kind", "in": "query", "schema": {"const": "round"}}]}}}}`
	cat, err := tools.Parse([]byte(doc), "test")
	if err != nil {
		t.Fatal(err)
	}
	w, ok := cat.Lookup("list_widgets")
	if !ok {
		t.Fatalf("list_widgets is not offered; problems: %v", cat.Problems())
	}
	for _, want := range []string{`"colour":{"type":["string","null"]}`, `"kind":{"enum":["round"]}`} {
		if !strings.Contains(string(w.InputSchema), want) {
			t.Errorf("input schema %s lacks %s", w.InputSchema, want)
		}
	}
	if err := w.Validate(map[string]any{"colour": nil, "kind": "round"}); err != nil {
		t.Errorf("Validate refuses a null colour: %v", err)
	}
}

func TestParseRefusesAYAMLDocument(t *testing.T) {
	t.Parallel()
	_, err := tools.Parse([]byte("openapi: 3.0.3\ninfo:\n  title: t\n  version: '1'\npaths: {}\n"), "test")
	if err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("Parse = %v, want it refused as not JSON", err)
	}
}
