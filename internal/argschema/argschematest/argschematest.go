// Package argschematest holds the oracle of tollgate's argument validator
// (internal/argschema) for tests: santhosh-tekuri/jsonschema, a complete
// JSON Schema 2020-12 validator. Differential tests ask both about the same
// arguments; they must accept or refuse alike and name the same fields.
// Only test files import it, so santhosh's validator never reaches a
// binary through tollgate.
package argschematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// An Oracle is santhosh's validator of one input schema.
type Oracle struct{ sch *jsonschema.Schema }

// NewOracle compiles schema (a tool's input schema) under name.
func NewOracle(name string, schema []byte) (*Oracle, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	url := "tollgate:///oracle/" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%s: santhosh does not compile the input schema: %w", name, err)
	}
	return &Oracle{sch}, nil
}

// Validate is santhosh's verdict on args, as tollgate's validator used to
// ask for it: args encoded as JSON and decoded again, then validated.
func (o *Oracle) Validate(args any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return o.sch.Validate(inst)
}

// Fields returns the fields santhosh finds at fault in args, dotted as
// tollgate names them ("(arguments)" for the root), sorted; nil when it
// accepts args.
func (o *Oracle) Fields(args any) ([]string, error) {
	err := o.Validate(args)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, fmt.Errorf("santhosh: %w", err)
	}
	set := map[string]bool{}
	var leaves func(*jsonschema.ValidationError)
	leaves = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			f := strings.Join(e.InstanceLocation, ".")
			if f == "" {
				f = "(arguments)"
			}
			set[f] = true
		}
		for _, c := range e.Causes {
			leaves(c)
		}
	}
	leaves(ve)
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}
