package tools

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tollgate-mcp/tollgate/internal/argschema"
)

//go:generate go test -run ^TestBuiltInCatalogueIsCurrent$ -update .

// A compiled catalogue is what Parse makes of an OpenAPI document, in a
// form that needs no OpenAPI parsing to use: converting the document is
// most of what a start costs (the built-in document's 400 KB take tens of
// milliseconds and about 30 megabytes of garbage), and
// the same document always gives the same catalogue. It is keyed by the
// SHA-256 of the document (Digest):
//
//   - the built-in document's is compiled into tollgate (builtin_gen.go,
//     made by go generate; a test fails when it is not current), so
//     BuiltIn, and Load when the API serves that same document (the
//     embedded sandbox does), parse nothing;
//   - Load writes the compiled form of any other document beside its
//     cached copy and reads it back at the next start with the same
//     document;
//   - only a document seen for the first time is read and converted.
//
// The argument validators of the input schemas, the argument schemas
// and the data shapes are derived from the compiled form on a tool's first
// use (derived), so that a start builds only what it lists.

// compiledFormat is the version of the compiled form. Raise it when
// compiledTool or what Parse makes of a document changes in a way
// builtin_gen.go does not show (the built-in document's catalogue
// fingerprints the converter too; see compiledCatalogue.Compiler).
const compiledFormat = 2

// compiledCatalogue is the compiled form of a catalogue: its API tools
// in Parse's order (the local tools are added when it is loaded) and its
// problems.
type compiledCatalogue struct {
	Format int
	// Digest is the SHA-256 of the document, hex (Digest).
	Digest string
	// Compiler fingerprints the converter that made it (converterID).
	// A cached catalogue of another converter is compiled again.
	Compiler string `json:",omitempty"`
	Tools    []compiledTool
	Problems []Problem `json:",omitempty"`
}

// compiledTool is a Tool without what it derives on first use.
type compiledTool struct {
	Name, Title, Description, Toolset     string
	ReadOnly, Destructive, IdempotentHint bool `json:",omitempty"`
	Default, Deprecated                   bool `json:",omitempty"`
	Operation, Method, Path               string
	Cost                                  CostKind
	CostUnit                              string `json:",omitempty"`
	MaxCost                               int64  `json:",omitempty"`
	Paging                                Paging `json:",omitempty"`
	DefaultLimit, MaxLimit                int64  `json:",omitempty"`
	Idempotent                            bool   `json:",omitempty"`
	// The schemas of the built-in catalogue are static data of the
	// binary (builtin_gen.go): a Tool uses them without a copy.
	InputSchema, OutputSchema json.RawMessage
	// Params lists each argument sent to the API with where it goes:
	// name, place, name, place, ...
	Params []string
	// Paths are the data shape's field paths (nil: no shape); Compact
	// the compact default of a list.
	Paths   []string `json:",omitempty"`
	Compact []string `json:",omitempty"`
}

// Digest returns the key of a document's compiled catalogue: the SHA-256
// of its bytes without the white space around them, hex.
func Digest(doc []byte) string {
	sum := sha256.Sum256(bytes.TrimSpace(doc))
	return hex.EncodeToString(sum[:])
}

// compile returns the compiled form of the API tools and problems Parse
// made of the document whose digest is given.
func compile(digest string, api []*Tool, problems []Problem) *compiledCatalogue {
	cc := &compiledCatalogue{Format: compiledFormat, Digest: digest, Problems: problems}
	for _, t := range api {
		ct := compiledTool{
			Name: t.Name, Title: t.Title, Description: t.Description, Toolset: t.Toolset,
			ReadOnly: t.Annotations.ReadOnly, Destructive: t.Annotations.Destructive, IdempotentHint: t.Annotations.Idempotent,
			Default: t.Default, Deprecated: t.Deprecated,
			Operation: t.Operation, Method: t.Method, Path: t.Path,
			Cost: t.Cost, CostUnit: t.CostUnit, MaxCost: t.MaxCost, Paging: t.Paging,
			DefaultLimit: t.DefaultLimit, MaxLimit: t.MaxLimit, Idempotent: t.Idempotent,
			InputSchema: t.InputSchema, OutputSchema: t.OutputSchema,
			Paths: t.paths, Compact: t.compact,
		}
		names := make([]string, 0, len(t.params))
		for n := range t.params {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			ct.Params = append(ct.Params, n, string(t.params[n]))
		}
		cc.Tools = append(cc.Tools, ct)
	}
	return cc
}

