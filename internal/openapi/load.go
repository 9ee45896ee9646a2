package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ErrorKind says why a document cannot be used at all.
type ErrorKind int

// Kinds of Error.
const (
	// NotJSON: the document is not a JSON object (YAML, HTML, empty).
	NotJSON ErrorKind = iota + 1
	// Malformed: the document's top level has the wrong JSON types, or
	// no path item of it can be read.
	Malformed
	// NotOpenAPI3: openapi is missing or not 3.x (a Swagger 2 document).
	NotOpenAPI3
	// NoInfo: the info object is missing, or has no title or version.
	NoInfo
	// NoPaths: the document has no paths.
	NoPaths
)

// An Error is a document Load cannot use at all.
type Error struct {
	Kind ErrorKind
	// Version is the document's openapi field (for NotOpenAPI3).
	Version string
	// Err is the underlying cause, if any: a JSON error, the first
	// path's problem.
	Err error
	msg string
}

func (e *Error) Error() string { return "openapi: " + e.Detail() }

// Detail is the error's message without the package's name.
func (e *Error) Detail() string {
	if e.Err != nil {
		return e.msg + ": " + e.Err.Error()
	}
	return e.msg
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads an OpenAPI 3.0 or 3.1 JSON document. A path item that cannot
// be read is listed in the result's Problems; an error (always an
// *Error) means nothing of the document is usable.
func Load(doc []byte) (*Document, error) {
	trimmed := bytes.TrimLeft(doc, " \t\r\n\ufeff")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &Error{Kind: NotJSON, msg: "the document is not a JSON object (" + startOf(trimmed) +
			"); tollgate reads the JSON form of OpenAPI documents only"}
	}
	if depth := nesting(trimmed); depth > MaxNesting {
		return nil, &Error{Kind: Malformed, msg: fmt.Sprintf("the document nests objects and arrays %d deep, more than the %d tollgate reads", depth, MaxNesting)}
	}
	var top struct {
		OpenAPI    json.RawMessage            `json:"openapi"`
		Info       json.RawMessage            `json:"info"`
		Paths      map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas       map[string]json.RawMessage `json:"schemas"`
			Parameters    map[string]json.RawMessage `json:"parameters"`
			RequestBodies map[string]json.RawMessage `json:"requestBodies"`
			Responses     map[string]json.RawMessage `json:"responses"`
			Headers       map[string]json.RawMessage `json:"headers"`
		} `json:"components"`
	}
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, &Error{Kind: Malformed, msg: "the document does not parse", Err: err}
	}
	d := &Document{}
	if len(top.OpenAPI) > 0 {
		if json.Unmarshal(top.OpenAPI, &d.OpenAPI) != nil {
			d.OpenAPI = string(top.OpenAPI)
		}
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		return nil, &Error{Kind: NotOpenAPI3, Version: d.OpenAPI, msg: fmt.Sprintf("not an OpenAPI 3 document (openapi %q)", d.OpenAPI)}
	}
	if len(top.Info) == 0 || bytes.Equal(top.Info, []byte("null")) {
		return nil, &Error{Kind: NoInfo, msg: "no info"}
	}
	if err := json.Unmarshal(top.Info, &d.Info); err != nil {
		return nil, &Error{Kind: NoInfo, msg: "info", Err: err}
	}
	switch {
	case d.Info.Title == "":
		return nil, &Error{Kind: NoInfo, msg: "info: value of title must be a non-empty string"}
	case d.Info.Version == "":
		return nil, &Error{Kind: NoInfo, msg: "info: value of version must be a non-empty string"}
	}
	if len(top.Paths) == 0 {
		return nil, &Error{Kind: NoPaths, msg: "the document has no paths"}
	}
	c := top.Components
	r := &resolver{
		schemas:    newKind[Schema]("schemas", c.Schemas),
		parameters: newKind[Parameter]("parameters", c.Parameters),
		bodies:     newKind[RequestBody]("requestBodies", c.RequestBodies),
		responses:  newKind[Response]("responses", c.Responses),
		headers:    newKind[Header]("headers", c.Headers),
	}
	d.Paths = make(map[string]*PathItem, len(top.Paths))
	for _, path := range sortedKeys(top.Paths) {
		item, err := r.pathItem(top.Paths[path])
		if err != nil {
			d.Problems = append(d.Problems, Problem{Path: path, Err: err})
			continue
		}
		d.Paths[path] = item
	}
	if len(d.Paths) == 0 {
		p := d.Problems[0]
		return nil, &Error{Kind: Malformed, msg: fmt.Sprintf("no path item can be read (%d problems; first: %s)", len(d.Problems), p.Path),
			Err: p.Err}
	}
	return d, nil
}

