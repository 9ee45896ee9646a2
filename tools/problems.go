package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// A Problem is something of the OpenAPI document the catalogue left out
// or described more conservatively than the document would have it.
type Problem struct {
	// Operation is "METHOD /path" (or the path alone when a whole path
	// item could not be read).
	Operation   string
	OperationID string
	// Param names the parameter concerned; "" for the whole operation.
	Param string
	// Skipped reports that the operation is not offered at all.
	Skipped bool
	// Reason says what surprised the converter and what it did instead.
	Reason string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Operation)
	if p.OperationID != "" {
		fmt.Fprintf(&b, " (%s)", p.OperationID)
	}
	if p.Param != "" {
		fmt.Fprintf(&b, " parameter %s", p.Param)
	}
	if p.Skipped {
		b.WriteString(" not offered")
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

func firstProblem(ps []Problem) string {
	if len(ps) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d problems; first: %s)", len(ps), ps[0])
}

// loadDocument reads an OpenAPI 3 document. When the whole document does
// not load (a broken $ref, a malformed parameter), each path item is
// loaded on its own with the components it refers to, and the path items
// that still fail are reported as problems: one bad operation does not
// cost the others.
func loadDocument(doc []byte) (*openapi3.T, []Problem, error) {
	spec, err := openapi3.NewLoader().LoadFromData(doc)
	var problems []Problem
	if err != nil {
		spec, problems = salvage(doc)
		if spec == nil {
			return nil, nil, fmt.Errorf("tools: parse OpenAPI document: %w", err)
		}
	}
	switch {
	case !strings.HasPrefix(spec.OpenAPI, "3."):
		return nil, nil, fmt.Errorf("tools: not an OpenAPI 3 document (openapi %q)", spec.OpenAPI)
	case spec.Info == nil:
		return nil, nil, errors.New("tools: invalid OpenAPI document: no info")
	case spec.Paths == nil || spec.Paths.Len() == 0:
		return nil, nil, errors.New("tools: the OpenAPI document has no paths")
	}
	if err := spec.Info.Validate(context.Background()); err != nil {
		return nil, nil, fmt.Errorf("tools: invalid OpenAPI document: info: %w", err)
	}
	return spec, problems, nil
}

// salvage loads each path item of a JSON document on its own, with only
// the components it refers to; nil when none loads.
func salvage(doc []byte) (*openapi3.T, []Problem) {
	var raw map[string]any
	if json.Unmarshal(doc, &raw) != nil {
		return nil, nil
	}
	paths, _ := raw["paths"].(map[string]any)
	if len(paths) == 0 {
		return nil, nil
	}
	comps, _ := raw["components"].(map[string]any)
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	var base *openapi3.T
	var problems []Problem
	for _, p := range keys {
		one := make(map[string]any, len(raw))
		for k, v := range raw {
			one[k] = v
		}
		one["paths"] = map[string]any{p: paths[p]}
		one["components"] = referenced(comps, paths[p])
		b, err := json.Marshal(one)
		if err != nil {
			continue
		}
		spec, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			problems = append(problems, Problem{Operation: p, Skipped: true, Reason: "the path does not load: " + err.Error()})
			continue
		}
		if base == nil {
			base = spec
			continue
		}
		base.Paths.Set(p, spec.Paths.Value(p))
	}
	return base, problems
}

// referenced returns the components v refers to through local $refs,
// transitively.
func referenced(comps map[string]any, v any) map[string]any {
	out := map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				add(comps, out, ref, walk)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// add copies the component ref names ("#/components/schemas/Ad") from
// comps into out, once, and walks it for further references.
func add(comps, out map[string]any, ref string, walk func(any)) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return
	}
	kind, name, ok := strings.Cut(rest, "/")
	if !ok {
		return
	}
	name = strings.NewReplacer("~1", "/", "~0", "~").Replace(name)
	src, _ := comps[kind].(map[string]any)
	val, ok := src[name]
	if !ok {
		return
	}
	dst, _ := out[kind].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		out[kind] = dst
	}
	if _, seen := dst[name]; seen {
		return
	}
	dst[name] = val
	walk(val)
}