// apiTools returns the tools of cc, ready but for what they derive on
// first use.
func (cc *compiledCatalogue) apiTools() []*Tool {
	out := make([]*Tool, len(cc.Tools))
	for i := range cc.Tools {
		ct := &cc.Tools[i]
		t := &Tool{
			Name: ct.Name, Title: ct.Title, Description: ct.Description, Toolset: ct.Toolset,
			Annotations: Annotations{ReadOnly: ct.ReadOnly, Destructive: ct.Destructive, Idempotent: ct.IdempotentHint},
			Default:     ct.Default, Deprecated: ct.Deprecated,
			Operation: ct.Operation, Method: ct.Method, Path: ct.Path,
			Cost: ct.Cost, CostUnit: ct.CostUnit, MaxCost: ct.MaxCost, Paging: ct.Paging,
			DefaultLimit: ct.DefaultLimit, MaxLimit: ct.MaxLimit, Idempotent: ct.Idempotent,
			InputSchema: ct.InputSchema, OutputSchema: ct.OutputSchema,
			params: make(map[string]paramIn, len(ct.Params)/2),
			paths:  ct.Paths, compact: ct.Compact,
		}
		for j := 0; j+1 < len(ct.Params); j += 2 {
			t.params[ct.Params[j]] = paramIn(ct.Params[j+1])
		}
		t.lazy = newDerived(t.Name, t.InputSchema, t.paths, nil)
		out[i] = t
	}
	return out
}

// catalogue returns the catalogue of cc, built from doc (which may be
// nil for the built-in document, rendered when asked for).
func (cc *compiledCatalogue) catalogue(source string, doc func() []byte) (*Catalogue, error) {
	return assemble(cc.apiTools(), source, doc, cc.Problems)
}

// converterID fingerprints this tollgate's converter: the format and the
// digest of the built-in document's compiled tools, which change with the
// overlay and the converter (go generate writes it in builtin_gen.go).
func converterID() string { return builtInCompiled.Compiler }

// fingerprint returns the Compiler of a compiled built-in catalogue.
func fingerprint(cc *compiledCatalogue) string {
	raw, _ := json.Marshal(cc.Tools)
	return fmt.Sprintf("%d-%s", compiledFormat, Digest(raw)[:16])
}

// compiledFile is where the compiled catalogue of the cached document
// file doc (openapi-KEY.json) is kept: catalogue-KEY.json beside it.
func compiledFile(doc string) string {
	dir, name := filepath.Split(doc)
	return filepath.Join(dir, "catalogue-"+strings.TrimPrefix(name, "openapi-"))
}

// readCompiled reads the compiled catalogue kept at path for the
// document whose digest is given; nil when there is none, or it is of
// another document or another converter.
func readCompiled(path, digest string) *compiledCatalogue {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var cc compiledCatalogue
	if json.Unmarshal(raw, &cc) != nil || cc.Format != compiledFormat || cc.Digest != digest ||
		cc.Compiler != converterID() || len(cc.Tools) == 0 {
		return nil
	}
	return &cc
}

// writeCompiled keeps cc at path for the next start.
func writeCompiled(path string, cc *compiledCatalogue) error {
	c := *cc
	c.Compiler = converterID()
	raw, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, raw)
}

// derived is what a tool derives from its input schema and data shape on
// first use: the compiled argument validator (argschema), the argument schemas by
// name (numbers as json.Number) and the data shape's tree.
type derived struct {
	name  string
	input json.RawMessage
	paths []string

	once   sync.Once
	schema *argschema.Schema
	err    error
	props  map[string]map[string]any
	shape  *shape
}

// newDerived returns the lazy parts of tool name; schema, when not nil,
// is input already compiled.
func newDerived(name string, input json.RawMessage, paths []string, schema *argschema.Schema) *derived {
	return &derived{name: name, input: input, paths: paths, schema: schema}
}

func (d *derived) get() *derived {
	d.once.Do(func() {
		if d.schema == nil {
			if d.schema, d.err = argschema.Compile(d.input); d.err != nil {
				d.err = &ToolError{Code: CodeToolPanic, Message: fmt.Sprintf("the input schema of %s does not compile: %v", d.name, d.err),
					Action: "Report this to the tollgate maintainers; the call was not made."}
			}
		}
		d.props = argSchemas(d.input)
		d.shape = shapeFromPaths(d.paths)
	})
	return d
}

// argSchemas decodes the properties of an input schema.
func argSchemas(input json.RawMessage) map[string]map[string]any {
	var s struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.UseNumber()
	if dec.Decode(&s) != nil || s.Properties == nil {
		return map[string]map[string]any{}
	}
	return s.Properties
}

// validator is t's compiled input schema; nil (and no error) for a tool
// without one.
func (t *Tool) validator() (*argschema.Schema, error) {
	if t.lazy == nil {
		return nil, nil
	}
	d := t.lazy.get()
	return d.schema, d.err
}

// args are t's argument schemas by name.
func (t *Tool) args() map[string]map[string]any {
	if t.lazy == nil {
		return nil
	}
	return t.lazy.get().props
}

// fieldTree is the structure of t's data, nil when the document does not
// describe it.
func (t *Tool) fieldTree() *shape {
	if t.lazy == nil || t.paths == nil {
		return nil
	}
	return t.lazy.get().shape
}
