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
	"sync"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// values holds the validated parameters of a call, defaults filled in:
// string, int64, bool, []string, []int64, time.Time (date and date-time),
// inOut (objects), or null (an explicit JSON null of a nullable property).
type values map[string]any

// null is the value of a nullable body property sent as null.
type null struct{}

func (v values) has(name string) bool { _, ok := v[name]; return ok }

func (v values) isNull(name string) bool { _, ok := v[name].(null); return ok }

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

// optInt returns a pointer to the integer, or nil when absent.
func (v values) optInt(name string) *int64 {
	if n, ok := v.intOK(name); ok {
		return &n
	}
	return nil
}

func (v values) boolean(name string) (b, ok bool) {
	b, ok = v[name].(bool)
	return b, ok
}

func (v values) strs(name string) []string {
	s, _ := v[name].([]string)
	return s
}

func (v values) ints(name string) []int64 {
	s, _ := v[name].([]int64)
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

// problems collects validation errors.
type problems []validationError

func (ps *problems) add(loc, field, format string, args ...any) {
	prefix := "query-string."
	if loc == "body" {
		prefix = "body."
	}
	*ps = append(*ps, validationError{Field: prefix + field, Location: loc, Expected: []string{fmt.Sprintf(format, args...)}})
}

var (
	patterns   sync.Map // pattern -> *regexp.Regexp
	uuidFormat = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func pattern(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(p)
	patterns.Store(p, re)
	return re
}

// parseQuery validates the query string against the query parameters
// among the operation's params.
func parseQuery(params []apispec.Param, q url.Values, out values, errs *problems) {
	for _, p := range params {
		if p.In != apispec.InQuery {
			continue
		}
		raw, present := q[p.Name]
		if p.Type == apispec.TypeArray {
			var items []string
			for _, r := range raw {
				for _, it := range strings.Split(r, ",") {
					if it = strings.TrimSpace(it); it != "" {
						items = append(items, it)
					}
				}
			}
			if len(items) == 0 {
				continue
			}
			if v, msg := arrayValue(p, items); msg != "" {
				errs.add("query-string", p.Name, "%s", msg)
			} else {
				out[p.Name] = v
			}
			continue
		}
		if !present {
			continue
		}
		if len(raw) > 1 {
			errs.add("query-string", p.Name, "%s must be a single value, not repeated", p.Name)
			continue
		}
		v, msg := scalarFromString(p, raw[0])
		if msg != "" {
			errs.add("query-string", p.Name, "%s", msg)
			continue
		}
		out[p.Name] = v
	}
}

// scalarFromString parses one query-string value of p.
func scalarFromString(p apispec.Param, s string) (any, string) {
	switch p.Type {
	case apispec.TypeString:
		return stringValue(p, strings.TrimSpace(s))
	case apispec.TypeInteger:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, p.Name + " must be an integer number"
		}
		return n, bounds(p, n)
	case apispec.TypeBoolean:
		switch s {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, p.Name + " must be a boolean value (true or false)"
	}
	return nil, p.Name + " cannot be sent in the query string"
}

// stringValue checks a string of p and converts dates to time.Time.
func stringValue(p apispec.Param, s string) (any, string) {
	if s == "" {
		return nil, p.Name + " should not be empty"
	}
	if p.MaxLength > 0 && len(s) > p.MaxLength {
		return nil, fmt.Sprintf("%s must be shorter than or equal to %d characters", p.Name, p.MaxLength)
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
		return nil, fmt.Sprintf("%s must be one of the following values: %s", p.Name, strings.Join(p.Enum, ", "))
	}
	if p.Pattern != "" && !pattern(p.Pattern).MatchString(s) {
		return nil, fmt.Sprintf("%s must match %s", p.Name, p.Pattern)
	}
	switch p.Format {
	case "date-time":
		t, ok := parseDate(s)
		if !ok {
			return nil, p.Name + " must be a valid ISO 8601 date string"
		}
		return t, ""
	case "date":
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, p.Name + " must be a valid date (YYYY-MM-DD)"
		}
		return t, ""
	case "uuid":
		if !uuidFormat.MatchString(s) {
			return nil, p.Name + " must be a UUID"
		}
	}
	return s, ""
}

func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func bounds(p apispec.Param, n int64) string {
	if p.Min != nil && n < *p.Min {
		return fmt.Sprintf("%s must not be less than %d", p.Name, *p.Min)
	}
	if p.Max != nil && n > *p.Max {
		return fmt.Sprintf("%s must not be greater than %d", p.Name, *p.Max)
	}
	return ""
}

// arrayValue checks the items of an array parameter: []int64 for integer
// items, []string (country codes upper-cased) otherwise.
func arrayValue(p apispec.Param, items []string) (any, string) {
	if p.MaxItems > 0 && len(items) > p.MaxItems {
		return nil, fmt.Sprintf("%s must contain no more than %d elements", p.Name, p.MaxItems)
	}
	if p.Items == apispec.TypeInteger {
		out := make([]int64, len(items))
		for i, it := range items {
			n, err := strconv.ParseInt(it, 10, 64)
			if err != nil {
				return nil, fmt.Sprintf("each value in %s must be an integer number", p.Name)
			}
			out[i] = n
		}
		return out, ""
	}
	out := make([]string, len(items))
	for i, it := range items {
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, it) {
			return nil, fmt.Sprintf("each value in %s must be one of the following values: %s", p.Name, strings.Join(p.Enum, ", "))
		}
		if p.Pattern != "" && !pattern(p.Pattern).MatchString(it) {
			if p.Pattern == countryPattern {
				return nil, fmt.Sprintf("each value in %s must be an ISO 3166-1 alpha-2 country code", p.Name)
			}
			return nil, fmt.Sprintf("each value in %s must match %s", p.Name, p.Pattern)
		}
		if p.Format == "uuid" && !uuidFormat.MatchString(it) {
			return nil, fmt.Sprintf("each value in %s must be a UUID", p.Name)
		}
		if p.Pattern == countryPattern {
			it = strings.ToUpper(it)
		}
		out[i] = it
	}
	return out, ""
}

