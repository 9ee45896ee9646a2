package argschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validate reports every way v breaks s, in the order the schema finds
// them; none when v conforms. v is a JSON-like value: nil, bool, string,
// float64, json.Number, any Go int or float, map[string]any, []any or
// []string; any other value is validated as its JSON encoding reads (a
// value that cannot be encoded is a problem at its path).
//
// As in JSON Schema, a number with a zero fraction (1.0) is an integer.
// A keyword that does not apply to a value's type (minLength on a number)
// does not constrain it; when the type or the enum fails, the value's
// other keywords are not checked.
func (s *Schema) Validate(v any) []Problem {
	var vd validator
	s.check(&vd, v)
	return vd.problems
}

// validator collects the problems of one Validate and the path of the
// value being checked.
type validator struct {
	path     []string
	problems []Problem
}

func (vd *validator) add(msg string) {
	vd.problems = append(vd.problems, Problem{Path: slices.Clone(vd.path), Message: msg})
}

func (s *Schema) check(vd *validator, v any) {
	if s.never {
		vd.add("not allowed")
		return
	}
	var t typeSet
	switch x := v.(type) {
	case nil:
		t = tNull
	case bool:
		t = tBoolean
	case string:
		t = tString
	case map[string]any:
		t = tObject
	case []any:
		t = tArray
	case []string:
		arr := make([]any, len(x))
		for i, e := range x {
			arr[i] = e
		}
		v, t = arr, tArray
	case float64, float32, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		if msg := badNumber(x); msg != "" {
			vd.add(msg)
			return
		}
		t = tNumber
	default:
		nv, err := normalise(x)
		if err != nil {
			vd.add("cannot be read as JSON: " + err.Error())
			return
		}
		s.check(vd, nv)
		return
	}
	if s.types != 0 && s.types&t == 0 && (t != tNumber || s.types&tInteger == 0 || !isInteger(v)) {
		vd.add("got " + t.String() + ", want " + s.typeText)
		return
	}
	if s.hasEnum && !inEnum(v, s.enum) {
		vd.add(s.enumText)
		return
	}
	switch t {
	case tString:
		s.checkString(vd, v.(string))
	case tNumber:
		s.checkNumber(vd, v)
	case tObject:
		s.checkObject(vd, v.(map[string]any))
	case tArray:
		s.checkArray(vd, v.([]any))
	}
}

func (s *Schema) checkString(vd *validator, x string) {
	if s.minLen >= 0 || s.maxLen >= 0 {
		n := utf8.RuneCountInString(x)
		if s.minLen >= 0 && n < s.minLen {
			vd.add(fmt.Sprintf("length must be >= %d, but got %d", s.minLen, n))
		}
		if s.maxLen >= 0 && n > s.maxLen {
			vd.add(fmt.Sprintf("length must be <= %d, but got %d", s.maxLen, n))
		}
	}
	if s.pattern != nil && !s.pattern.MatchString(x) {
		vd.add(display(x) + " does not match pattern " + display(s.patternText))
	}
}

func (s *Schema) checkNumber(vd *validator, x any) {
	if s.min != nil && compare(x, s.min) < 0 {
		vd.add("must be >= " + s.min.text + " but got " + numText(x))
	}
	if s.max != nil && compare(x, s.max) > 0 {
		vd.add("must be <= " + s.max.text + " but got " + numText(x))
	}
	if s.exclMin != nil && compare(x, s.exclMin) <= 0 {
		vd.add("must be > " + s.exclMin.text + " but got " + numText(x))
	}
	if s.exclMax != nil && compare(x, s.exclMax) >= 0 {
		vd.add("must be < " + s.exclMax.text + " but got " + numText(x))
	}
}

