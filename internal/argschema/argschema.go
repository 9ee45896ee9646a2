// Package argschema compiles and checks the JSON Schema subset that
// tollgate writes for tool arguments, and nothing more.
//
// The subset is what the converter, the overlay and the local tools emit
// (draft 2020-12 semantics): type (a name or a list of names), enum,
// minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers, as in
// 2020-12), minLength, maxLength, pattern, minItems, maxItems,
// items, properties, required and additionalProperties, boolean schemas,
// and the annotations title, description, default, examples, format (an
// annotation only, as in 2020-12 without format assertion), $comment,
// deprecated, readOnly and writeOnly.
//
// A pattern is ECMA-262's, as JSON Schema says: Compile enforces it with
// Go's regexp where the two read it alike, and refuses it where they do
// not (see pattern.go).
//
// Compile rejects any other keyword, naming it and where it is, so that a
// schema tollgate declares to a model and what it enforces can never
// drift apart: a converter that starts writing a new keyword fails at
// compile time instead of silently accepting what the schema forbids.
//
// Validate walks the arguments as encoding/json decodes them (float64 or
// json.Number numbers) or as a Go caller builds them (any int or float,
// []string, and any other value through its JSON encoding) and reports
// every problem, each with the path of the value it is about.
package argschema

import (
	"regexp"
	"strconv"
	"strings"
)

// A Schema is a compiled argument schema. It is immutable and safe for
// concurrent use.
type Schema struct {
	// never marks the boolean schema false; an empty Schema is true.
	never bool

	types    typeSet // 0: any type
	typeText string  // "integer or null", for messages

	enum     []any // nil: no enum; values as the schema's JSON decodes
	hasEnum  bool
	enumText string // the message when the enum fails

	min, max         *bound
	exclMin, exclMax *bound

	minLen, maxLen     int            // -1: none
	pattern            *regexp.Regexp // the ECMA-262 pattern in Go's syntax
	patternText        string         // the pattern as the schema writes it
	minItems, maxItems int            // -1: none
	items              *Schema

	props     map[string]*Schema
	propNames []string // sorted
	required  []string
	// additional applies to properties not in props; nil allows any.
	additional *Schema
}

// bound is a minimum or maximum: its value and its text in the schema
// (the exact decimal, used to break ties and in messages).
type bound struct {
	f    float64
	text string
}

// A Problem is one way the arguments break the schema.
type Problem struct {
	// Path leads from the arguments to the value at fault: property
	// names and array indexes; empty for the arguments themselves.
	Path []string
	// Message says what is wrong, for a person or a model to act on,
	// e.g. "got string, want integer" or "must be <= 100 but got 500".
	Message string
}

// Field is the Path joined with dots ("items.0.name"), "" for the root.
func (p Problem) Field() string { return strings.Join(p.Path, ".") }

// A CompileError is a schema that Compile cannot enforce.
type CompileError struct {
	// Location is the JSON Pointer of the schema at fault within the
	// compiled document ("" for the root, "/properties/limit", ...).
	Location string
	// Keyword is the keyword at fault; "" when the schema itself is not
	// a JSON object or boolean.
	Keyword string
	// Reason says what is wrong with it.
	Reason string
}

func (e *CompileError) Error() string {
	where := e.Location
	if where == "" {
		where = "the root"
	}
	if e.Keyword == "" {
		return "argschema: schema at " + where + ": " + e.Reason
	}
	return "argschema: keyword " + strconv.Quote(e.Keyword) + " at " + where + ": " + e.Reason
}

// typeSet is a set of JSON Schema type names.
type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBoolean
	tObject
	tArray
	tNumber
	tString
	tInteger
)

// typeNames are the type names in the order messages list them.
var typeNames = []struct {
	name string
	t    typeSet
}{
	{"null", tNull}, {"boolean", tBoolean}, {"object", tObject}, {"array", tArray},
	{"number", tNumber}, {"string", tString}, {"integer", tInteger},
}

func typeOfName(name string) typeSet {
	for _, n := range typeNames {
		if n.name == name {
			return n.t
		}
	}
	return 0
}

func (t typeSet) String() string {
	for _, n := range typeNames {
		if n.t == t {
			return n.name
		}
	}
	return "unknown"
}
