package argschema_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tollgate-mcp/tollgate/internal/argschema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustCompile(t *testing.T, schema string) *argschema.Schema {
	t.Helper()
	s, err := argschema.Compile([]byte(schema))
	if err != nil {
		t.Fatalf("Compile(%s): %v", schema, err)
	}
	return s
}

// problems renders Validate's answer as "field: message" lines, in order.
func problems(s *argschema.Schema, v any) []string {
	var out []string
	for _, p := range s.Validate(v) {
		out = append(out, p.Field()+": "+p.Message)
	}
	return out
}

func TestCompileRejectsWhatItDoesNotImplement(t *testing.T) {
	for _, c := range []struct {
		name, schema      string
		location, keyword string
		reason            string // part of Reason
	}{
		{"an unknown keyword at the root", `{"type":"object","multipleOf":1}`, "", "multipleOf", "not supported"},
		{"a combinator in a property", `{"properties":{"q":{"oneOf":[{"type":"string"}]}}}`, "/properties/q", "oneOf", "not supported"},
		{"a reference in items", `{"properties":{"ids":{"items":{"$ref":"#/x"}}}}`, "/properties/ids/items", "$ref", "not supported"},
		{"a keyword in additionalProperties", `{"additionalProperties":{"const":1}}`, "/additionalProperties", "const", "not supported"},
		{"a property name that needs escaping", `{"properties":{"a/b~":{"anyOf":[]}}}`, "/properties/a~1b~0", "anyOf", "not supported"},
		{"$schema (another draft)", `{"$schema":"http://json-schema.org/draft-07/schema#"}`, "", "$schema", "not supported"},
		{"a pattern Go cannot compile", `{"properties":{"q":{"pattern":"(?<=a)b"}}}`, "/properties/q", "pattern", "Go can compile"},
		{"an unknown type", `{"type":"int"}`, "", "type", "not a JSON Schema type"},
		{"a type listed twice", `{"type":["string","string"]}`, "", "type", "twice"},
		{"an empty type list", `{"type":[]}`, "", "type", "at least one"},
		{"a negative length", `{"minLength":-1}`, "", "minLength", "non-negative integer"},
		{"a fractional count", `{"maxItems":1.5}`, "", "maxItems", "non-negative integer"},
		{"a minimum that is a string", `{"minimum":"1"}`, "", "minimum", "want a number"},
		{"an enum that is not an array", `{"enum":"a"}`, "", "enum", "want an array"},
		{"required names that are not strings", `{"required":[1]}`, "", "required", "strings"},
		{"a property schema that is a number", `{"properties":{"q":1}}`, "/properties/q", "", "JSON object or a boolean"},
		{"an annotation of the wrong kind", `{"description":1}`, "", "description", "want a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := argschema.Compile([]byte(c.schema))
			var ce *argschema.CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%s) = %v, want a *CompileError", c.schema, err)
			}
			if ce.Location != c.location || ce.Keyword != c.keyword || !strings.Contains(ce.Reason, c.reason) {
				t.Errorf("CompileError = %+v, want location %q, keyword %q, reason mentioning %q", *ce, c.location, c.keyword, c.reason)
			}
			if c.keyword != "" && !strings.Contains(err.Error(), `"`+c.keyword+`"`) {
				t.Errorf("message %q does not name the keyword", err)
			}
		})
	}
}

func TestCompileRejectsWhatIsNotOneJSONValue(t *testing.T) {
	for _, raw := range []string{``, `{"type":`, `{} {}`, `"a"`} {
		if _, err := argschema.Compile([]byte(raw)); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", raw)
		}
	}
}

