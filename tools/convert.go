package tools

import (
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

// Conversion of OpenAPI parameters and schemas into the JSON Schema of a
// tool's arguments. What the converter does not understand is reported
// (a reason string), so that Parse can leave an optional parameter out, or
// an operation whose required parameter it cannot send, instead of
// rejecting the whole document.

// maxSchemaDepth bounds how deep a schema is converted: a recursive
// schema (a tree of folders) would otherwise never end. Deeper levels
// accept anything; the API validates its own arguments.
const maxSchemaDepth = 6

// paramSchema is the argument schema of a path or query parameter, or a
// reason why tollgate cannot send it.
func paramSchema(p *openapi.Parameter) (map[string]any, string) {
	if p.Schema == nil {
		return nil, "it has no schema (content-encoded parameters are not supported)"
	}
	s := jsonSchema(p.Schema, 0)
	typ, _ := s["type"].(string)
	switch {
	case p.In == "query" && typ == "object":
		return nil, "object-valued query parameters are not supported"
	case p.In == "query" && typ == "array":
		if items, ok := s["items"].(map[string]any); ok {
			if it, _ := items["type"].(string); it == "object" || it == "array" {
				return nil, "query arrays of objects or arrays are not supported"
			}
		}
	case p.In == "path" && typ != "integer" && typ != "number":
		s["type"] = "string"
		s["minLength"] = 1
	}
	if p.Description != "" {
		s["description"] = p.Description
	}
	return s, ""
}

// body is the properties of a JSON request body that become arguments.
type body struct {
	props    map[string]*openapi.Schema
	required []string
}

// bodySchema returns the properties of a JSON request body (merging
// allOf), or a reason why tollgate cannot send it as arguments.
func bodySchema(rb *openapi.RequestBody) (body, string) {
	b := body{props: map[string]*openapi.Schema{}}
	mt := rb.Content.JSON()
	if mt == nil {
		return b, "it is not JSON (" + strings.Join(rb.Content.Types(), ", ") + ")"
	}
	if mt.Schema == nil {
		return b, ""
	}
	var collect func(s *openapi.Schema, depth int)
	collect = func(s *openapi.Schema, depth int) {
		if depth > maxSchemaDepth {
			return
		}
		for n, p := range s.Properties {
			b.props[n] = p
		}
		b.required = append(b.required, s.Required...)
		for _, sub := range s.AllOf {
			collect(sub, depth+1)
		}
	}
	s := mt.Schema
	collect(s, 0)
	notObject := len(s.Type) > 0 && !s.Type.Is("object")
	if len(b.props) == 0 && (len(s.OneOf) > 0 || len(s.AnyOf) > 0 || notObject) {
		return b, "a body that is not an object with properties (oneOf, anyOf, an array) is not supported"
	}
	return b, ""
}

// jsonSchema converts an OpenAPI 3.0 schema into the JSON Schema subset
// MCP hosts and OpenAI function calling accept.
func jsonSchema(s *openapi.Schema, depth int) map[string]any {
	out := map[string]any{}
	if depth > maxSchemaDepth {
		return out
	}
	if typ := s.Type.Single(); typ != "" {
		out["type"] = typ
		if s.Nullable {
			out["type"] = []any{typ, "null"}
		}
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	if len(s.Enum) > 0 {
		out["enum"] = s.Enum
	}
	if s.Default != nil {
		out["default"] = s.Default
	}
	if s.Min != nil {
		out["minimum"] = *s.Min
	}
	if s.Max != nil {
		out["maximum"] = *s.Max
	}
	if s.ExclusiveMin != nil {
		out["exclusiveMinimum"] = *s.ExclusiveMin
	}
	if s.ExclusiveMax != nil {
		out["exclusiveMaximum"] = *s.ExclusiveMax
	}
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.Format == "date-time" || s.Format == "date" {
		out["format"] = s.Format
	}
	if s.MinItems > 0 {
		out["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		out["maxItems"] = *s.MaxItems
	}
	if s.Items != nil {
		out["items"] = jsonSchema(s.Items, depth+1)
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for n, p := range s.Properties {
			props[n] = jsonSchema(p, depth+1)
		}
		out["properties"] = props
		if len(s.Required) > 0 {
			out["required"] = s.Required
		}
	}
	return out
}

// dropPatterns removes every pattern of an argument schema; it reports
// whether there was one.
func dropPatterns(s map[string]any) bool {
	_, had := s["pattern"]
	delete(s, "pattern")
	if items, ok := s["items"].(map[string]any); ok {
		had = dropPatterns(items) || had
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for _, p := range props {
			if m, ok := p.(map[string]any); ok {
				had = dropPatterns(m) || had
			}
		}
	}
	return had
}

// pathParams returns the names of a path template's parameters.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		for {
			i := strings.IndexByte(seg, '{')
			j := strings.IndexByte(seg, '}')
			if i < 0 || j < i {
				break
			}
			out = append(out, seg[i+1:j])
			seg = seg[j+1:]
		}
	}
	return out
}
