package mcpserver

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/argschema/argschematest"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestDynamicToolArgumentsAgreeWithSanthosh checks the input schemas of
// the dynamic-mode tools the way tools' differential test checks the
// catalogue's: tollgate's validator and santhosh-tekuri/jsonschema accept
// and refuse the same arguments and name the same fields.
func TestDynamicToolArgumentsAgreeWithSanthosh(t *testing.T) {
	t.Parallel()
	argSets := []map[string]any{
		nil, {}, {"bogus": 1.0}, {"name": "search_ads"}, {"name": 1.0}, {"name": nil}, {"name": []any{"x"}},
		{"query": "tiktok"}, {"query": 3.0, "toolset": "nope"}, {"toolset": "ads"}, {"toolset": nil},
		{"name": "search_ads", "arguments": map[string]any{"search": "x"}}, {"name": "x", "arguments": "x"},
		{"name": "x", "arguments": []any{}, "extra": true},
	}
	for _, tl := range dynamicTools(tools.BuiltIn()) {
		o, err := argschematest.NewOracle(tl.Name, tl.InputSchema)
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range argSets {
			raw, _ := json.Marshal(args)
			want, err := o.Fields(args)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var ae *tools.ArgumentError
			if err := tl.Validate(args); errors.As(err, &ae) {
				for _, p := range ae.Problems {
					got = append(got, p.Field)
				}
			} else if err != nil {
				t.Fatalf("%s.Validate(%s) = %v", tl.Name, raw, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: fields at fault %q, santhosh says %q", tl.Name, raw, got, want)
			}
		}
	}
}
