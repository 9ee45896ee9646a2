package openapi_test

import (
	"errors"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

// FuzzLoad holds that Load and Check end without panicking on any input,
// and that an error is always an *openapi.Error. The seeds run with the
// tests; go test -fuzz=FuzzLoad ./internal/openapi/ explores.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `{"openapi":"3.0.3"}`,
		string(doc("3.0.3", `{"/a/{id}": {"parameters": [{"$ref": "#/components/parameters/P"}], "get": {"responses": {"200": {"$ref": "#/components/responses/R"}}}}}`,
			`{"parameters": {"P": {"name": "id", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/S"}}},
			 "responses": {"R": {"description": "x", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}}},
			 "schemas": {"S": {"type": ["object", "null"], "properties": {"s": {"$ref": "#/components/schemas/S"}}, "allOf": [{"$ref": "#/components/schemas/S"}], "additionalProperties": {"$ref": "#/components/schemas/S"}}}}`)),
		string(doc("3.1.0", `{"/a": {"post": {"requestBody": {"content": {"application/json": null}}, "responses": {"2XX": {"description": "x", "headers": {"H": {"schema": {"const": 1}}}}}}}}`, "")),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := openapi.Load(b)
		if err != nil {
			var oe *openapi.Error
			if !errors.As(err, &oe) {
				t.Fatalf("Load = %T %v, want an *openapi.Error", err, err)
			}
			return
		}
		for _, path := range d.SortedPaths() {
			item := d.Paths[path]
			for _, mo := range item.Operations() {
				_ = d.Check(item, mo.Operation)
			}
		}
	})
}
