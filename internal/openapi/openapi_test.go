package openapi_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// doc wraps paths (and components) in a minimal 3.0 document.
func doc(version, paths, components string) []byte {
	if components == "" {
		components = "{}"
	}
	return []byte(`{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":` + paths + `,"components":` + components + `}`)
}

func load(t *testing.T, b []byte) *openapi.Document {
	t.Helper()
	d, err := openapi.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadRefusesWhatIsNotAnOpenAPI3JSONDocument(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		kind      openapi.ErrorKind
		says      string
	}{
		{"empty", "", openapi.NotJSON, "it is empty"},
		{"YAML", "openapi: 3.0.3\ninfo:\n  title: x\n", openapi.NotJSON, `it starts with "openapi: 3.0.3\ninfo:`},
		{"HTML", "<html>oops</html>", openapi.NotJSON, "not a JSON object"},
		{"broken JSON", `{"openapi":"3.0.3",`, openapi.Malformed, "does not parse"},
		{"paths of the wrong type", `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":[]}`, openapi.Malformed, "does not parse"},
		{"Swagger 2", `{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{}}`, openapi.NotOpenAPI3, `openapi ""`},
		{"OpenAPI 4", `{"openapi":"4.0.0","info":{"title":"t","version":"1"},"paths":{}}`, openapi.NotOpenAPI3, `openapi "4.0.0"`},
		{"no info", `{"openapi":"3.0.3","paths":{"/a":{}}}`, openapi.NoInfo, "no info"},
		{"info without version", `{"openapi":"3.0.3","info":{"title":"t"},"paths":{"/a":{}}}`, openapi.NoInfo, "version"},
		{"info of the wrong type", `{"openapi":"3.0.3","info":"t","paths":{"/a":{}}}`, openapi.NoInfo, "info"},
		{"no paths", `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}`, openapi.NoPaths, "no paths"},
		{"no path readable", `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"parameters":{}}}}}`, openapi.Malformed, "/a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := openapi.Load([]byte(c.doc))
			var oe *openapi.Error
			if !errors.As(err, &oe) {
				t.Fatalf("Load = %v, want an *openapi.Error", err)
			}
			if oe.Kind != c.kind || !strings.Contains(err.Error(), c.says) {
				t.Errorf("Load = kind %d %q, want kind %d saying %q", oe.Kind, err, c.kind, c.says)
			}
		})
	}
}

func TestLoadReportsAPathThatDoesNotReadAndKeepsTheOthers(t *testing.T) {
	d := load(t, doc("3.0.3", `{
		"/ok": {"get": {"responses": {"200": {"description": "ok"}}}},
		"/broken-ref": {"get": {"responses": {"200": {"$ref": "#/components/responses/Nope"}}}},
		"/wrong-type": {"get": {"parameters": [{"name": "a", "in": "query", "required": "yes"}]}},
		"/external": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "other.json#/X"}}}}}}},
		"/wrong-section": {"parameters": [{"$ref": "#/components/schemas/P"}]},
		"/null-prop": {"post": {"requestBody": {"content": {"application/json": {"schema": {"properties": {"a": null}}}}}}}
	}`, `{"schemas": {"P": {"type": "string"}}}`))
	if len(d.Paths) != 1 || d.Paths["/ok"] == nil {
		t.Errorf("paths %v, want only /ok", d.SortedPaths())
	}
	want := map[string]string{
		"/broken-ref":    `get.responses.200: $ref "#/components/responses/Nope": there is no such component`,
		"/wrong-type":    "a JSON string where the document must have a boolean",
		"/external":      "only references inside the document",
		"/wrong-section": "must point into #/components/parameters",
		"/null-prop":     "post.requestBody.content.application/json.schema.properties.a: the schema is null",
	}
	if len(d.Problems) != len(want) {
		t.Errorf("problems %v, want %d", d.Problems, len(want))
	}
	for _, p := range d.Problems {
		if w, ok := want[p.Path]; !ok || !strings.Contains(p.Err.Error(), w) {
			t.Errorf("%s: %v, want it to say %q", p.Path, p.Err, w)
		}
	}
}

