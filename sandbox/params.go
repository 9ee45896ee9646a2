package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is the type of a query parameter or body property.
type kind int

const (
	kString    kind = iota // string
	kInt                   // integer
	kBool                  // boolean
	kEnum                  // string from enum
	kStrings               // array of strings
	kEnums                 // array of strings from enum
	kCountries             // array of ISO 3166-1 alpha-2 codes
	kDateTime              // ISO 8601 date or date-time string
	kInOut                 // body only: {include: [country], exclude: [country]}
)

// param describes one query parameter or JSON body property the sandbox
// validates. The OpenAPI document must describe exactly the same.
type param struct {
	name       string
	kind       kind
	enum       []string
	min, max   *int64
	def        any // string, int64 or bool; nil for none
	required   bool
	alias      string // deprecated alternative name (query only)
	deprecated bool
}

func ptr(v int64) *int64 { return &v }

func pString(name string) param { return param{name: name, kind: kString} }
func pRequired(name string) param {
	return param{name: name, kind: kString, required: true}
}
func pBool(name string) param               { return param{name: name, kind: kBool} }
func pStrings(name string) param            { return param{name: name, kind: kStrings} }
func pCountries(name string) param          { return param{name: name, kind: kCountries} }
func pDateTime(name string) param           { return param{name: name, kind: kDateTime} }
func pInOut(name string) param              { return param{name: name, kind: kInOut} }
func pEnums(name string, e ...string) param { return param{name: name, kind: kEnums, enum: e} }
func pEnum(name, def string, e ...string) param {
	p := param{name: name, kind: kEnum, enum: e}
	if def != "" {
		p.def = def
	}
	return p
}
func pMin(name string, min int64) param { return param{name: name, kind: kInt, min: ptr(min)} }
func pLimit(def int64) param {
	return param{name: "limit", kind: kInt, min: ptr(1), max: ptr(100), def: def}
}
func pPage() param   { return param{name: "page", kind: kInt, min: ptr(1), def: int64(1)} }
func pOffset() param { return param{name: "offset", kind: kInt, min: ptr(0), def: int64(0)} }
func pOrder() param  { return pEnum("order", "desc", "asc", "desc") }

// values holds validated parameters, defaults filled in.
type values map[string]any

func (v values) has(name string) bool { _, ok := v[name]; return ok }

func (v values) str(name string) string {
	s, _ := v[name].(string)
	return s
}

func (v values) int(name string) int64 {
	n, _ := v[name].(int64)
	return n
}

// intOK returns the integer and whether it was given (or defaulted).
func (v values) intOK(name string) (int64, bool) {
	n, ok := v[name].(int64)
	return n, ok
}

func (v values) boolean(name string) (b, ok bool) {
	b, ok = v[name].(bool)
	return b, ok
}

func (v values) strs(name string) []string {
	s, _ := v[name].([]string)
	return s
}

func (v values) inOut(name string) (include, exclude []string) {
	io, _ := v[name].(inOut)
	return io.include, io.exclude
}

func (v values) time(name string) (time.Time, bool) {
	t, ok := v[name].(time.Time)
	return t, ok
}

type inOut struct{ include, exclude []string }

var countryCode = regexp.MustCompile(`^[A-Za-z]{2}$`)

// parseQuery validates q against specs.
func parseQuery(specs []param, q url.Values) (values, []validationError) {
	out := values{}
	var errs []validationError
	bad := func(name, format string, args ...any) {
		errs = append(errs, validationError{
			Field: "query-string." + name, Location: "query-string",
			Expected: []string{fmt.Sprintf(format, args...)},
		})
	}
	for _, p := range specs {
		raw, present := q[p.name]
		if !present && p.alias != "" {
			raw, present = q[p.alias]
		}
		switch p.kind {
		case kStrings, kEnums, kCountries:
			var items []string
			for _, r := range raw {
				for _, it := range strings.Split(r, ",") {
					if it = strings.TrimSpace(it); it != "" {
						items = append(items, it)
					}
				}
			}
			if len(items) == 0 {
				if p.required {
					bad(p.name, "%s should not be empty", p.name)
				}
				continue
			}
			if msg := checkItems(p, items); msg != "" {
				bad(p.name, "%s", msg)
				continue
			}
			if p.kind == kCountries {
				for i := range items {
					items[i] = strings.ToUpper(items[i])
				}
			}
			out[p.name] = items
			continue
		}
		if !present {
			if p.required {
				bad(p.name, "%s should not be empty", p.name)
			} else if p.def != nil {
				out[p.name] = p.def
			}
			continue
		}
		if len(raw) > 1 {
			bad(p.name, "%s must be a single value, not repeated", p.name)
			continue
		}
		v, msg := parseScalar(p, raw[0])
		if msg != "" {
			bad(p.name, "%s", msg)
			continue
		}
		out[p.name] = v
	}
	return out, errs
}

