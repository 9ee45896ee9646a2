package tools

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Argument validation uses internal/argschema: it implements exactly the
// JSON Schema subset tollgate writes for arguments and refuses to compile
// any other keyword, so a tool's declared input schema and what tollgate
// enforces can never drift apart.

// ArgumentError is a tool call whose arguments do not match the tool's
// input schema. It is caught before any credit is reserved.
type ArgumentError struct {
	Tool     string
	Problems []runtime.ValidationError // Field, Location "arguments", Expected
}

func (e *ArgumentError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + strings.Join(p.Expected, "; ")
	}
	return fmt.Sprintf("invalid arguments for %s: %s", e.Tool, strings.Join(parts, "; "))
}

// Advice implements runtime.Adviser.
func (e *ArgumentError) Advice() runtime.Advice {
	return runtime.Advice{
		Code:             CodeInvalidArguments,
		Message:          e.Error(),
		Retryable:        false,
		Action:           "Fix the arguments named in validationErrors (see the tool's input schema for what is allowed) and call again. Nothing was charged.",
		Source:           SourceTool,
		ValidationErrors: e.Problems,
	}
}

// Validate checks args against the tool's input schema: nil, or an
// *ArgumentError naming each field and what it allows, every problem
// found. args are JSON-like values, as encoding/json decodes them or as a
// Go caller builds them (any int or float; other values are read as their
// JSON encoding).
func (t *Tool) Validate(args map[string]any) error {
	sch, err := t.validator()
	if sch == nil {
		return err
	}
	// A nil map is no object at all, as its JSON (null) says.
	var inst any = args
	if args == nil {
		inst = nil
	}
	problems := sch.Validate(inst)
	if len(problems) == 0 {
		return t.checkFields(args)
	}
	byField := map[string][]string{}
	for _, p := range problems {
		field := p.Field()
		if field == "" {
			field = "(arguments)"
		}
		byField[field] = append(byField[field], p.Message)
	}
	fields := make([]string, 0, len(byField))
	for f := range byField {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	ae := &ArgumentError{Tool: t.Name}
	for _, f := range fields {
		exp := byField[f]
		if allowed := t.allowed(f); allowed != "" {
			exp = append(exp, "allowed: "+allowed)
		}
		ae.Problems = append(ae.Problems, runtime.ValidationError{Field: f, Location: "arguments", Expected: exp})
	}
	return ae
}

// allowed summarises what a top-level argument accepts, from its schema.
func (t *Tool) allowed(field string) string {
	props := t.args()
	s, ok := props[strings.SplitN(field, ".", 2)[0]]
	if !ok {
		if field == "(arguments)" {
			names := make([]string, 0, len(props))
			for n := range props {
				names = append(names, n)
			}
			sort.Strings(names)
			return "arguments " + strings.Join(names, ", ")
		}
		return ""
	}
	var parts []string
	if typ, ok := s["type"].(string); ok {
		parts = append(parts, typ)
	}
	if enum, ok := s["enum"].([]any); ok {
		vals := make([]string, len(enum))
		for i, v := range enum {
			vals[i] = fmt.Sprint(v)
		}
		parts = append(parts, "one of "+strings.Join(vals, ", "))
	}
	minV, hasMin := s["minimum"]
	maxV, hasMax := s["maximum"]
	switch {
	case hasMin && hasMax:
		parts = append(parts, fmt.Sprintf("from %v to %v", minV, maxV))
	case hasMin:
		parts = append(parts, fmt.Sprintf("at least %v", minV))
	case hasMax:
		parts = append(parts, fmt.Sprintf("at most %v", maxV))
	}
	if v, ok := s["exclusiveMinimum"]; ok {
		parts = append(parts, fmt.Sprintf("above %v", v))
	}
	if v, ok := s["exclusiveMaximum"]; ok {
		parts = append(parts, fmt.Sprintf("below %v", v))
	}
	return strings.Join(parts, ", ")
}