func TestLoadResolvesReferencesToSharedPointers(t *testing.T) {
	d := load(t, doc("3.0.3", `{
		"/a/{id}": {
			"parameters": [{"$ref": "#/components/parameters/Id"}],
			"get": {"parameters": [{"$ref": "#/components/parameters/Alias"}],
				"responses": {"200": {"$ref": "#/components/responses/Node"}, "4XX": {"$ref": "#/components/responses/Node"}}},
			"post": {"requestBody": {"$ref": "#/components/requestBodies/B"}, "responses": {"201": {"$ref": "#/components/responses/Node"}}}
		}
	}`, `{
		"parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/a~1b~0c"}},
			"Alias": {"$ref": "#/components/parameters/Q"}, "Q": {"name": "q", "in": "query", "schema": {"type": "string"}}},
		"requestBodies": {"B": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}},
		"responses": {"Node": {"description": "a node", "headers": {"X-Id": {"$ref": "#/components/headers/Id"}},
			"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}},
		"headers": {"Id": {"schema": {"type": "string"}}},
		"schemas": {"a/b~c": {"type": "string", "pattern": "^[a-z]+$"},
			"Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}
	}`))
	item := d.Paths["/a/{id}"]
	if item == nil {
		t.Fatalf("problems: %v", d.Problems)
	}
	if s := item.Parameters[0].Schema; s == nil || s.Pattern != "^[a-z]+$" {
		t.Errorf("the ~1 ~0 escapes: schema %+v", s)
	}
	if q := item.Get.Parameters[0]; q.Name != "q" {
		t.Errorf("a parameter that is a $ref to another: %+v", q)
	}
	node := item.Get.Responses.Status(200).Content.Get("application/json").Schema
	if node.Properties["children"].Items != node {
		t.Errorf("the recursive schema is not a cycle of one pointer")
	}
	if item.Get.Responses.Status(404) != item.Get.Responses.Status(200) || item.Post.Responses.Status(201) != item.Get.Responses.Status(200) {
		t.Errorf("one component is not one pointer (or 4XX does not answer 404)")
	}
	if item.Post.RequestBody.Content.Get("application/json").Schema != node {
		t.Errorf("the body's schema is not the shared Node")
	}
	if h := item.Get.Responses.Status(200).Headers["X-Id"]; h == nil || !h.Schema.Type.Is("string") {
		t.Errorf("header reference: %+v", h)
	}
	if got := item.Operations(); len(got) != 2 || got[0].Method != "GET" || got[1].Method != "POST" {
		t.Errorf("Operations = %+v", got)
	}
}

func TestLoadReadsTheSpellingsOf30And31Alike(t *testing.T) {
	d := load(t, doc("3.1.0", `{"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
		"type": "object",
		"additionalProperties": false,
		"properties": {
			"a": {"type": ["string", "null"]},
			"b": {"type": "string", "nullable": true},
			"c": {"const": "x"},
			"d": {"type": ["string", "integer"]},
			"e": {"additionalProperties": {"type": "integer"}}
		}}}}}}}}}`, ""))
	s := d.Paths["/a"].Get.Responses.Status(200).Content.Get("application/json").Schema
	p := s.Properties
	switch {
	case !p["a"].Type.Is("string") || !p["a"].Nullable:
		t.Errorf("a 3.1 type array with null: %+v", p["a"])
	case !p["b"].Type.Is("string") || !p["b"].Nullable:
		t.Errorf("3.0 nullable: %+v", p["b"])
	case len(p["c"].Enum) != 1 || p["c"].Enum[0] != "x":
		t.Errorf("const: %+v", p["c"])
	case p["d"].Type.Single() != "" || !p["d"].Type.Includes("integer"):
		t.Errorf("two types: %+v", p["d"].Type)
	case s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has:
		t.Errorf("additionalProperties false: %+v", s.AdditionalProperties)
	case p["e"].AdditionalProperties.Schema == nil || !p["e"].AdditionalProperties.Schema.Type.Is("integer"):
		t.Errorf("additionalProperties schema: %+v", p["e"].AdditionalProperties)
	}
}