// parseScalar parses one query-string value of p.
func parseScalar(p param, s string) (any, string) {
	switch p.kind {
	case kString:
		s = strings.TrimSpace(s)
		if s == "" {
			if p.required {
				return nil, p.name + " should not be empty"
			}
			return nil, p.name + " must not be empty when given"
		}
		return s, ""
	case kInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, p.name + " must be an integer number"
		}
		return n, checkBounds(p, n)
	case kBool:
		switch s {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, p.name + " must be a boolean value (true or false)"
	case kEnum:
		if !slices.Contains(p.enum, s) {
			return nil, enumMessage(p)
		}
		return s, ""
	case kDateTime:
		t, ok := parseDate(s)
		if !ok {
			return nil, p.name + " must be a valid ISO 8601 date string"
		}
		return t, ""
	}
	return nil, p.name + " has an unsupported type"
}

func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func checkBounds(p param, n int64) string {
	if p.min != nil && n < *p.min {
		return fmt.Sprintf("%s must not be less than %d", p.name, *p.min)
	}
	if p.max != nil && n > *p.max {
		return fmt.Sprintf("%s must not be greater than %d", p.name, *p.max)
	}
	return ""
}

func enumMessage(p param) string {
	return fmt.Sprintf("%s must be one of the following values: %s", p.name, strings.Join(p.enum, ", "))
}

// checkItems validates the items of an array parameter.
func checkItems(p param, items []string) string {
	for _, it := range items {
		switch p.kind {
		case kEnums:
			if !slices.Contains(p.enum, it) {
				return fmt.Sprintf("each value in %s must be one of the following values: %s", p.name, strings.Join(p.enum, ", "))
			}
		case kCountries:
			if !countryCode.MatchString(it) {
				return fmt.Sprintf("each value in %s must be an ISO 3166-1 alpha-2 country code", p.name)
			}
		}
	}
	return ""
}

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// parseBody reads r's JSON body and validates it against specs.
func parseBody(specs []param, r *http.Request) (values, []validationError) {
	bodyErr := func(field, msg string) []validationError {
		return []validationError{{Field: field, Location: "body", Expected: []string{msg}}}
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, bodyErr("body", fmt.Sprintf("body must be a JSON object of at most %d bytes", maxBody))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	} else if ct := r.Header.Get("Content-Type"); ct == "" || !isJSON(ct) {
		return nil, []validationError{{Field: "header.content-type", Location: "header",
			Expected: []string{"content-type must be application/json for a request body"}}}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, bodyErr("body", "body must be a valid JSON object")
	}
	out := values{}
	var errs []validationError
	for _, p := range specs {
		raw, present := obj[p.name]
		if present && string(bytes.TrimSpace(raw)) == "null" {
			present = false
		}
		if !present {
			if p.required {
				errs = append(errs, bodyErr("body."+p.name, p.name+" should not be empty")...)
			} else if p.def != nil {
				out[p.name] = p.def
			}
			continue
		}
		v, field, msg := parseBodyValue(p, raw)
		if msg != "" {
			errs = append(errs, bodyErr(field, msg)...)
			continue
		}
		out[p.name] = v
	}
	return out, errs
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// parseBodyValue decodes one body property of p. It returns the value, or
// the field at fault and what was expected.
func parseBodyValue(p param, raw json.RawMessage) (v any, field, msg string) {
	field = "body." + p.name
	switch p.kind {
	case kString, kEnum, kDateTime:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, field, p.name + " must be a string"
		}
		if p.kind == kEnum && !slices.Contains(p.enum, s) {
			return nil, field, enumMessage(p)
		}
		if p.kind == kDateTime {
			t, ok := parseDate(s)
			if !ok {
				return nil, field, p.name + " must be a valid ISO 8601 date string"
			}
			return t, "", ""
		}
		if strings.TrimSpace(s) == "" {
			return nil, field, p.name + " should not be empty"
		}
		return strings.TrimSpace(s), "", ""
	case kInt:
		t := bytes.TrimSpace(raw)
		if len(t) == 0 || (t[0] != '-' && (t[0] < '0' || t[0] > '9')) {
			return nil, field, p.name + " must be an integer number"
		}
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return nil, field, p.name + " must be an integer number"
		}
		if m := checkBounds(p, n); m != "" {
			return nil, field, m
		}
		return n, "", ""
	case kBool:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return nil, field, p.name + " must be a boolean value"
		}
		return b, "", ""
	case kStrings, kEnums, kCountries:
		items, m := stringArray(p, raw)
		if m != "" {
			return nil, field, m
		}
		return items, "", ""
	case kInOut:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return nil, field, p.name + " must be an object with include and exclude arrays"
		}
		var io inOut
		for _, part := range []string{"include", "exclude"} {
			r, ok := obj[part]
			if !ok || string(bytes.TrimSpace(r)) == "null" {
				continue
			}
			sub := param{name: p.name + "." + part, kind: kCountries}
			items, m := stringArray(sub, r)
			if m != "" {
				return nil, field + "." + part, m
			}
			if part == "include" {
				io.include = items
			} else {
				io.exclude = items
			}
		}
		return io, "", ""
	}
	return nil, field, p.name + " has an unsupported type"
}

func stringArray(p param, raw json.RawMessage) ([]string, string) {
	var items []string
	if json.Unmarshal(raw, &items) != nil {
		return nil, p.name + " must be an array of strings"
	}
	if m := checkItems(p, items); m != "" {
		return nil, m
	}
	if p.kind == kCountries {
		for i := range items {
			items[i] = strings.ToUpper(items[i])
		}
	}
	return items, ""
}
