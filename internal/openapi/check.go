package openapi

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Check reports the first reason an operation of item cannot be described
// faithfully, or nil. It checks what a conversion relies on:
//   - the operation has responses (3.0 requires them), and at least one;
//   - every parameter (the path item's and the operation's) has a name,
//     a valid in, required: true when in the path, a style and explode
//     its location allows, and exactly one of schema and content (with
//     one media type); no name appears twice for the same in;
//   - a request body has content;
//   - every schema the operation reaches has known types ("null" only in
//     3.1), and a default of one of its types.
//
// It does not check what the conversion does not read: descriptions,
// examples, patterns (the validator reports those it cannot compile),
// formats, security, callbacks, links.
func (d *Document) Check(item *PathItem, op *Operation) error {
	c := checker{v31: d.Is31(), seen: map[*Schema]bool{}}
	switch {
	case op.Responses == nil && !c.v31:
		return errors.New("responses: the operation has no responses")
	case op.Responses != nil && len(op.Responses) == 0:
		return errors.New("responses: the responses object must contain at least one response code")
	}
	if err := c.parameters(item.Parameters); err != nil {
		return at("path item parameters", err)
	}
	if err := c.parameters(op.Parameters); err != nil {
		return at("parameters", err)
	}
	if b := op.RequestBody; b != nil {
		if b.Content == nil {
			return errors.New("requestBody: content is required")
		}
		if err := c.content(b.Content); err != nil {
			return at("requestBody.content", err)
		}
	}
	for _, code := range sortedKeys(op.Responses) {
		r := op.Responses[code]
		if err := c.content(r.Content); err != nil {
			return at("responses."+code+".content", err)
		}
		for _, name := range sortedKeys(r.Headers) {
			if err := c.schema(r.Headers[name].Schema); err != nil {
				return at("responses."+code+".headers."+name+".schema", err)
			}
		}
	}
	return nil
}

type checker struct {
	v31  bool
	seen map[*Schema]bool
}

func (c *checker) parameters(list []*Parameter) error {
	dup := map[[2]string]bool{}
	for i, p := range list {
		key := [2]string{p.In, p.Name}
		if dup[key] {
			return fmt.Errorf("%s parameter %q appears twice", p.In, p.Name)
		}
		dup[key] = true
		if err := c.parameter(p); err != nil {
			return at(strconv.Itoa(i), err)
		}
	}
	return nil
}

func (c *checker) parameter(p *Parameter) error {
	if p.Name == "" {
		return errors.New("the parameter has no name")
	}
	switch p.In {
	case "path", "query", "header", "cookie":
	default:
		return fmt.Errorf("parameter %q: in is %q, not path, query, header or cookie", p.Name, p.In)
	}
	if p.In == "path" && !p.Required {
		return fmt.Errorf("path parameter %q must be required", p.Name)
	}
	if !styleAllowed(p) {
		return fmt.Errorf("parameter %q: style %q with explode %v is not defined for a %s parameter", p.Name, p.Style, explode(p), p.In)
	}
	switch {
	case (p.Schema == nil) == (len(p.Content) == 0):
		return fmt.Errorf("parameter %q must have exactly one of schema and content", p.Name)
	case len(p.Content) > 1:
		return fmt.Errorf("parameter %q: content must have only one media type", p.Name)
	}
	if err := c.schema(p.Schema); err != nil {
		return at(p.Name+".schema", err)
	}
	return at(p.Name+".content", c.content(p.Content))
}

// explode is a parameter's explode, defaulted as OpenAPI says.
func explode(p *Parameter) bool {
	if p.Explode != nil {
		return *p.Explode
	}
	return p.Style == "" || p.Style == "form" || p.Style == "deepObject"
}

// styleAllowed reports whether OpenAPI defines the parameter's style (and
// explode) for its location.
func styleAllowed(p *Parameter) bool {
	switch p.In {
	case "path":
		return p.Style == "" || p.Style == "simple" || p.Style == "label" || p.Style == "matrix"
	case "query":
		switch p.Style {
		case "", "form", "spaceDelimited", "pipeDelimited":
			return true
		case "deepObject":
			return explode(p)
		}
		return false
	case "header":
		return p.Style == "" || p.Style == "simple"
	case "cookie":
		return p.Style == "" || p.Style == "form"
	}
	return false
}

func (c *checker) content(ct Content) error {
	for _, typ := range sortedKeys(ct) {
		if mt := ct[typ]; mt != nil {
			if err := c.schema(mt.Schema); err != nil {
				return at(typ+".schema", err)
			}
		}
	}
	return nil
}

// schema checks s and the schemas in it, each once.
func (c *checker) schema(s *Schema) error {
	if s == nil || c.seen[s] {
		return nil
	}
	c.seen[s] = true
	for _, t := range s.Type {
		switch t {
		case "string", "number", "integer", "boolean", "array", "object":
		case "null":
			if !c.v31 {
				return errors.New(`type "null" is OpenAPI 3.1's (3.0 has nullable: true)`)
			}
		default:
			return fmt.Errorf("unknown type %q", t)
		}
	}
	if s.Default != nil && len(s.Type) > 0 && !ofTypes(s.Default, s.Type) {
		return fmt.Errorf("default %v is not of type %v", s.Default, []string(s.Type))
	}
	if err := c.schema(s.Items); err != nil {
		return at("items", err)
	}
	if err := c.schema(s.AdditionalProperties.Schema); err != nil {
		return at("additionalProperties", err)
	}
	if err := c.schema(s.Not); err != nil {
		return at("not", err)
	}
	for _, name := range sortedKeys(s.Properties) {
		if err := c.schema(s.Properties[name]); err != nil {
			return at("properties."+name, err)
		}
	}
	for _, list := range []struct {
		name    string
		schemas []*Schema
	}{{"allOf", s.AllOf}, {"oneOf", s.OneOf}, {"anyOf", s.AnyOf}} {
		for i, sub := range list.schemas {
			if err := c.schema(sub); err != nil {
				return at(list.name+"."+strconv.Itoa(i), err)
			}
		}
	}
	return nil
}

// ofTypes reports whether the JSON value v (as encoding/json decodes it)
// is of one of the types.
func ofTypes(v any, types Types) bool {
	for _, t := range types {
		switch x := v.(type) {
		case string:
			if t == "string" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case float64:
			if t == "number" || t == "integer" && x == math.Trunc(x) {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case map[string]any:
			if t == "object" {
				return true
			}
		}
	}
	return false
}