// MaxNesting bounds how deep a document's objects and arrays nest (a
// real one nests about a dozen deep). Reading a schema costs time in
// proportion to its size times its depth, so a hostile document of
// thousands of nested schemas would take seconds or minutes; Load
// refuses one deeper than this at once, as Malformed.
const MaxNesting = 128

// nesting is how deep the objects and arrays of the JSON text b nest at
// most (b need not be valid: the decoder reports what else is wrong).
func nesting(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func startOf(b []byte) string {
	if len(b) == 0 {
		return "it is empty"
	}
	s := []rune(string(b[:min(len(b), 40)]))
	if len(s) > 20 {
		s = s[:20]
	}
	return "it starts with " + strconv.Quote(string(s))
}

// resolver reads path items and the components they refer to, each
// component once.
type resolver struct {
	schemas    *kind[Schema]
	parameters *kind[Parameter]
	bodies     *kind[RequestBody]
	responses  *kind[Response]
	headers    *kind[Header]
}

func (r *resolver) pathItem(raw json.RawMessage) (*PathItem, error) {
	item := new(PathItem)
	if err := json.Unmarshal(raw, item); err != nil {
		return nil, jsonError(err)
	}
	if item.Ref != "" {
		return nil, fmt.Errorf("$ref %q: path items by reference are not supported", item.Ref)
	}
	if err := r.parameterList(item.Parameters); err != nil {
		return nil, at("parameters", err)
	}
	for _, m := range item.Operations() {
		if err := r.operation(m.Operation); err != nil {
			return nil, at(strings.ToLower(m.Method), err)
		}
	}
	return item, nil
}

func (r *resolver) operation(op *Operation) error {
	if err := r.parameterList(op.Parameters); err != nil {
		return at("parameters", err)
	}
	if op.RequestBody != nil {
		if err := r.bodies.resolve(&op.RequestBody, r.body); err != nil {
			return at("requestBody", err)
		}
	}
	for _, code := range sortedKeys(op.Responses) {
		p := op.Responses[code]
		if p == nil {
			return at("responses", at(code, errors.New("the response is null")))
		}
		if err := r.responses.resolve(&p, r.response); err != nil {
			return at("responses", at(code, err))
		}
		op.Responses[code] = p
	}
	return nil
}

func (r *resolver) parameterList(list []*Parameter) error {
	for i := range list {
		if list[i] == nil {
			return at(strconv.Itoa(i), errors.New("the parameter is null"))
		}
		if err := r.parameters.resolve(&list[i], r.parameter); err != nil {
			return at(strconv.Itoa(i), err)
		}
	}
	return nil
}

func (r *resolver) parameter(p *Parameter) error {
	if err := r.optSchema(&p.Schema); err != nil {
		return at("schema", err)
	}
	return at("content", r.content(p.Content))
}

func (r *resolver) body(b *RequestBody) error { return at("content", r.content(b.Content)) }

func (r *resolver) response(resp *Response) error {
	for _, name := range sortedKeys(resp.Headers) {
		h := resp.Headers[name]
		if h == nil {
			return at("headers", at(name, errors.New("the header is null")))
		}
		if err := r.headers.resolve(&h, r.header); err != nil {
			return at("headers", at(name, err))
		}
		resp.Headers[name] = h
	}
	return at("content", r.content(resp.Content))
}

func (r *resolver) header(h *Header) error {
	if err := r.optSchema(&h.Schema); err != nil {
		return at("schema", err)
	}
	return at("content", r.content(h.Content))
}

func (r *resolver) content(c Content) error {
	for _, typ := range sortedKeys(c) {
		mt := c[typ]
		if mt == nil {
			continue
		}
		if err := r.optSchema(&mt.Schema); err != nil {
			return at(typ, at("schema", err))
		}
	}
	return nil
}

// optSchema resolves *s when there is one.
func (r *resolver) optSchema(s **Schema) error {
	if *s == nil {
		return nil
	}
	return r.schemas.resolve(s, r.schema)
}

// subSchema resolves a schema a keyword requires (an element of allOf).
func (r *resolver) subSchema(s **Schema) error {
	if *s == nil {
		return errors.New("the schema is null")
	}
	return r.schemas.resolve(s, r.schema)
}

// schema resolves the schemas inside s (s's own $ref is resolve's).
func (r *resolver) schema(s *Schema) error {
	if err := s.normalize(); err != nil {
		return err
	}
	if err := r.optSchema(&s.Items); err != nil {
		return at("items", err)
	}
	if err := r.optSchema(&s.Not); err != nil {
		return at("not", err)
	}
	if err := r.optSchema(&s.AdditionalProperties.Schema); err != nil {
		return at("additionalProperties", err)
	}
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		if err := r.subSchema(&p); err != nil {
			return at("properties", at(name, err))
		}
		s.Properties[name] = p
	}
	for _, list := range []struct {
		name    string
		schemas []*Schema
	}{{"allOf", s.AllOf}, {"oneOf", s.OneOf}, {"anyOf", s.AnyOf}} {
		for i := range list.schemas {
			if err := r.subSchema(&list.schemas[i]); err != nil {
				return at(list.name, at(strconv.Itoa(i), err))
			}
		}
	}
	return nil
}