func TestCompileAcceptsAnnotationsAndBooleanSchemas(t *testing.T) {
	s := mustCompile(t, `{"title":"t","description":"d","$comment":"c","default":{"a":1},"examples":[1],
		"format":"date-time","deprecated":true,"readOnly":false,"writeOnly":false,
		"properties":{"yes":true,"no":false}}`)
	if got := problems(s, map[string]any{"yes": 1, "other": "x"}); got != nil {
		t.Errorf("problems = %q, want none", got)
	}
	if got, want := problems(s, map[string]any{"no": 1}), []string{"no: not allowed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	// format is an annotation, as in 2020-12 without format assertion.
	if got := problems(mustCompile(t, `{"format":"date-time"}`), "not a date"); got != nil {
		t.Errorf("format asserted: %q", got)
	}
}

// TestEachKeyword checks what each keyword accepts and how it words a
// refusal.
func TestEachKeyword(t *testing.T) {
	for _, c := range []struct {
		name, schema string
		value        any
		want         []string // nil: accepted
	}{
		{"type accepts its type", `{"type":"string"}`, "a", nil},
		{"type refuses another", `{"type":"integer"}`, "ten", []string{": got string, want integer"}},
		{"a fraction is not an integer", `{"type":"integer"}`, 2.5, []string{": got number, want integer"}},
		{"1.0 is an integer", `{"type":"integer"}`, 1.0, nil},
		{"json.Number 1.0 is an integer", `{"type":"integer"}`, json.Number("1.0"), nil},
		{"json.Number 1e2 is an integer", `{"type":"integer"}`, json.Number("1e2"), nil},
		{"json.Number 1.5 is not", `{"type":"integer"}`, json.Number("1.5"), []string{": got number, want integer"}},
		{"an integer is a number", `{"type":"number"}`, 3, nil},
		{"a nullable type takes null", `{"type":["string","null"]}`, nil, nil},
		{"a nullable type names both", `{"type":["string","null"]}`, 1, []string{": got number, want string or null"}},
		{"null is not a string", `{"type":"string"}`, nil, []string{": got null, want string"}},
		{"enum accepts a member", `{"enum":["a","b"]}`, "b", nil},
		{"enum refuses others", `{"type":"string","enum":["a","b"]}`, "c", []string{`: value must be one of "a", "b"`}},
		{"enum of one", `{"enum":["a"]}`, "c", []string{`: value must be "a"`}},
		{"enum compares numbers by value", `{"enum":[1,2]}`, 2.0, nil},
		{"enum refuses null unless listed", `{"type":["string","null"],"enum":["a"]}`, nil, []string{`: value must be "a"`}},
		{"enum of arrays", `{"enum":[[1,"a"]]}`, []any{1, "a"}, nil},
		{"enum of objects", `{"enum":[{"a":1}]}`, map[string]any{"a": json.Number("1")}, nil},
		{"minimum", `{"minimum":1}`, 0, []string{": must be >= 1 but got 0"}},
		{"minimum at the bound", `{"minimum":1}`, 1, nil},
		{"maximum", `{"maximum":100}`, 500.0, []string{": must be <= 100 but got 500"}},
		{"maximum is exact beyond float64", `{"maximum":100}`, json.Number("100.0000000000000001"), []string{": must be <= 100 but got 100.0000000000000001"}},
		{"maximum with an equal decimal", `{"maximum":100}`, json.Number("1e2"), nil},
		{"range keywords ignore strings", `{"minimum":1}`, "0", nil},
		{"exclusiveMinimum refuses the bound", `{"exclusiveMinimum":0}`, 0, []string{": must be > 0 but got 0"}},
		{"exclusiveMinimum takes what is above", `{"exclusiveMinimum":0}`, json.Number("0.0000000000000000001"), nil},
		{"exclusiveMaximum refuses the bound", `{"exclusiveMaximum":1.5}`, 1.5, []string{": must be < 1.5 but got 1.5"}},
		{"exclusiveMaximum takes what is below", `{"exclusiveMaximum":1.5}`, 1, nil},
		{"minLength", `{"minLength":1}`, "", []string{": length must be >= 1, but got 0"}},
		{"maxLength counts characters", `{"maxLength":3}`, "héé", nil},
		{"maxLength counts characters, not UTF-16 units", `{"maxLength":1}`, "😀", nil},
		{"maxLength beyond an int", `{"maxLength":18446744073709551616}`, "x", nil},
		{"maxItems beyond a float64's integers", `{"maxItems":1e400}`, []any{1}, nil},
		{"minLength 2.0", `{"minLength":2.0}`, "x", []string{": length must be >= 2, but got 1"}},
		{"maxLength", `{"maxLength":200}`, strings.Repeat("x", 300), []string{": length must be <= 200, but got 300"}},
		{"pattern matches anywhere", `{"pattern":"[0-9]"}`, "ab1", nil},
		{"pattern refuses", `{"pattern":"^[A-Za-z]{2}$"}`, "USA", []string{`: "USA" does not match pattern "^[A-Za-z]{2}$"`}},
		{"minItems", `{"minItems":1}`, []any{}, []string{": must have at least 1 item(s), but has 0"}},
		{"maxItems", `{"maxItems":1}`, []any{1, 2}, []string{": must have at most 1 item(s), but has 2"}},
		{"items", `{"items":{"type":"string"}}`, []any{"a", 3, "b", true}, []string{"1: got number, want string", "3: got boolean, want string"}},
		{"items of []string", `{"items":{"minLength":2}}`, []string{"ab", "c"}, []string{"1: length must be >= 2, but got 1"}},
		{"required", `{"required":["q"]}`, map[string]any{}, []string{": missing property 'q'"}},
		{"required, several", `{"required":["q","b"]}`, map[string]any{}, []string{": missing properties 'q', 'b'"}},
		{"properties", `{"properties":{"n":{"type":"integer"}}}`, map[string]any{"n": "x", "m": "y"}, []string{"n: got string, want integer"}},
		{"additionalProperties false", `{"properties":{"q":{}},"additionalProperties":false}`, map[string]any{"q": 1, "zap": 1, "foo": 2},
			[]string{": additional properties 'foo', 'zap' not allowed"}},
		{"additionalProperties false, one", `{"additionalProperties":false}`, map[string]any{"foo": 1},
			[]string{": additional property 'foo' not allowed"}},
		{"additionalProperties schema", `{"additionalProperties":{"type":"integer"}}`, map[string]any{"a": 1, "b": "x"},
			[]string{"b: got string, want integer"}},
		{"object keywords ignore arrays", `{"required":["q"]}`, []any{}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := problems(mustCompile(t, c.schema), c.value); !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems of %#v = %q, want %q", c.value, got, c.want)
			}
		})
	}
}

