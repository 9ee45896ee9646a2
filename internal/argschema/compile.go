package argschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Compile compiles the JSON Schema document raw. It fails with a
// *CompileError for a keyword outside the subset (see the package doc), a
// keyword whose value is not of the kind it takes, or a pattern Go's
// regexp cannot compile; with a plain error for bytes that are not one
// JSON value.
func Compile(raw []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("argschema: the schema is not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("argschema: the schema is followed by more data")
	}
	return compile(doc, "")
}

// annotation reports whether keyword k does not constrain a value, and
// the JSON kind its value must be ("" for any). A switch rather than a
// map: nothing is built at package initialisation.
func annotation(k string) (kind string, ok bool) {
	switch k {
	case "title", "description", "$comment", "format":
		return "string", true
	case "default":
		return "", true
	case "examples":
		return "array", true
	case "deprecated", "readOnly", "writeOnly":
		return "boolean", true
	}
	return "", false
}

func compile(doc any, loc string) (*Schema, error) {
	s := &Schema{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	switch d := doc.(type) {
	case bool:
		s.never = !d
		return s, nil
	case map[string]any:
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := s.keyword(k, d[k], loc); err != nil {
				return nil, err
			}
		}
		return s, nil
	default:
		return nil, &CompileError{Location: loc, Reason: fmt.Sprintf("a schema must be a JSON object or a boolean, not %s", kindOf(doc))}
	}
}

// keyword compiles one keyword of the schema at loc into s.
func (s *Schema) keyword(k string, v any, loc string) error {
	bad := func(format string, a ...any) error {
		return &CompileError{Location: loc, Keyword: k, Reason: fmt.Sprintf(format, a...)}
	}
	var err error
	switch k {
	case "type":
		err = s.compileType(v, loc)
	case "enum":
		vals, ok := v.([]any)
		if !ok {
			return bad("want an array, got %s", kindOf(v))
		}
		s.enum, s.hasEnum = vals, true
		s.enumText = enumMessage(vals)
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
		n, ok := v.(json.Number)
		if !ok {
			return bad("want a number, got %s", kindOf(v))
		}
		f, perr := strconv.ParseFloat(string(n), 64)
		if perr != nil {
			return bad("%s is out of range", n)
		}
		b := &bound{f: f, text: string(n)}
		switch k {
		case "minimum":
			s.min = b
		case "maximum":
			s.max = b
		case "exclusiveMinimum":
			s.exclMin = b
		default:
			s.exclMax = b
		}
	case "minLength", "maxLength", "minItems", "maxItems":
		n, ok := count(v)
		if !ok {
			return bad("want a non-negative integer, got %s", display(v))
		}
		switch k {
		case "minLength":
			s.minLen = n
		case "maxLength":
			s.maxLen = n
		case "minItems":
			s.minItems = n
		default:
			s.maxItems = n
		}
	case "pattern":
		p, ok := v.(string)
		if !ok {
			return bad("want a string, got %s", kindOf(v))
		}
		if s.pattern, err = compilePattern(p); err != nil {
			return bad("%v", err)
		}
		s.patternText = p
	case "items":
		s.items, err = compile(v, loc+"/items")
	case "additionalProperties":
		s.additional, err = compile(v, loc+"/additionalProperties")
	case "properties":
		props, ok := v.(map[string]any)
		if !ok {
			return bad("want an object, got %s", kindOf(v))
		}
		s.props = make(map[string]*Schema, len(props))
		for n, p := range props {
			if s.props[n], err = compile(p, loc+"/properties/"+pointerEscape(n)); err != nil {
				return err
			}
			s.propNames = append(s.propNames, n)
		}
		sort.Strings(s.propNames)
	case "required":
		names, ok := v.([]any)
		if !ok {
			return bad("want an array of strings, got %s", kindOf(v))
		}
		for _, n := range names {
			name, ok := n.(string)
			if !ok {
				return bad("want an array of strings, got an item %s", display(n))
			}
			if slices.Contains(s.required, name) {
				return bad("%q is listed twice", name)
			}
			s.required = append(s.required, name)
		}
	default:
		want, ok := annotation(k)
		if !ok {
			return bad("not supported (tollgate's argument validator implements %s)", supported())
		}
		if want != "" && kindOf(v) != want {
			return bad("want %s, got %s", article(want), kindOf(v))
		}
	}
	return err
}

// compileType compiles the value of the type keyword.
func (s *Schema) compileType(v any, loc string) error {
	bad := func(format string, a ...any) error {
		return &CompileError{Location: loc, Keyword: "type", Reason: fmt.Sprintf(format, a...)}
	}
	var names []any
	switch t := v.(type) {
	case string:
		names = []any{t}
	case []any:
		if len(t) == 0 {
			return bad("want at least one type name")
		}
		names = t
	default:
		return bad("want a type name or an array of them, got %s", kindOf(v))
	}
	var texts []string
	for _, n := range names {
		name, _ := n.(string)
		t := typeOfName(name)
		if t == 0 {
			return bad("%s is not a JSON Schema type", display(n))
		}
		if s.types&t != 0 {
			return bad("%q is listed twice", name)
		}
		s.types |= t
		texts = append(texts, name)
	}
	s.typeText = strings.Join(texts, " or ")
	return nil
}

// count is v as the non-negative integer a length keyword takes (1.0 is
// 1, as in JSON Schema). A count beyond an int is the largest int: no
// value is that long.
func count(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 0); err == nil {
		return int(i), i >= 0
	}
	f, err := strconv.ParseFloat(string(n), 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && f > 0, err == nil && f >= math.MaxInt:
		return math.MaxInt, true
	case err != nil || f < 0 || f != math.Trunc(f):
		return 0, false
	}
	return int(f), true
}

// enumMessage is what a value outside vals is told.
func enumMessage(vals []any) string {
	if len(vals) == 1 {
		return "value must be " + display(vals[0])
	}
	texts := make([]string, 0, min(len(vals), maxEnumShown))
	for _, v := range vals[:min(len(vals), maxEnumShown)] {
		texts = append(texts, display(v))
	}
	msg := "value must be one of " + strings.Join(texts, ", ")
	if len(vals) > maxEnumShown {
		msg += fmt.Sprintf(", … (%d values in all; the schema's enum lists them)", len(vals))
	}
	return msg
}

// maxEnumShown bounds how many values of an enum a message lists: a
// live document's enum of thousands would make every refusal as long.
const maxEnumShown = 20

// supported lists the keywords Compile implements, for its errors.
func supported() string {
	kws := []string{"type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
		"minItems", "maxItems", "items", "properties", "required", "additionalProperties",
		// the annotations (see annotation), sorted
		"$comment", "default", "deprecated", "description", "examples", "format", "readOnly", "title", "writeOnly"}
	return strings.Join(kws, ", ")
}

// pointerEscape escapes a property name for a JSON Pointer.
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// article is "a string", "an array", ...
func article(kind string) string {
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "an " + kind
	}
	return "a " + kind
}