func (s *Schema) checkArray(vd *validator, arr []any) {
	if s.minItems >= 0 && len(arr) < s.minItems {
		vd.add(fmt.Sprintf("must have at least %d item(s), but has %d", s.minItems, len(arr)))
	}
	if s.maxItems >= 0 && len(arr) > s.maxItems {
		vd.add(fmt.Sprintf("must have at most %d item(s), but has %d", s.maxItems, len(arr)))
	}
	if s.items == nil {
		return
	}
	for i, e := range arr {
		vd.path = append(vd.path, strconv.Itoa(i))
		s.items.check(vd, e)
		vd.path = vd.path[:len(vd.path)-1]
	}
}

func (s *Schema) checkObject(vd *validator, m map[string]any) {
	var missing []string
	for _, r := range s.required {
		if _, ok := m[r]; !ok {
			missing = append(missing, r)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		vd.add("missing property " + quoteName(missing[0]))
	default:
		vd.add("missing properties " + quoteNames(missing))
	}
	known := 0
	for _, n := range s.propNames {
		pv, ok := m[n]
		if !ok {
			continue
		}
		known++
		vd.path = append(vd.path, n)
		s.props[n].check(vd, pv)
		vd.path = vd.path[:len(vd.path)-1]
	}
	if s.additional == nil || known == len(m) {
		return
	}
	extra := make([]string, 0, len(m)-known)
	for k := range m {
		if _, ok := s.props[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if s.additional.never {
		if len(extra) == 1 {
			vd.add("additional property " + quoteName(extra[0]) + " not allowed")
		} else {
			vd.add("additional properties " + quoteNames(extra) + " not allowed")
		}
		return
	}
	for _, k := range extra {
		vd.path = append(vd.path, k)
		s.additional.check(vd, m[k])
		vd.path = vd.path[:len(vd.path)-1]
	}
}

// normalise is x as its JSON encoding decodes (numbers as json.Number).
func normalise(x any) (any, error) {
	raw, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}

// inEnum reports whether v equals one of vals, as JSON values.
func inEnum(v any, vals []any) bool {
	for _, e := range vals {
		if equal(v, e) {
			return true
		}
	}
	return false
}

// equal reports whether the instance value v equals the schema value e
// (as the schema's JSON decodes): numbers by value, arrays item by item,
// objects key by key.
func equal(v, e any) bool {
	switch e := e.(type) {
	case nil:
		return v == nil
	case bool:
		b, ok := v.(bool)
		return ok && b == e
	case string:
		s, ok := v.(string)
		return ok && s == e
	case json.Number:
		if !isNumber(v) {
			return false
		}
		f, _ := strconv.ParseFloat(string(e), 64)
		return compare(v, &bound{f: f, text: string(e)}) == 0
	case []any:
		switch a := v.(type) {
		case []any:
			if len(a) != len(e) {
				return false
			}
			for i := range a {
				if !equal(a[i], e[i]) {
					return false
				}
			}
			return true
		case map[string]any:
			return false
		}
	case map[string]any:
		switch m := v.(type) {
		case map[string]any:
			if len(m) != len(e) {
				return false
			}
			for k, ev := range e {
				mv, ok := m[k]
				if !ok || !equal(mv, ev) {
					return false
				}
			}
			return true
		case []any:
			return false
		}
	default:
		return false
	}
	// An array or object the caller built with other Go types.
	nv, err := normalise(v)
	if err != nil {
		return false
	}
	switch nv.(type) {
	case []any, map[string]any:
		return equal(nv, e)
	}
	return false
}

// quoteName quotes a property name for a message: 'name'.
func quoteName(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
	return "'" + strings.ReplaceAll(q, `'`, `\'`) + "'"
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteName(n)
	}
	return strings.Join(q, ", ")
}

// maxDisplay bounds how much of a value a message shows.
const maxDisplay = 80

// display renders v (a JSON-like value) as JSON for a message, cut to
// maxDisplay bytes.
func display(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return fmt.Sprint(v)
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	if len(out) > maxDisplay {
		cut := maxDisplay
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "…"
	}
	return out
}

// kindOf names the JSON kind of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// floatText renders f as encoding/json does.
func floatText(f float64, bits int) string {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	return strconv.FormatFloat(f, format, -1, bits)
}