// countryPattern is the pattern of ISO 3166-1 alpha-2 codes in the table.
const countryPattern = "^[A-Za-z]{2}$"

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// readBody reads r's JSON body as an object. An empty body counts as {}.
func readBody(r *http.Request) (map[string]json.RawMessage, []validationError) {
	bodyErr := func(msg string) []validationError {
		return []validationError{{Field: "body", Location: "body", Expected: []string{msg}}}
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, bodyErr(fmt.Sprintf("body must be a JSON object of at most %d bytes", maxBody))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if ct := r.Header.Get("Content-Type"); ct == "" || !isJSON(ct) {
		return nil, []validationError{{Field: "header.content-type", Location: "header",
			Expected: []string{"content-type must be application/json for a request body"}}}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, bodyErr("body must be a valid JSON object")
	}
	return obj, nil
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// parseBody validates the body's properties against specs; prefix is the
// field path of the object ("" for the body itself).
func parseBody(specs []apispec.Param, obj map[string]json.RawMessage, prefix string, out values, errs *problems) {
	for _, p := range specs {
		raw, present := obj[p.Name]
		if present && string(bytes.TrimSpace(raw)) == "null" {
			if p.Nullable {
				out[p.Name] = null{}
				continue
			}
			present = false
		}
		if !present {
			continue
		}
		v, field, msg := bodyValue(p, raw)
		if msg != "" {
			errs.add("body", prefix+field, "%s", msg)
			continue
		}
		out[p.Name] = v
	}
}

// bodyValue decodes one body property of p. It returns the value, or the
// field at fault (relative to the property) and what was expected.
func bodyValue(p apispec.Param, raw json.RawMessage) (v any, field, msg string) {
	field = p.Name
	switch p.Type {
	case apispec.TypeString:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, field, p.Name + " must be a string"
		}
		v, msg := stringValue(p, strings.TrimSpace(s))
		return v, field, msg
	case apispec.TypeInteger:
		t := bytes.TrimSpace(raw)
		if len(t) == 0 || (t[0] != '-' && (t[0] < '0' || t[0] > '9')) {
			return nil, field, p.Name + " must be an integer number"
		}
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return nil, field, p.Name + " must be an integer number"
		}
		return n, field, bounds(p, n)
	case apispec.TypeBoolean:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return nil, field, p.Name + " must be a boolean value"
		}
		return b, field, ""
	case apispec.TypeArray:
		var items []string
		if p.Items == apispec.TypeInteger {
			var ns []int64
			if json.Unmarshal(raw, &ns) != nil {
				return nil, field, p.Name + " must be an array of integers"
			}
			for _, n := range ns {
				items = append(items, strconv.FormatInt(n, 10))
			}
		} else if json.Unmarshal(raw, &items) != nil {
			return nil, field, p.Name + " must be an array of strings"
		}
		if items == nil {
			items = []string{}
		}
		v, msg := arrayValue(p, items)
		return v, field, msg
	case apispec.TypeObject:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return nil, field, p.Name + " must be an object"
		}
		// Members are named parent.member, in fields and messages alike.
		props := slices.Clone(p.Properties)
		named := map[string]json.RawMessage{}
		for i := range props {
			full := p.Name + "." + props[i].Name
			if raw, ok := obj[props[i].Name]; ok {
				named[full] = raw
			}
			props[i].Name = full
		}
		sub := values{}
		var errs problems
		parseBody(props, named, "", sub, &errs)
		if len(errs) > 0 {
			return nil, strings.TrimPrefix(errs[0].Field, "body."), errs[0].Expected[0]
		}
		io := inOut{include: sub.strs(p.Name + ".include"), exclude: sub.strs(p.Name + ".exclude")}
		return io, field, ""
	}
	return nil, field, p.Name + " has an unsupported type"
}

