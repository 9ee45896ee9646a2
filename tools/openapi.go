package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/argschema"
	"github.com/tollgate-mcp/tollgate/internal/openapi"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Catalogue sources.
const (
	SourceAPI     = "api"      // fetched from the configured API just now
	SourceCache   = "cache"    // the last document fetched, from disk
	SourceBuiltIn = "built-in" // the copy compiled into tollgate
)

// BuiltIn returns the catalogue of the OpenAPI document compiled into
// tollgate (the one the sandbox serves). It is loaded from its compiled
// form (compiled.go) without parsing the document, once; a Catalogue is
// immutable, so callers share it.
func BuiltIn() *Catalogue { return builtIn() }

var builtIn = sync.OnceValue(func() *Catalogue {
	c, err := builtInCompiled.catalogue(SourceBuiltIn, builtInDoc)
	if err != nil {
		panic("tools: the built-in compiled catalogue does not load: " + err.Error())
	}
	return c
})

// builtInDoc is the built-in document, rendered when first asked for.
var builtInDoc = sync.OnceValue(apispec.Document)

// LoadOptions configure [Load].
type LoadOptions struct {
	// CacheDir, when set, keeps the last document fetched so a later
	// start without network still gets the API's own tools.
	CacheDir string
	// Timeout bounds the fetch; 0 means 10 seconds.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Load builds the catalogue from the configured API's GET /v1/openapi.json
// (free). When the API cannot be reached or answers a document that does
// not parse, it falls back to the cached copy, then to the built-in one,
// and logs why: the server always starts. A document it has seen before
// (the built-in one, or the one cached in CacheDir) is not parsed again:
// its compiled catalogue is used (see Digest).
func Load(ctx context.Context, c *runtime.Client, o LoadOptions) *Catalogue {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	cacheFile := ""
	if o.CacheDir != "" {
		cacheFile = filepath.Join(o.CacheDir, "openapi-"+cacheKey(c.BaseURL())+".json")
	}
	fetchCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	resp, err := c.Do(fetchCtx, &runtime.Request{Method: "GET", Path: "/v1/openapi.json", Operation: "getOpenapi"})
	if err == nil {
		cat, perr := fromDocument(resp.Data, SourceAPI, cacheFile, log)
		if perr == nil {
			logProblems(log, cat)
			if cacheFile != "" {
				if werr := writeFileAtomic(cacheFile, resp.Data); werr != nil {
					log.Warn("could not cache the OpenAPI document", "file", cacheFile, "err", werr)
				}
			}
			return cat
		}
		err = perr
	}
	log.Warn("could not load the API's OpenAPI document; using a stored copy", "err", err)
	if cacheFile != "" {
		if doc, rerr := os.ReadFile(cacheFile); rerr == nil {
			if cat, perr := fromDocument(doc, SourceCache, cacheFile, log); perr == nil {
				logProblems(log, cat)
				return cat
			}
		}
	}
	return BuiltIn()
}

// fromDocument builds the catalogue of doc without parsing it when it
// can (compiled.go): from the built-in compiled catalogue when doc is the
// built-in document, from the compiled catalogue kept beside cacheFile
// when that is doc's; else with Parse, keeping the compiled form beside
// cacheFile for the next start.
func fromDocument(doc []byte, source, cacheFile string, log *slog.Logger) (*Catalogue, error) {
	digest := Digest(doc)
	doc = slices.Clone(doc)
	docFn := func() []byte { return doc }
	if digest == builtInCompiled.Digest {
		return builtInCompiled.catalogue(source, docFn)
	}
	compiledPath := ""
	if cacheFile != "" {
		compiledPath = compiledFile(cacheFile)
		if cc := readCompiled(compiledPath, digest); cc != nil {
			return cc.catalogue(source, docFn)
		}
	}
	api, problems, err := convert(doc)
	if err != nil {
		return nil, err
	}
	if compiledPath != "" {
		if werr := writeCompiled(compiledPath, compile(digest, api, problems)); werr != nil {
			log.Warn("could not keep the compiled catalogue", "file", compiledPath, "err", werr)
		}
	}
	return assemble(api, source, docFn, problems)
}

// logProblems says what of the document the catalogue left out or
// described conservatively, one line each.
func logProblems(log *slog.Logger, cat *Catalogue) {
	for _, p := range cat.Problems() {
		log.Warn("OpenAPI document: "+p.String(), "operation", p.Operation, "operationId", p.OperationID, "param", p.Param, "skipped", p.Skipped)
	}
}

func cacheKey(baseURL string) string {
	var b strings.Builder
	for _, r := range baseURL {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".openapi-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// Parse builds a catalogue from an OpenAPI 3 document. source is recorded
// in Catalogue.Source.
//
// Only a document that is not OpenAPI at all (or in which no operation
// can be described) is an error. An operation the converter cannot
// describe faithfully is left out, and a parameter it does not understand
// is dropped when it is optional; both are listed in Catalogue.Problems,
// which Load logs. The rest of the document is kept.
func Parse(doc []byte, source string) (*Catalogue, error) {
	api, problems, err := convert(doc)
	if err != nil {
		return nil, err
	}
	doc = slices.Clone(doc)
	return assemble(api, source, func() []byte { return doc }, problems)
}

// convert makes the API tools of an OpenAPI document (read by
// internal/openapi), in path and method order, and lists its problems.
func convert(doc []byte) ([]*Tool, []Problem, error) {
	spec, problems, err := loadDocument(doc)
	if err != nil {
		return nil, nil, err
	}
	var out []*Tool
	taken := map[string]bool{}
	for _, path := range spec.SortedPaths() {
		item := spec.Paths[path]
		for _, mo := range item.Operations() {
			method, op := mo.Method, mo.Operation
			ov, ref, isKnown := known(method, path)
			if ov.hidden {
				continue
			}
			var refp *apispec.Operation
			if isKnown {
				refp = &ref
			} else {
				ov = unknownOverlay(method, path, op)
			}
			key := strings.ToUpper(method) + " " + path
			skip := func(reason string) {
				problems = append(problems, Problem{Operation: key, OperationID: op.OperationID, Skipped: true, Reason: reason})
			}
			if err := spec.Check(item, op); err != nil {
				skip("invalid operation: " + err.Error())
				continue
			}
			if !isKnown {
				ov.name = uniqueName(ov.name, taken)
			} else if taken[ov.name] {
				skip("another path of the document already maps to tool " + ov.name)
				continue
			}
			t, notes, err := buildTool(method, path, item, op, ov, refp)
			for i := range notes {
				notes[i].Operation, notes[i].OperationID = key, op.OperationID
			}
			problems = append(problems, notes...)
			if err != nil {
				skip(err.Error())
				continue
			}
			taken[t.Name] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("tools: no operation of the OpenAPI document can be offered as a tool%s", firstProblem(problems))
	}
	return out, problems, nil
}

// assemble makes the catalogue of a document's API tools (in convert's
// order) with tollgate's own tools. doc returns the document.
func assemble(api []*Tool, source string, doc func() []byte, problems []Problem) (*Catalogue, error) {
	out := slices.Clip(api)
	for _, own := range ownTools() {
		own.Default = true
		out = append(out, own)
	}
	// Stable order: by toolset, then by name.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Toolset != out[j].Toolset {
			return toolsetRank(out[i].Toolset) < toolsetRank(out[j].Toolset)
		}
		return out[i].Name < out[j].Name
	})
	return newCatalogue(out, source, doc, problems)
}

// buildTool converts one operation. ref is the reference's description
// of it (nil for an operation tollgate does not know): the cost model,
// the write semantics and the limits the document may leave out come from
// there. notes are parameters left out or described conservatively; an
// error means the operation cannot be offered.
func buildTool(method, path string, item *openapi.PathItem, op *openapi.Operation, ov overlay, ref *apispec.Operation) (*Tool, []Problem, error) {
	method = strings.ToUpper(method)
	t := &Tool{
		Name:       ov.name,
		Title:      ov.title,
		Toolset:    ov.toolset,
		Default:    ov.core,
		Deprecated: op.Deprecated,
		Operation:  op.OperationID,
		Method:     method,
		Path:       path,
		params:     map[string]paramIn{},
		props:      map[string]map[string]any{},
	}
	applyCost(t, ref)
	var notes []Problem
	note := func(param, reason string) { notes = append(notes, Problem{Param: param, Reason: reason}) }

	var required []string
	for _, p := range parameters(item, op) {
		if p.In != "query" && p.In != "path" {
			if p.Required {
				return nil, notes, fmt.Errorf("required %s parameter %q: tollgate only sends path, query and JSON body arguments", p.In, p.Name)
			}
			continue
		}
		if p.Deprecated && !p.Required {
			continue
		}
		s, why := paramSchema(p)
		if why != "" {
			if p.Required || p.In == "path" {
				return nil, notes, fmt.Errorf("required parameter %q: %s", p.Name, why)
			}
			note(p.Name, "left out: "+why)
			continue
		}
		if err := t.addParam(p.Name, paramIn(p.In), s); err != nil {
			return nil, notes, err
		}
		if p.Required || p.In == "path" {
			required = append(required, p.Name)
		}
	}
	for _, name := range pathParams(path) {
		if t.params[name] != inPath {
			return nil, notes, fmt.Errorf("path parameter {%s} is not declared", name)
		}
	}
	if op.RequestBody != nil {
		rb := op.RequestBody
		body, why := bodySchema(rb)
		switch {
		case why != "" && rb.Required:
			return nil, notes, fmt.Errorf("request body: %s", why)
		case why != "":
			note("(body)", "optional body left out: "+why)
		default:
			names := make([]string, 0, len(body.props))
			for n := range body.props {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				ps := body.props[n]
				if ps.ReadOnly || ps.Deprecated && !slices.Contains(body.required, n) {
					continue // readOnly: only in answers, even when required
				}
				if err := t.addParam(n, inBody, jsonSchema(ps, 0)); err != nil {
					return nil, notes, err
				}
			}
			for _, n := range body.required {
				if t.params[n] == inBody {
					required = append(required, n)
				}
			}
		}
	}
	notes = append(notes, applyLimit(t, ref)...)
	t.addViewArgs(op)

	schema := map[string]any{
		"type":                 "object",
		"properties":           t.props,
		"additionalProperties": false,
	}
	if len(required) > 0 {
		sort.Strings(required)
		schema["required"] = slices.Compact(required)
	}
	raw, err := json.Marshal(schema)
	if err != nil {
		return nil, notes, err
	}
	sch, err := argschema.Compile(raw)
	if err != nil {
		// A pattern the validator cannot compile: drop the patterns, the
		// API validates its own arguments.
		for name, p := range t.props {
			if dropPatterns(p) {
				note(name, "its pattern could not be compiled and was left out of the input schema")
			}
		}
		if raw, err = json.Marshal(schema); err != nil {
			return nil, notes, err
		}
		if sch, err = argschema.Compile(raw); err != nil {
			return nil, notes, fmt.Errorf("input schema does not compile: %w", err)
		}
	}
	t.InputSchema = raw
	t.OutputSchema = apiOutputSchema(op)
	if t.paths != nil {
		t.OutputSchema = projectedOutput(t.OutputSchema) // fields.go
	}
	t.Description = describe(t, ov, op, ref) + t.viewNote()
	if t.Title == "" {
		t.Title = op.Summary
	}
	// From here on the argument schemas are read from InputSchema, as
	// they are for a compiled catalogue (compiled.go).
	t.props = nil
	t.lazy = newDerived(t.Name, raw, t.paths, sch)
	return t, notes, nil
}

// applyCost sets t's cost model and annotations from the reference, or
// conservatively for an operation tollgate does not know.
func applyCost(t *Tool, ref *apispec.Operation) {
	if ref == nil {
		get := t.Method == "GET" || t.Method == "HEAD"
		t.Cost, t.MaxCost = CostUnknown, UnknownCallBound
		t.Idempotent = get || t.Method == "PUT" || t.Method == "DELETE"
		t.Annotations = Annotations{ReadOnly: get, Destructive: t.Method == "DELETE", Idempotent: t.Idempotent}
		return
	}
	switch ref.Cost.Model {
	case apispec.CostFree:
		t.Cost = CostFree
	case apispec.CostPerItem:
		t.Cost = CostPerItem
	case apispec.CostPerRow:
		t.Cost = CostPerRow
	case apispec.CostPerSeries:
		t.Cost = CostPerSeries
	case apispec.CostFixed:
		t.Cost = CostFixed
	default:
		t.Cost = CostUnknown
	}
	t.CostUnit, t.MaxCost = ref.Cost.Unit, ref.Cost.Max
	if t.Cost != CostFree && t.MaxCost <= 0 {
		t.MaxCost = UnknownCallBound
	}
	t.Deprecated = t.Deprecated || ref.Deprecated
	t.Idempotent = ref.Idempotent()
	t.Annotations = Annotations{ReadOnly: ref.ReadOnly(), Destructive: ref.Destructive(), Idempotent: ref.Idempotent()}
}

// applyLimit settles the limit argument: the default tollgate sends when
// the model omits it (the document's, else the reference's, else the
// largest allowed), its maximum, the paging style, and MaxCost for a tool
// whose limit bounds its cost. It returns what it had to assume.
func applyLimit(t *Tool, ref *apispec.Operation) []Problem {
	var notes []Problem
	refDef, refMax := int64(0), int64(0)
	if ref != nil {
		if p, found := ref.Param("limit"); found {
			refDef, _ = p.Default.(int64)
			if p.Max != nil {
				refMax = *p.Max
			}
		}
	}
	lim, ok := t.props["limit"]
	if !ok {
		if ref != nil && ref.Cost.LimitParam == "limit" {
			notes = append(notes, Problem{Param: "limit", Reason: fmt.Sprintf("the document has no limit argument: every call reserves the answer's bound, %d credits", t.MaxCost)})
		}
		return notes
	}
	def, hasDef := asInt(lim["default"])
	hasDef = hasDef && def > 0
	t.MaxLimit, _ = asInt(lim["maximum"])
	if t.MaxLimit <= 0 && refMax > 0 {
		t.MaxLimit = refMax
		lim["maximum"] = refMax
	}
	switch {
	case hasDef:
		t.DefaultLimit = def
	case refDef > 0:
		t.DefaultLimit = refDef
	case t.MaxLimit > 0:
		t.DefaultLimit = t.MaxLimit
	default:
		t.DefaultLimit = UnknownCallBound
	}
	if t.MaxLimit > 0 && t.DefaultLimit > t.MaxLimit {
		notes = append(notes, Problem{Param: "limit", Reason: fmt.Sprintf("default %d is above the maximum %d; tollgate sends %d", t.DefaultLimit, t.MaxLimit, t.MaxLimit)})
		t.DefaultLimit = t.MaxLimit
	}
	if t.LimitsCost() && (!hasDef || def != t.DefaultLimit) {
		if !hasDef && t.Cost != CostUnknown {
			notes = append(notes, Problem{Param: "limit", Reason: fmt.Sprintf("the document gives no default; tollgate sends limit=%d when the model omits it", t.DefaultLimit)})
		}
		lim["default"] = t.DefaultLimit
	}
	switch {
	case t.props["page"] != nil:
		t.Paging = PagingPage
	case t.props["offset"] != nil:
		t.Paging = PagingOffset
	}
	if t.LimitsCost() {
		t.MaxCost = t.MaxLimit
	}
	return notes
}

// parameters are the parameters of op: the path item's, each replaced
// by the operation's of the same name and location, then the
// operation's others, as OpenAPI merges them.
func parameters(item *openapi.PathItem, op *openapi.Operation) []*openapi.Parameter {
	type key struct{ name, in string }
	own := make(map[key]bool, len(op.Parameters))
	for _, p := range op.Parameters {
		own[key{p.Name, p.In}] = true
	}
	var out []*openapi.Parameter
	for _, p := range item.Parameters {
		if !own[key{p.Name, p.In}] {
			out = append(out, p)
		}
	}
	return append(out, op.Parameters...)
}

func (t *Tool) addParam(name string, in paramIn, s map[string]any) error {
	if _, dup := t.params[name]; dup {
		return fmt.Errorf("argument %q appears twice (path, query or body)", name)
	}
	t.params[name] = in
	t.props[name] = s
	return nil
}

// describe writes the model-facing description: purpose, cost, paging,
// access.
func describe(t *Tool, ov overlay, op *openapi.Operation, ref *apispec.Operation) string {
	var b strings.Builder
	about := ov.about
	if about == "" {
		about = op.Summary
	}
	b.WriteString(about)
	b.WriteString("\nCost: ")
	b.WriteString(t.CostRule())
	b.WriteString(".")
	limits := fmt.Sprintf("limit (1-%d, default %d)", t.MaxLimit, t.DefaultLimit)
	if t.MaxLimit <= 0 {
		limits = fmt.Sprintf("limit (default %d)", t.DefaultLimit)
	}
	switch {
	case t.Paging == PagingPage && t.DefaultLimit > 0:
		fmt.Fprintf(&b, "\nPaging: page (from 1) and %s; the result's nextPage holds the arguments of the next page.", limits)
	case t.Paging == PagingPage:
		b.WriteString("\nPaging: page (from 1); the result's nextPage holds the arguments of the next page.")
	case t.Paging == PagingOffset:
		fmt.Fprintf(&b, "\nPaging: offset (from 0) and %s; the result's nextPage holds the arguments of the next page.", limits)
	}
	switch {
	case t.LimitsCost() && t.Cost == CostPerSeries:
		b.WriteString(" Ask for the series you need: a smaller limit costs less.")
	case t.LimitsCost():
		b.WriteString(" Ask for the rows you need: a smaller limit costs less.")
	}
	switch {
	case ref != nil && ref.Access == apispec.AccessWriter:
		b.WriteString("\nNeeds a full_access API key.")
	case ref == nil && strings.Contains(op.Description, "full_access") && t.Method != "GET":
		b.WriteString("\nNeeds a full_access API key.")
	}
	if ref == nil {
		b.WriteString("\nNot known to tollgate: described from the API's document only.")
	}
	return b.String()
}
