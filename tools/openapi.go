package tools

import (
	"context"
	"encoding/json"
	"errors"
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

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Catalogue sources.
const (
	SourceAPI     = "api"      // fetched from the configured API just now
	SourceCache   = "cache"    // the last document fetched, from disk
	SourceBuiltIn = "built-in" // the copy compiled into tollgate
)

// BuiltIn returns the catalogue of the OpenAPI document compiled into
// tollgate (the one the sandbox serves).
// It is parsed once; a Catalogue is immutable, so callers share it.
func BuiltIn() *Catalogue { return builtIn() }

var builtIn = sync.OnceValue(func() *Catalogue {
	c, err := Parse(apispec.Document(), SourceBuiltIn)
	if err != nil {
		panic("tools: the built-in OpenAPI document does not parse: " + err.Error())
	}
	return c
})

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
// and logs why: the server always starts.
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
		cat, perr := Parse(resp.Data, SourceAPI)
		if perr == nil {
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
			if cat, perr := Parse(doc, SourceCache); perr == nil {
				return cat
			}
		}
	}
	return BuiltIn()
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
func Parse(doc []byte, source string) (*Catalogue, error) {
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("tools: parse OpenAPI document: %w", err)
	}
	if err := spec.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("tools: invalid OpenAPI document: %w", err)
	}
	if spec.Paths == nil || spec.Paths.Len() == 0 {
		return nil, errors.New("tools: the OpenAPI document has no paths")
	}
	var out []*Tool
	paths := spec.Paths.Keys()
	sort.Strings(paths)
	for _, path := range paths {
		item := spec.Paths.Value(path)
		methods := make([]string, 0, 4)
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, method := range methods {
			op := item.Operations()[method]
			if op.OperationID == "" {
				continue
			}
			ov, known := overlays[op.OperationID]
			if !known {
				ov = fallbackOverlay(method, op)
			}
			if ov.hidden {
				continue
			}
			t, err := buildTool(method, path, item, op, ov)
			if err != nil {
				return nil, fmt.Errorf("tools: operation %s: %w", op.OperationID, err)
			}
			out = append(out, t)
		}
	}
	out = append(out, ownTools()...)
	// Stable order: by toolset, then as the overlay lists names.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Toolset != out[j].Toolset {
			return toolsetRank(out[i].Toolset) < toolsetRank(out[j].Toolset)
		}
		return out[i].Name < out[j].Name
	})
	return newCatalogue(out, source, slices.Clone(doc))
}

var toolsetOrder = []string{ToolsetLookup, ToolsetAds, ToolsetAdvertisers, ToolsetShops, ToolsetBrandtrackers,
	ToolsetGoogleAds, ToolsetTikTok, ToolsetWorkspace, ToolsetAccount, ToolsetBudget}

func toolsetRank(ts string) int {
	if i := slices.Index(toolsetOrder, ts); i >= 0 {
		return i
	}
	return len(toolsetOrder)
}

// fallbackOverlay describes an operation tollgate does not know yet: its
// name comes from the operationId, its toolset from its first tag, and
// its cost is the conservative guess (per row when it takes a limit, one
// credit otherwise, free never assumed).
func fallbackOverlay(method string, op *openapi3.Operation) overlay {
	ov := overlay{name: snakeCase(op.OperationID), title: op.Summary, about: op.Summary, cost: CostPerItem}
	if len(op.Tags) > 0 {
		ov.toolset = snakeCase(op.Tags[0])
	} else {
		ov.toolset = "other"
	}
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.Name == "limit" {
			ov.cost = CostPerRow
		}
	}
	if strings.EqualFold(method, "DELETE") {
		ov.destructive = true
	}
	return ov
}

// snakeCase turns "listTiktokLibrary" or "Google Ads" into
// "list_tiktok_library" / "google_ads", cut to 64 characters.
func snakeCase(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prevLower = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			prevLower = true
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			prevLower = false
		}
	}
	out := strings.Trim(b.String(), "_")
	if len(out) > 64 {
		out = strings.TrimRight(out[:64], "_")
	}
	return out
}

