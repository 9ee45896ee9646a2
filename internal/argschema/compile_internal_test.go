package argschema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestSupportedListsWhatCompileTakes holds the keyword list that compile
// errors quote to the keywords compile accepts: every name it lists
// compiles (with a value of the right kind), and the annotations among
// them are the ones annotation knows.
func TestSupportedListsWhatCompileTakes(t *testing.T) {
	values := map[string]any{"type": "string", "enum": []any{"a"}, "minimum": json.Number("1"), "maximum": json.Number("1"),
		"exclusiveMinimum": json.Number("1"), "exclusiveMaximum": json.Number("1"), "minLength": json.Number("1"),
		"maxLength": json.Number("1"), "pattern": "a", "minItems": json.Number("1"), "maxItems": json.Number("1"), "items": map[string]any{},
		"properties": map[string]any{}, "required": []any{}, "additionalProperties": false}
	names := strings.Split(supported(), ", ")
	var annotations []string
	for _, k := range names {
		v, constraint := values[k]
		if !constraint {
			kind, ok := annotation(k)
			if !ok {
				t.Errorf("supported lists %q, which is neither a constraint nor an annotation", k)
				continue
			}
			annotations = append(annotations, k)
			v = map[string]any{"string": "x", "array": []any{}, "boolean": true, "": nil}[kind]
		}
		if _, err := compile(map[string]any{k: v}, ""); err != nil {
			t.Errorf("supported lists %q, but compile refuses it: %v", k, err)
		}
	}
	if !slices.IsSorted(annotations) || len(annotations) != 9 {
		t.Errorf("annotations listed: %v (want the 9 that annotation knows, sorted)", annotations)
	}
	if _, ok := annotation("minimum"); ok {
		t.Error("minimum is taken for an annotation")
	}
}