func TestContentGetMatchesMediaRanges(t *testing.T) {
	mt := func() *openapi.MediaType { return &openapi.MediaType{} }
	exact, param, wild, list := mt(), mt(), mt(), mt()
	for _, c := range []struct {
		content openapi.Content
		ask     string
		want    *openapi.MediaType
	}{
		{openapi.Content{"application/json": exact}, "application/json", exact},
		{openapi.Content{"Application/JSON": exact}, "application/json", exact},
		{openapi.Content{"application/json; charset=utf-8": param, "text/csv": mt()}, "application/json; charset=utf-8", param},
		{openapi.Content{"application/*": wild}, "application/json", wild},
		{openapi.Content{"text/csv, application/json": list}, "application/json", list},
		{openapi.Content{"text/csv": mt()}, "application/json", nil},
		{openapi.Content{"application/json; charset=utf-8": param}, "application/json", param},
		{openapi.Content{"text/csv, Application/JSON ; charset=utf-8": list}, "application/json", list},
	} {
		if got := c.content.Get(c.ask); got != c.want {
			t.Errorf("%v.Get(%q) = %p, want %p", c.content.Types(), c.ask, got, c.want)
		}
	}
}

func TestContentJSONFindsJSONAndPlusJSONTypes(t *testing.T) {
	mt := func() *openapi.MediaType { return &openapi.MediaType{} }
	plain, problem, vnd := mt(), mt(), mt()
	for _, c := range []struct {
		content openapi.Content
		want    *openapi.MediaType
	}{
		{openapi.Content{"application/json; charset=utf-8": plain, "application/problem+json": problem}, plain},
		{openapi.Content{"application/vnd.api+json; charset=utf-8": vnd, "text/html": mt()}, vnd},
		{openapi.Content{"text/html": mt(), "application/xml": mt()}, nil},
	} {
		if got := c.content.JSON(); got != c.want {
			t.Errorf("%v.JSON() = %p, want %p", c.content.Types(), got, c.want)
		}
	}
}

