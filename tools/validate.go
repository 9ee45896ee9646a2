package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Argument validation uses santhosh-tekuri/jsonschema: a maintained,
// complete JSON Schema validator, so a tool's declared input schema and
// what tollgate enforces can never drift apart.

// printer words validation errors; made on the first one, so that a start
// does not load x/text's language tables.
var printer = sync.OnceValue(func() *message.Printer { return message.NewPrinter(language.English) })

func compileSchema(name string, raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	url := "tollgate:///tools/" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

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
// *ArgumentError naming each field and what it allows. args must be
// JSON-like values (as encoding/json decodes them).
func (t *Tool) Validate(args map[string]any) error {
	sch, err := t.validator()
	if sch == nil {
		return err
	}
	// Round-trip through JSON so numbers reach the validator in the form
	// it expects, whatever the caller built args with.
	raw, err := json.Marshal(args)
	if err != nil {
		return &ArgumentError{Tool: t.Name, Problems: []runtime.ValidationError{{Field: "(arguments)", Location: "arguments", Expected: []string{"arguments must be a JSON object: " + err.Error()}}}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ArgumentError{Tool: t.Name, Problems: []runtime.ValidationError{{Field: "(arguments)", Location: "arguments", Expected: []string{err.Error()}}}}
	}
	err = sch.Validate(inst)
	if err == nil {
		return t.checkFields(args)
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &ArgumentError{Tool: t.Name, Problems: []runtime.ValidationError{{Field: "(arguments)", Location: "arguments", Expected: []string{err.Error()}}}}
	}
	byField := map[string][]string{}
	var leaves func(*jsonschema.ValidationError)
	leaves = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			field := strings.Join(e.InstanceLocation, ".")
			if field == "" {
				field = "(arguments)"
			}
			if k, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
				// In the order of the instance's map: sorted, so that
				// the same arguments always read the same.
				sort.Strings(k.Properties)
			}
			byField[field] = append(byField[field], e.ErrorKind.LocalizedString(printer()))
			return
		}
		for _, c := range e.Causes {
			leaves(c)
		}
	}
	leaves(ve)
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
	return strings.Join(parts, ", ")
}