// TestEveryProblemIsReportedWithItsPath checks that Validate goes on
// after a problem and names nested values by their path.
func TestEveryProblemIsReportedWithItsPath(t *testing.T) {
	s := mustCompile(t, `{"type":"object","additionalProperties":false,"required":["q","limit"],
		"properties":{
			"q":{"type":"string","minLength":1}, "limit":{},
			"page":{"type":"integer","minimum":1,"maximum":10},
			"items":{"type":"array","maxItems":2,"items":{"type":"object","required":["name"],
				"properties":{"name":{"type":"string","maxLength":3},"tags":{"items":{"enum":["x"]}}}}}}}`)
	got := problems(s, map[string]any{
		"page":  json.Number("0"),
		"bogus": true,
		"items": []any{
			map[string]any{"name": "long name", "tags": []any{"x", "y"}},
			map[string]any{},
			map[string]any{"name": 1},
		},
	})
	want := []string{
		": missing properties 'q', 'limit'",
		"items: must have at most 2 item(s), but has 3",
		"items.0.name: length must be <= 3, but got 9",
		`items.0.tags.1: value must be "x"`,
		"items.1: missing property 'name'",
		"items.2.name: got number, want string",
		"page: must be >= 1 but got 0",
		": additional property 'bogus' not allowed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
	if p := s.Validate(map[string]any{"items": []any{map[string]any{"name": 1}}, "q": "a", "limit": 1}); len(p) != 1 ||
		!reflect.DeepEqual(p[0].Path, []string{"items", "0", "name"}) {
		t.Errorf("Path = %+v, want [items 0 name]", p)
	}
}

// TestGoValuesAreReadAsTheirJSON checks the values a Go caller passes
// that encoding/json would not have made.
func TestGoValuesAreReadAsTheirJSON(t *testing.T) {
	type point struct {
		X int `json:"x"`
	}
	s := mustCompile(t, `{"properties":{
		"n":{"type":"integer","maximum":10},
		"f":{"type":"number","minimum":0},
		"m":{"type":"object","properties":{"a":{"type":"string"}}},
		"p":{"type":"object","required":["x"],"properties":{"x":{"maximum":1}}},
		"s":{"type":"string","enum":["on"]},
		"any":{}}}`)
	type onOff string
	for _, c := range []struct {
		name string
		args map[string]any
		want []string
	}{
		{"Go ints", map[string]any{"n": int8(3)}, nil},
		{"a uint above the maximum", map[string]any{"n": uint64(11)}, []string{"n: must be <= 10 but got 11"}},
		{"an int64 beyond float64's precision", map[string]any{"n": int64(math.MaxInt64)}, []string{"n: must be <= 10 but got 9223372036854775807"}},
		{"float32", map[string]any{"f": float32(-0.5)}, []string{"f: must be >= 0 but got -0.5"}},
		{"NaN", map[string]any{"f": math.NaN()}, []string{"f: NaN is not a JSON number"}},
		{"a json.Number that is not one", map[string]any{"f": json.Number("0x10")}, []string{`f: "0x10" is not a JSON number`}},
		{"map[string]string", map[string]any{"m": map[string]string{"a": "x"}}, nil},
		{"a struct", map[string]any{"p": point{X: 2}}, []string{"p.x: must be <= 1 but got 2"}},
		{"a named string type", map[string]any{"s": onOff("off")}, []string{`s: value must be "on"`}},
		{"a value JSON cannot encode", map[string]any{"s": make(chan int)}, []string{"s: cannot be read as JSON: json: unsupported type: chan int"}},
		{"anything where nothing is asked", map[string]any{"any": point{}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := problems(s, c.args); !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}

func TestLongValuesAreCutInMessages(t *testing.T) {
	s := mustCompile(t, `{"pattern":"^a$"}`)
	p := s.Validate(strings.Repeat("é", 500))
	if len(p) != 1 || len(p[0].Message) > 150 || !strings.Contains(p[0].Message, "…") {
		t.Errorf("problems = %+v, want one message with the value cut short", p)
	}
}

// TestPatternsMeanWhatECMA262Says checks that a pattern is enforced as
// ECMA-262 (JSON Schema's dialect) reads it, or refused where Go's
// regexp would read it otherwise.
func TestPatternsMeanWhatECMA262Says(t *testing.T) {
	for _, c := range []struct {
		pattern string
		value   string
		ok      bool
	}{
		{`^\\s$`, "\u00a0", true},
		{`^\\s$`, "\u000b", true},
		{`^\\s$`, "\ufeff", true},
		{`^[^\\s]+$`, "a\u2003b", false},
		{`^\\S+$`, "a\u3000b", false},
		{`^\\S+$`, "ab", true},
		{`^.$`, "\r", false},
		{`^.$`, "\u2028", false},
		{`^.$`, "é", true},
		{`^[.]$`, ".", true},
		{`^\\p{Lu}+$`, "ÉA", true},
		{`^(?:ab)+$`, "abab", true},
		{`^(?<year>[0-9]{4})$`, "2024", true},
	} {
		s := mustCompile(t, `{"pattern":"`+c.pattern+`"}`)
		if got := len(s.Validate(c.value)) == 0; got != c.ok {
			t.Errorf("pattern %s on %q: accepted %v, want %v", c.pattern, c.value, got, c.ok)
		}
	}
	for _, c := range []struct{ pattern, says string }{
		{`\\Aab`, `\\A`},
		{`ab\\z`, `\\z`},
		{`\\Q.\\E`, `\\Q`},
		{`(?i)abc`, "(?flags)"},
		{`(?s:.)`, "(?flags)"},
		{`(?P<n>a)`, "(?P<name>"},
		{`[[:alpha:]]`, "POSIX"},
		{`\\pL`, "without braces"},
		{`\\x{41}`, `\x{...}`},
		{`[]a]`, "[]"},
		{`[\\S\\d]`, `\S inside a class`},
		{`(?=a)b`, "Go can compile"},
		{`(a)\\1`, "Go can compile"},
	} {
		_, err := argschema.Compile([]byte(`{"pattern":"` + c.pattern + `"}`))
		var ce *argschema.CompileError
		if !errors.As(err, &ce) || ce.Keyword != "pattern" || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Compile(pattern %s) = %v, want a pattern error saying %s", c.pattern, err, c.says)
		}
	}
	// A refusal quotes the pattern as the schema wrote it.
	got := problems(mustCompile(t, `{"pattern":"^\\S+$"}`), "a b")
	if want := []string{`: "a b" does not match pattern "^\\S+$"`}; !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestAnEnormousEnumIsNotListedWholeInARefusal(t *testing.T) {
	vals := make([]string, 5000)
	for i := range vals {
		vals[i] = `"v` + strings.Repeat("x", i%7) + `"`
	}
	got := problems(mustCompile(t, `{"enum":[`+strings.Join(vals, ",")+`]}`), "nope")
	if len(got) != 1 || len(got[0]) > 400 || !strings.Contains(got[0], "5000 values in all") {
		t.Errorf("problems = %q (%d bytes), want one short message counting the values", got, len(got[0]))
	}
}