// maxRefChain bounds a chain of components that are only a $ref to
// another.
const maxRefChain = 32

// kind is one section of components: its raw entries, and those already
// read, which every reference shares.
type kind[T any] struct {
	name string
	raw  map[string]json.RawMessage
	done map[string]*T
	errs map[string]error
}

func newKind[T any](name string, raw map[string]json.RawMessage) *kind[T] {
	return &kind[T]{name: name, raw: raw, done: map[string]*T{}, errs: map[string]error{}}
}

// refOf returns the $ref of a value of any of the component types.
func refOf(v any) string {
	switch x := v.(type) {
	case *Schema:
		return x.Ref
	case *Parameter:
		return x.Ref
	case *RequestBody:
		return x.Ref
	case *Response:
		return x.Ref
	case *Header:
		return x.Ref
	}
	return ""
}

// resolve makes *v what it refers to when it is a $ref, else fills in
// what is inside it.
func (k *kind[T]) resolve(v **T, fill func(*T) error) error {
	if ref := refOf(*v); ref != "" {
		target, err := k.get(ref, fill, 0)
		if err != nil {
			return err
		}
		*v = target
		return nil
	}
	return fill(*v)
}

// get returns the component ref names, read and filled in once.
func (k *kind[T]) get(ref string, fill func(*T) error, chain int) (*T, error) {
	name, err := componentName(ref, k.name)
	if err != nil {
		return nil, err
	}
	if v, ok := k.done[name]; ok {
		return v, nil
	}
	if err, ok := k.errs[name]; ok {
		return nil, err
	}
	raw, ok := k.raw[name]
	if !ok {
		return nil, fmt.Errorf("$ref %q: there is no such component", ref)
	}
	fail := func(err error) (*T, error) {
		delete(k.done, name)
		k.errs[name] = err
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return fail(fmt.Errorf("$ref %q: %w", ref, jsonError(err)))
	}
	if next := refOf(v); next != "" {
		if chain >= maxRefChain {
			return fail(fmt.Errorf("$ref %q: a chain of more than %d references (a loop?)", ref, maxRefChain))
		}
		target, err := k.get(next, fill, chain+1)
		if err != nil {
			return fail(err)
		}
		k.done[name] = target
		return target, nil
	}
	// Known before it is filled in, so that a recursive schema refers to
	// itself.
	k.done[name] = v
	if err := fill(v); err != nil {
		return fail(fmt.Errorf("$ref %q: %w", ref, err))
	}
	return v, nil
}

// componentName returns the name a local $ref gives in components'
// section kind: the URI fragment's percent-encoding (%20) and then the
// JSON pointer's escapes (~1, ~0) undone, as RFC 6901 orders them.
func componentName(ref, kind string) (string, error) {
	prefix := "#/components/" + kind + "/"
	name, ok := strings.CutPrefix(ref, prefix)
	if ok {
		unescaped, err := url.PathUnescape(name)
		if err != nil {
			return "", fmt.Errorf("$ref %q: a bad percent-encoding: %v", ref, err)
		}
		name = unescaped
	}
	switch {
	case !ok && !strings.HasPrefix(ref, "#"):
		return "", fmt.Errorf("$ref %q: only references inside the document are supported", ref)
	case !ok:
		return "", fmt.Errorf("$ref %q: a reference here must point into %s", ref, strings.TrimSuffix(prefix, "/"))
	case name == "" || strings.Contains(name, "/"):
		return "", fmt.Errorf("$ref %q: a reference must name a component, not a part of one", ref)
	}
	return strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~"), nil
}

// at puts where an error happened before it ("get: responses: 200: ...").
func at(where string, err error) error {
	if err == nil {
		return nil
	}
	var loc *locError
	if errors.As(err, &loc) && loc == err {
		return &locError{where: where + "." + loc.where, err: loc.err}
	}
	return &locError{where: where, err: err}
}

// locError is an error and where in a path item it happened.
type locError struct {
	where string
	err   error
}

func (e *locError) Error() string { return e.where + ": " + e.err.Error() }
func (e *locError) Unwrap() error { return e.err }

// jsonError words a JSON type error without encoding/json's Go names.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Errorf("%s: a JSON %s where the document must have a %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		}
		return fmt.Errorf("a JSON %s where the document must have a %s", te.Value, jsonKind(te.Type.Kind().String()))
	}
	return err
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	case "uint64", "uint", "uint32":
		return "non-negative integer"
	case "int", "int64", "int32":
		return "integer"
	case "float64", "float32":
		return "number"
	}
	return goKind
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