func buildTool(method, path string, item *openapi3.PathItem, op *openapi3.Operation, ov overlay) (*Tool, error) {
	method = strings.ToUpper(method)
	t := &Tool{
		Name:      ov.name,
		Title:     ov.title,
		Toolset:   ov.toolset,
		Operation: op.OperationID,
		Method:    method,
		Path:      path,
		Cost:      ov.cost,
		params:    map[string]paramIn{},
		props:     map[string]map[string]any{},
	}
	readOnly := method == "GET" || readOnlyPosts[op.OperationID]
	t.Idempotent = method == "GET" || ov.idempotent || readOnlyPosts[op.OperationID]
	t.Annotations = Annotations{ReadOnly: readOnly, Destructive: ov.destructive, Idempotent: t.Idempotent}

	var required []string
	params := append(slices.Clone(item.Parameters), op.Parameters...)
	for _, pr := range params {
		p := pr.Value
		if p == nil || p.Deprecated || (p.In != "query" && p.In != "path") {
			continue
		}
		s := map[string]any{}
		if p.Schema != nil && p.Schema.Value != nil {
			s = jsonSchema(p.Schema.Value)
		}
		if p.Description != "" {
			s["description"] = p.Description
		}
		if p.In == "path" {
			s["type"] = "string"
			s["minLength"] = 1
		}
		if err := t.addParam(p.Name, paramIn(p.In), s); err != nil {
			return nil, err
		}
		if p.Required || p.In == "path" {
			required = append(required, p.Name)
		}
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			body := mt.Schema.Value
			names := make([]string, 0, len(body.Properties))
			for n := range body.Properties {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				ps := body.Properties[n]
				if ps.Value == nil || ps.Value.Deprecated {
					continue
				}
				if err := t.addParam(n, inBody, jsonSchema(ps.Value)); err != nil {
					return nil, err
				}
			}
			required = append(required, body.Required...)
		}
	}
	if lim, ok := t.props["limit"]; ok {
		t.DefaultLimit, _ = asInt(lim["default"])
		t.MaxLimit, _ = asInt(lim["maximum"])
		switch {
		case t.props["page"] != nil:
			t.Paging = PagingPage
		case t.props["offset"] != nil:
			t.Paging = PagingOffset
		}
	}
	if t.Cost == CostPerRow && t.DefaultLimit == 0 {
		return nil, errors.New("a per-row operation needs a limit parameter with a default")
	}

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
		return nil, err
	}
	t.InputSchema = raw
	if t.schema, err = compileSchema(t.Name, raw); err != nil {
		return nil, err
	}
	t.OutputSchema = apiOutputSchema(op)
	t.Description = describe(t, ov, op)
	if t.Title == "" {
		t.Title = op.Summary
	}
	return t, nil
}

func (t *Tool) addParam(name string, in paramIn, s map[string]any) error {
	if _, dup := t.params[name]; dup {
		return fmt.Errorf("argument %q appears twice (path, query or body)", name)
	}
	t.params[name] = in
	t.props[name] = s
	return nil
}

// describe writes the model-facing description: purpose, cost, paging.
func describe(t *Tool, ov overlay, op *openapi3.Operation) string {
	var b strings.Builder
	about := ov.about
	if about == "" {
		about = op.Summary
	}
	b.WriteString(about)
	b.WriteString("\nCost: ")
	b.WriteString(t.Cost.Describe())
	b.WriteString(".")
	switch t.Paging {
	case PagingPage:
		fmt.Fprintf(&b, "\nPaging: page (from 1) and limit (1-%d, default %d); the result's nextPage holds the arguments of the next page.", t.MaxLimit, t.DefaultLimit)
	case PagingOffset:
		fmt.Fprintf(&b, "\nPaging: offset (from 0) and limit (1-%d, default %d); the result's nextPage holds the arguments of the next page.", t.MaxLimit, t.DefaultLimit)
	}
	if t.Cost == CostPerRow {
		b.WriteString(" Ask for the rows you need: a smaller limit costs less.")
	}
	if strings.Contains(op.Description, "full_access") && t.Method != "GET" {
		b.WriteString("\nNeeds a full_access API key.")
	}
	return b.String()
}

// jsonSchema converts an OpenAPI 3.0 schema into the JSON Schema subset
// MCP hosts and OpenAI function calling accept.
func jsonSchema(s *openapi3.Schema) map[string]any {
	out := map[string]any{}
	if s.Type != nil && len(s.Type.Slice()) == 1 {
		out["type"] = s.Type.Slice()[0]
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	if len(s.Enum) > 0 {
		out["enum"] = s.Enum
	}
	if s.Default != nil {
		out["default"] = s.Default
	}
	if s.Min != nil {
		out["minimum"] = *s.Min
	}
	if s.Max != nil {
		out["maximum"] = *s.Max
	}
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.Format == "date-time" || s.Format == "date" {
		out["format"] = s.Format
	}
	if s.MinItems > 0 {
		out["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		out["maxItems"] = *s.MaxItems
	}
	if s.Items != nil && s.Items.Value != nil {
		out["items"] = jsonSchema(s.Items.Value)
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for n, p := range s.Properties {
			if p.Value != nil {
				props[n] = jsonSchema(p.Value)
			}
		}
		out["properties"] = props
		if len(s.Required) > 0 {
			out["required"] = s.Required
		}
	}
	return out
}
