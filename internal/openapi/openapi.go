// Package openapi reads the part of an OpenAPI 3.0 or 3.1 JSON document
// that tollgate turns into tools: the paths and their operations, their
// parameters, request bodies and responses, and the schemas of those,
// with local $refs resolved to shared pointers.
//
// It is not a general OpenAPI library. It reads JSON only (the API serves
// GET /v1/openapi.json), keeps only the fields tools' converter reads, and
// loads a document partially: a path item that cannot be read (a broken
// $ref, a value of the wrong JSON type) is reported in Document.Problems
// and left out, and the other paths are kept. Only a document with
// nothing usable is an error (see [Error]).
//
// Recursive schemas are kept as cycles of pointers: a consumer bounds the
// depth it walks to. Load's own work is bounded: a document nested
// deeper than [MaxNesting] is refused whole, and a chain of more than 32
// components that are only a $ref to the next is a problem of its path.
package openapi

import (
	"slices"
	"strconv"
	"strings"
)

// A Document is what Load read of an OpenAPI document.
type Document struct {
	// OpenAPI is the document's version, "3.0.3" or "3.1.0".
	OpenAPI string
	Info    Info
	// Paths are the path items that could be read, by path template.
	Paths map[string]*PathItem
	// Problems are the path items that could not be read, in path order;
	// they are not in Paths.
	Problems []Problem
}

// Is31 reports whether the document is OpenAPI 3.1 or later (which
// allows an operation without responses, and type "null").
func (d *Document) Is31() bool {
	return !strings.HasPrefix(d.OpenAPI, "3.0")
}

// SortedPaths returns the keys of Paths in order.
func (d *Document) SortedPaths() []string {
	keys := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	return keys
}

// A Problem is a path item Load could not read.
type Problem struct {
	// Path is the path template, e.g. "/v1/ads/{adId}".
	Path string
	// Err says what could not be read, and where.
	Err error
}

// Info is the document's info object.
type Info struct {
	Title   string `json:"title"`
	Version string `json:"version"`
}

// A PathItem is the operations of one path template and the parameters
// they share.
type PathItem struct {
	// Parameters apply to every operation of the path (an operation lists
	// its own in Operation.Parameters).
	Parameters []*Parameter `json:"parameters"`

	Get     *Operation `json:"get"`
	Put     *Operation `json:"put"`
	Post    *Operation `json:"post"`
	Delete  *Operation `json:"delete"`
	Options *Operation `json:"options"`
	Head    *Operation `json:"head"`
	Patch   *Operation `json:"patch"`
	Trace   *Operation `json:"trace"`

	Ref string `json:"$ref"`
}

// A MethodOperation is one operation of a path item and its method.
type MethodOperation struct {
	// Method is upper case: "GET".
	Method    string
	Operation *Operation
}

// Operations returns the path item's operations in the order of their
// method names (DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE).
func (p *PathItem) Operations() []MethodOperation {
	var out []MethodOperation
	for _, m := range []struct {
		name string
		op   *Operation
	}{
		{"DELETE", p.Delete}, {"GET", p.Get}, {"HEAD", p.Head}, {"OPTIONS", p.Options},
		{"PATCH", p.Patch}, {"POST", p.Post}, {"PUT", p.Put}, {"TRACE", p.Trace},
	} {
		if m.op != nil {
			out = append(out, MethodOperation{m.name, m.op})
		}
	}
	return out
}

// An Operation is one method of a path.
type Operation struct {
	OperationID string       `json:"operationId"`
	Summary     string       `json:"summary"`
	Description string       `json:"description"`
	Deprecated  bool         `json:"deprecated"`
	Parameters  []*Parameter `json:"parameters"`
	RequestBody *RequestBody `json:"requestBody"`
	// Responses is nil when the operation has none (3.0 requires them;
	// see Check).
	Responses Responses `json:"responses"`
}

// A Parameter is a path, query, header or cookie parameter.
type Parameter struct {
	Name        string `json:"name"`
	In          string `json:"in"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Deprecated  bool   `json:"deprecated"`
	Style       string `json:"style"`
	Explode     *bool  `json:"explode"`
	// Schema or Content describes the value (exactly one of them; see
	// Check).
	Schema  *Schema `json:"schema"`
	Content Content `json:"content"`

	Ref string `json:"$ref"`
}

// A RequestBody is an operation's request body.
type RequestBody struct {
	Description string  `json:"description"`
	Required    bool    `json:"required"`
	Content     Content `json:"content"`

	Ref string `json:"$ref"`
}

// Responses are an operation's responses by status code ("200", "2XX",
// "default").
type Responses map[string]*Response

// Status returns the response for the status code, or for its range
// ("2XX") when the document has no response for the code itself; nil
// when neither is there.
func (r Responses) Status(code int) *Response {
	if code < 100 || code > 599 {
		return nil
	}
	digits := strconv.Itoa(code)
	if v := r[digits]; v != nil {
		return v
	}
	return r[digits[:1]+"XX"]
}

// A Response is one response of an operation.
type Response struct {
	Description *string            `json:"description"`
	Headers     map[string]*Header `json:"headers"`
	Content     Content            `json:"content"`

	Ref string `json:"$ref"`
}

// A Header is a response header.
type Header struct {
	Description string  `json:"description"`
	Required    bool    `json:"required"`
	Deprecated  bool    `json:"deprecated"`
	Schema      *Schema `json:"schema"`
	Content     Content `json:"content"`

	Ref string `json:"$ref"`
}

// Content is a body's representations by media type.
type Content map[string]*MediaType

// Get returns the representation of a media type: the key equal to it,
// else one whose comma-separated media ranges list it or its range
// ("application/*", "*/*"), compared case-insensitively and without
// parameters on either side ("application/json; charset=utf-8" is
// application/json); nil when none.
func (c Content) Get(mime string) *MediaType {
	if v := c[mime]; v != nil {
		return v
	}
	base := mediaBase(mime)
	typ, _, ok := strings.Cut(base, "/")
	wants := []string{base}
	if ok {
		wants = append(wants, typ+"/*", "*/*")
	}
	keys := c.Types()
	for _, want := range wants {
		for _, k := range keys {
			for entry := range strings.SplitSeq(k, ",") {
				if mediaBase(entry) == want {
					return c[k]
				}
			}
		}
	}
	return nil
}

// JSON returns the JSON representation: application/json as Get finds
// it, else the first (in Types order) whose type is a +json one
// ("application/problem+json"); nil when there is none.
func (c Content) JSON() *MediaType {
	if v := c.Get("application/json"); v != nil {
		return v
	}
	for _, k := range c.Types() {
		if strings.HasSuffix(mediaBase(k), "+json") {
			return c[k]
		}
	}
	return nil
}

// mediaBase is a media type without its parameters, trimmed and in
// lower case: "application/json" of "Application/JSON; charset=utf-8".
func mediaBase(mime string) string {
	base, _, _ := strings.Cut(mime, ";")
	return strings.ToLower(strings.TrimSpace(base))
}

// Types returns the content's media types in order.
func (c Content) Types() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// A MediaType is one representation of a body.
type MediaType struct {
	Schema *Schema `json:"schema"`
}