func TestCheckRefusesAnOperationItCannotDescribe(t *testing.T) {
	ok := `"responses": {"200": {"description": "ok"}}`
	for _, c := range []struct {
		name, version, op string
		says              string // "" accepts
	}{
		{"a plain operation", "3.0.3", `{` + ok + `}`, ""},
		{"no responses in 3.0", "3.0.3", `{}`, "no responses"},
		{"no responses in 3.1", "3.1.0", `{}`, ""},
		{"empty responses", "3.1.0", `{"responses": {}}`, "at least one response code"},
		{"a parameter without a name", "3.0.3", `{"parameters": [{"in": "query", "schema": {"type": "string"}}], ` + ok + `}`, "no name"},
		{"a parameter in the body", "3.0.3", `{"parameters": [{"name": "a", "in": "body", "schema": {"type": "string"}}], ` + ok + `}`, `in is "body"`},
		{"an optional path parameter", "3.0.3", `{"parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}], ` + ok + `}`, "must be required"},
		{"schema and content", "3.0.3", `{"parameters": [{"name": "a", "in": "query", "schema": {"type": "string"}, "content": {"application/json": {}}}], ` + ok + `}`, "exactly one of schema and content"},
		{"neither schema nor content", "3.0.3", `{"parameters": [{"name": "a", "in": "query"}], ` + ok + `}`, "exactly one of schema and content"},
		{"two media types", "3.0.3", `{"parameters": [{"name": "a", "in": "query", "content": {"application/json": {}, "text/plain": {}}}], ` + ok + `}`, "only one media type"},
		{"a style of another location", "3.0.3", `{"parameters": [{"name": "a", "in": "query", "style": "matrix", "schema": {"type": "string"}}], ` + ok + `}`, `style "matrix"`},
		{"deepObject without explode", "3.0.3", `{"parameters": [{"name": "a", "in": "query", "style": "deepObject", "explode": false, "schema": {"type": "object"}}], ` + ok + `}`, "deepObject"},
		{"a duplicate parameter", "3.0.3", `{"parameters": [{"name": "a", "in": "query", "schema": {"type": "string"}}, {"name": "a", "in": "query", "schema": {"type": "string"}}], ` + ok + `}`, "appears twice"},
		{"one name in two places", "3.0.3", `{"parameters": [{"name": "a", "in": "query", "schema": {"type": "string"}}, {"name": "a", "in": "header", "schema": {"type": "string"}}], ` + ok + `}`, ""},
		{"a body without content", "3.0.3", `{"requestBody": {"required": true}, ` + ok + `}`, "content is required"},
		{"an unknown type", "3.0.3", `{"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"properties": {"a": {"type": "strnig"}}}}}}}}`, `unknown type "strnig"`},
		{"type null in 3.0", "3.0.3", `{"parameters": [{"name": "a", "in": "query", "schema": {"type": "null"}}], ` + ok + `}`, `type "null"`},
		{"type null in 3.1", "3.1.0", `{"parameters": [{"name": "a", "in": "query", "schema": {"type": "null"}}], ` + ok + `}`, ""},
		{"a default of another type", "3.0.3", `{"parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": "25"}}], ` + ok + `}`, "default 25 is not of type [integer]"},
		{"a fractional integer default", "3.0.3", `{"parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 2.5}}], ` + ok + `}`, "not of type"},
		{"a default of a nullable type's other type", "3.1.0", `{"parameters": [{"name": "a", "in": "query", "schema": {"type": ["integer", "string"], "default": "x"}}], ` + ok + `}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := load(t, doc(c.version, `{"/a": {"get": `+c.op+`}}`, ""))
			item := d.Paths["/a"]
			if item == nil {
				t.Fatalf("problems: %v", d.Problems)
			}
			err := d.Check(item, item.Get)
			switch {
			case c.says == "" && err != nil:
				t.Errorf("Check = %v, want it accepted", err)
			case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)):
				t.Errorf("Check = %v, want it to say %q", err, c.says)
			}
		})
	}
}

func TestCheckEndsOnARecursiveSchema(t *testing.T) {
	d := load(t, doc("3.0.3", `{"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/N"}}}}}}}}`,
		`{"schemas": {"N": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/N"}, "bad": {"type": "wat"}}}}}`))
	item := d.Paths["/a"]
	if err := d.Check(item, item.Get); err == nil || !strings.Contains(err.Error(), "properties.bad") {
		t.Errorf("Check = %v, want the bad property named", err)
	}
}

func TestLoadEndsOnALoopOfReferences(t *testing.T) {
	d := load(t, doc("3.0.3", `{
		"/loop": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
		"/ok": {"get": {"responses": {"200": {"description": "ok"}}}}
	}`, `{"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}`))
	if len(d.Problems) != 1 || d.Problems[0].Path != "/loop" || !strings.Contains(d.Problems[0].Err.Error(), "a loop?") {
		t.Errorf("problems %v, want /loop's reference loop", d.Problems)
	}
}

func TestLoadReadsExclusiveBoundsAndCountsOfBothVersions(t *testing.T) {
	d := load(t, doc("3.1.0", `{"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
		"properties": {
			"v30": {"type": "number", "minimum": 1, "exclusiveMinimum": true, "maximum": 9, "exclusiveMaximum": false},
			"v31": {"type": "number", "exclusiveMinimum": 1, "maximum": 9},
			"lengths": {"type": "string", "minLength": 2.0, "maxLength": 1e2},
			"huge": {"type": "array", "maxItems": 1e400}
		}}}}}}}}}`, ""))
	p := d.Paths["/a"].Get.Responses.Status(200).Content.JSON().Schema.Properties
	is := func(f *float64, want float64) bool { return f != nil && *f == want }
	switch {
	case p["v30"].Min != nil || !is(p["v30"].ExclusiveMin, 1) || !is(p["v30"].Max, 9) || p["v30"].ExclusiveMax != nil:
		t.Errorf("3.0 exclusiveMinimum: true: min %v exclusive %v", p["v30"].Min, p["v30"].ExclusiveMin)
	case p["v31"].Min != nil || !is(p["v31"].ExclusiveMin, 1) || !is(p["v31"].Max, 9):
		t.Errorf("3.1 exclusiveMinimum: 1: min %v exclusive %v", p["v31"].Min, p["v31"].ExclusiveMin)
	case p["lengths"].MinLength != 2 || p["lengths"].MaxLength == nil || *p["lengths"].MaxLength != 100:
		t.Errorf("minLength 2.0, maxLength 1e2: %v %v", p["lengths"].MinLength, p["lengths"].MaxLength)
	case p["huge"].MaxItems == nil || *p["huge"].MaxItems != math.MaxUint64:
		t.Errorf("maxItems 1e400: %v", p["huge"].MaxItems)
	}
	for bad, says := range map[string]string{
		`{"minLength": 1.5}`:                              "non-negative integer, not 1.5",
		`{"maxItems": -1}`:                                "non-negative integer, not -1",
		`{"maxLength": 1e-400}`:                           "non-negative integer, not 1e-400",
		`{"exclusiveMinimum": "0"}`:                       `exclusiveMinimum: "0" is neither a number (OpenAPI 3.1) nor a boolean (3.0)`,
		`{"exclusiveMaximum": [1]}`:                       "exclusiveMaximum",
		`{"properties": {"a": {"exclusiveMinimum": {}}}}`: "properties.a.exclusiveMinimum",
	} {
		d := load(t, doc("3.1.0", `{"/a": {"get": {"responses": {"200": {"description": "ok"}}}},
			"/b": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": `+bad+`}}}}}}}`, ""))
		if len(d.Problems) != 1 || !strings.Contains(d.Problems[0].Err.Error(), says) {
			t.Errorf("schema %s: problems %v, want one saying %q", bad, d.Problems, says)
		}
	}
}

func TestLoadUndoesTheEscapesOfAReference(t *testing.T) {
	d := load(t, doc("3.0.3", `{"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
		"properties": {
			"spaced": {"$ref": "#/components/schemas/My%20Widget"},
			"slashed": {"$ref": "#/components/schemas/a~1b"},
			"tilde": {"$ref": "#/components/schemas/c~0d%7E0e"}
		}}}}}}}}}`, `{"schemas": {"My Widget": {"type": "integer"}, "a/b": {"type": "string"}, "c~d~e": {"type": "boolean"}}}`))
	if len(d.Problems) != 0 {
		t.Fatalf("problems: %v", d.Problems)
	}
	p := d.Paths["/a"].Get.Responses.Status(200).Content.JSON().Schema.Properties
	if !p["spaced"].Type.Is("integer") || !p["slashed"].Type.Is("string") || !p["tilde"].Type.Is("boolean") {
		t.Errorf("resolved to %v, %v, %v", p["spaced"].Type, p["slashed"].Type, p["tilde"].Type)
	}
}

func TestLoadRefusesAHostilelyDeepDocumentAtOnce(t *testing.T) {
	n := 9000 // each level of additionalProperties is read again: seconds
	deep := strings.Repeat(`{"additionalProperties":`, n) + "{}" + strings.Repeat("}", n)
	_, err := openapi.Load(doc("3.0.3", `{"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": `+deep+`}}}}}}}`, ""))
	var oe *openapi.Error
	if !errors.As(err, &oe) || oe.Kind != openapi.Malformed || !strings.Contains(err.Error(), "more than the 128 tollgate reads") {
		t.Errorf("Load = %v, want Malformed naming the nesting limit", err)
	}
	// A string full of brackets is not nesting.
	load(t, doc("3.0.3", `{"/a": {"get": {"summary": "`+strings.Repeat(`{[\"`, 500)+`", "responses": {"200": {"description": "ok"}}}}}`, ""))
}