// finish applies what the table says beyond single values: required
// parameters, deprecated aliases, defaults, and the constraints between
// parameters.
func finish(o *apispec.Operation, v values, errs *problems) {
	loc := func(p apispec.Param) string {
		if p.In == apispec.InBody {
			return "body"
		}
		return "query-string"
	}
	all := append(slices.Clone(o.Params), o.Body...)
	for _, p := range all {
		if p.AliasOf != "" && v.has(p.Name) {
			if v.has(p.AliasOf) {
				errs.add(loc(p), p.Name, "%s and %s must not both be set: %s is a deprecated alias of %s", p.AliasOf, p.Name, p.Name, p.AliasOf)
			} else {
				v[p.AliasOf] = v[p.Name]
			}
		}
	}
	for _, p := range all {
		if p.In == apispec.InPath {
			continue
		}
		if !v.has(p.Name) && p.Required && !aliased(all, p.Name, v) {
			errs.add(loc(p), p.Name, "%s should not be empty", p.Name)
		}
		if !v.has(p.Name) && p.Default != nil {
			v[p.Name] = p.Default
		}
		if p.Name == "confirm" && o.Write.Confirm && v.has("confirm") {
			if b, _ := v.boolean("confirm"); !b {
				errs.add(loc(p), p.Name, "confirm must be true to perform this destructive action")
			}
		}
	}
	for _, c := range o.Constraints {
		p, _ := o.Param(c.Params[0])
		switch c.Kind {
		case apispec.ExactlyOne:
			n := 0
			for _, name := range c.Params {
				if v.has(name) && !v.isNull(name) {
					n++
				}
			}
			if n != 1 {
				*errs = append(*errs, validationError{Field: loc(p), Location: loc(p),
					Expected: []string{"exactly one of " + strings.Join(c.Params, ", ") + " must be set"}})
			}
		case apispec.AtMostOne:
			// Aliases are reported above; other conflicts here.
			if p.AliasOf != "" || aliasPair(all, c.Params) {
				continue
			}
			n := 0
			for _, name := range c.Params {
				if v.has(name) {
					n++
				}
			}
			if n > 1 {
				errs.add(loc(p), c.Params[1], "at most one of %s may be set", strings.Join(c.Params, ", "))
			}
		case apispec.RequiredWhen:
			if v.str(c.If) == c.Equals && !v.has(c.Params[0]) {
				errs.add(loc(p), c.Params[0], "%s should not be empty when %s is %s", c.Params[0], c.If, c.Equals)
			}
		case apispec.Ordered:
			lo, hi := c.Params[0], c.Params[1]
			if a, ok := v.intOK(lo); ok {
				if b, ok := v.intOK(hi); ok && b < a {
					errs.add(loc(p), hi, "%s must not be less than %s", hi, lo)
				}
			}
			if a, ok := v.time(lo); ok {
				if b, ok := v.time(hi); ok && b.Before(a) {
					errs.add(loc(p), hi, "%s must not be earlier than %s", hi, lo)
				}
			}
		}
	}
}

// aliased reports whether a deprecated alias of name was given.
func aliased(all []apispec.Param, name string, v values) bool {
	for _, p := range all {
		if p.AliasOf == name && v.has(p.Name) {
			return true
		}
	}
	return false
}

// aliasPair reports whether the names are a parameter and its alias.
func aliasPair(all []apispec.Param, names []string) bool {
	for _, p := range all {
		if p.AliasOf != "" && slices.Contains(names, p.Name) && slices.Contains(names, p.AliasOf) {
			return true
		}
	}
	return false
}
