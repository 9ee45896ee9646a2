package tools_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/argschema/argschematest"
	"github.com/tollgate-mcp/tollgate/tools"
)

// santhosh-tekuri/jsonschema, a complete JSON Schema 2020-12 validator,
// is the oracle of tollgate's own argument validator (internal/argschema):
// for every tool of the built-in catalogue and arguments generated from
// its schema, both must accept or refuse alike and name the same fields.

// oracle is the santhosh validator of one input schema.
type oracle struct{ o *argschematest.Oracle }

func newOracle(t testing.TB, tl *tools.Tool) oracle {
	t.Helper()
	o, err := argschematest.NewOracle(tl.Name, tl.InputSchema)
	if err != nil {
		t.Fatal(err)
	}
	return oracle{o}
}

// fields returns the fields the oracle finds at fault ("(arguments)" for
// the root), sorted; nil when it accepts args.
func (o oracle) fields(t *testing.T, args any) []string {
	t.Helper()
	f, err := o.o.Fields(args)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ours returns the fields tl.Validate finds at fault, sorted; nil when
// it accepts args. A refusal of the fields argument's paths (checkFields,
// which the schema does not express) counts as acceptance.
func ours(t *testing.T, tl *tools.Tool, args map[string]any) []string {
	t.Helper()
	err := tl.Validate(args)
	if err == nil {
		return nil
	}
	var ae *tools.ArgumentError
	if !errors.As(err, &ae) {
		t.Fatalf("%s.Validate = %v, want nil or an *ArgumentError", tl.Name, err)
	}
	var out []string
	for _, p := range ae.Problems {
		if p.Field == tools.ArgFields && strings.HasPrefix(p.Expected[0], "unknown field path") {
			continue
		}
		if len(p.Expected) == 0 || p.Expected[0] == "" {
			t.Errorf("%s: problem of %s has no message", tl.Name, p.Field)
		}
		out = append(out, p.Field)
	}
	if !slices.IsSorted(out) {
		t.Errorf("%s: problems are not sorted by field: %v", tl.Name, out)
	}
	return out
}

// candidates are values to try for an argument of schema s: a fixed set
// of every JSON kind and edge, and values at and beyond s's own limits.
func candidates(s map[string]any, depth int) []any {
	out := []any{nil, true, 0.0, 1.0, -1.0, 2.5, 100.0, 1e9, "", "a", "abc", "2024-01-01", "latest", "2024-05",
		"US", "USA", strings.Repeat("x", 300), []any{}, []any{"a"}, []any{1.0}, []any{"*"}, []any{""},
		[]any{[]any{"a"}}, map[string]any{}, map[string]any{"a": 1.0}}
	if enum, ok := s["enum"].([]any); ok {
		out = append(out, enum...)
	}
	if d, ok := s["default"]; ok {
		out = append(out, d)
	}
	for _, k := range []string{"minimum", "maximum"} {
		if n, ok := s[k].(json.Number); ok {
			f, _ := n.Float64()
			out = append(out, f, f-1, f+1, f-0.5)
		}
	}
	for _, k := range []string{"minLength", "maxLength"} {
		if n, ok := s[k].(json.Number); ok {
			i, _ := n.Int64()
			for _, l := range []int64{i - 1, i, i + 1} {
				if l >= 0 {
					out = append(out, strings.Repeat("é", int(l)))
				}
			}
		}
	}
	for _, k := range []string{"minItems", "maxItems"} {
		if n, ok := s[k].(json.Number); ok {
			i, _ := n.Int64()
			for _, l := range []int64{i - 1, i + 1} {
				if l >= 0 {
					out = append(out, slices.Repeat([]any{"a"}, int(l)))
				}
			}
		}
	}
	if depth < 2 {
		if items, ok := s["items"].(map[string]any); ok {
			for _, c := range candidates(items, depth+1) {
				out = append(out, []any{c}, []any{"a", c})
			}
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for n, p := range props {
				ps, _ := p.(map[string]any)
				for _, c := range candidates(ps, depth+1) {
					out = append(out, map[string]any{n: c})
				}
			}
		}
	}
	return out
}

// schemaOf decodes an input schema with numbers as json.Number.
func schemaOf(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var s map[string]any
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestValidateAgreesWithSanthosh is the differential test of argument
// validation: valid arguments, each argument set to every candidate
// (wrong type, out of range, enum miss, too long, bad pattern, null,
// nested arrays and objects), an unknown key, missing required arguments,
// null arguments and several faults at once.
func TestValidateAgreesWithSanthosh(t *testing.T) {
	t.Parallel()
	cases := 0
	for _, tl := range tools.BuiltIn().Tools() {
		o := newOracle(t, tl)
		schema := schemaOf(t, tl.InputSchema)
		props, _ := schema["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		cands := map[string][]any{}
		for _, n := range names {
			ps, _ := props[n].(map[string]any)
			cands[n] = candidates(ps, 0)
		}

		check := func(what string, args map[string]any) {
			t.Helper()
			cases++
			want := o.fields(t, args)
			if args == nil {
				want = o.fields(t, nil)
			}
			if got := ours(t, tl, args); !slices.Equal(got, want) {
				t.Errorf("%s, %s %s: fields at fault %q, santhosh says %q", tl.Name, what, mustJSON(t, args), got, want)
			}
		}

		// Valid arguments: each required one at the first candidate the
		// oracle accepts for it.
		base := map[string]any{}
		req, _ := schema["required"].([]any)
		for _, r := range req {
			n := r.(string)
			for _, c := range cands[n] {
				if !slices.Contains(o.fields(t, map[string]any{n: c}), n) {
					base[n] = c
					break
				}
			}
		}
		if got := o.fields(t, base); got != nil {
			t.Fatalf("%s: no valid arguments found (%s: %q)", tl.Name, mustJSON(t, base), got)
		}
		with := func(kv ...any) map[string]any {
			m := make(map[string]any, len(base)+len(kv)/2)
			for k, v := range base {
				m[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		check("valid", base)
		check("missing required", map[string]any{})
		check("null arguments", nil)
		check("unknown keys", with("zzUnknown", 1.0, "aaUnknown", "x"))
		for _, n := range names {
			for _, c := range cands[n] {
				check(n+" set to", with(n, c))
			}
		}
		for i := range 25 {
			m := with("zzUnknown", true)
			for _, n := range names {
				if c := cands[n]; len(c) > 0 {
					m[n] = c[(i*7+len(n))%len(c)]
				}
			}
			check("several faults", m)
		}
	}
	if cases < 10000 {
		t.Errorf("only %d cases were compared", cases)
	}
	t.Logf("%d argument sets compared", cases)
}

// TestValidateReadsGoValuesAsTheirJSON checks that arguments a Go caller
// builds (ints, []string, float32) validate as their JSON encoding does,
// without a round trip through it.
func TestValidateReadsGoValuesAsTheirJSON(t *testing.T) {
	t.Parallel()
	tl, _ := tools.BuiltIn().Lookup("search_ads")
	o := newOracle(t, tl)
	for _, args := range []map[string]any{
		{"search": "x", "limit": 20},
		{"search": "x", "limit": int64(101)},
		{"search": "x", "limit": uint8(0)},
		{"search": "x", "limit": float32(2.5)},
		{"search": "x", "limit": json.Number("1.0")},
		{"search": "x", "fields": []string{"id", ""}},
		{"search": strings.Repeat("ü", 201), "status": "paused"},
	} {
		if got, want := ours(t, tl, args), o.fields(t, args); !slices.Equal(got, want) {
			t.Errorf("%s: fields at fault %q, santhosh says %q", mustJSON(t, args), got, want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}

// BenchmarkValidate measures Tool.Validate of search_ads arguments as a
// model sends them against its baseline, the santhosh path tollgate used
// before (a JSON round trip of the arguments, then santhosh's Validate),
// interleaved in one loop: ours/santhosh is the ratio. Run with -count=5
// for the spread.
func BenchmarkValidate(b *testing.B) {
	tl, _ := tools.BuiltIn().Lookup("search_ads")
	o := newOracle(b, tl)
	for _, c := range []struct {
		name string
		args map[string]any
	}{
		{"valid", map[string]any{"search": "running shoes", "limit": 20.0, "page": 2.0, "status": "active",
			"sortBy": "newest", "mediaType": "video", "fields": []any{"id", "advertiser.name", "metrics"}}},
		{"invalid", map[string]any{"search": "", "limit": 500.0, "status": "paused", "bogus": true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var ourTime, theirTime time.Duration
			for b.Loop() {
				t0 := time.Now()
				_ = tl.Validate(c.args)
				t1 := time.Now()
				_ = o.o.Validate(c.args)
				ourTime, theirTime = ourTime+t1.Sub(t0), theirTime+time.Since(t1)
			}
			b.ReportMetric(float64(ourTime)/float64(theirTime), "ours/santhosh")
			b.ReportMetric(float64(ourTime.Nanoseconds())/float64(b.N), "ours-ns/op")
			b.ReportMetric(float64(theirTime.Nanoseconds())/float64(b.N), "santhosh-ns/op")
		})
	}
}
