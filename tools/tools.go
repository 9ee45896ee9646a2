// Package tools turns the TrendTrack API into tools for LLM agents.
//
// A [Catalogue] is built from the API's OpenAPI document (read by
// internal/openapi) plus an overlay written in Go (overlay*.go) for what the document does
// not say: a stable snake_case name, a description written for a model,
// the credit cost model the budget controller needs, a toolset and MCP
// annotations. The overlay is keyed by method and path template, the
// stable part of the API; the operationId is only a label. An operation
// the overlay does not know is still offered (named from its method and
// path, reserved conservatively, in toolset "other", off by default), and
// an operation the converter cannot describe is left out and reported in
// [Catalogue.Problems]: a live document is never rejected whole for one
// surprise.
//
// Converting a document is the expensive part of a start, so a catalogue
// is kept compiled, keyed by the SHA-256 of its document ([Digest]): the
// built-in document's is compiled into tollgate (go generate ./tools),
// and [Load] keeps the compiled form of any other document beside its
// cached copy. Only a document seen for the first time is parsed, and a
// tool's JSON Schema validator is compiled on its first call.
//
// Tools are grouped in toolsets (see [Toolsets]). A core of about 25
// tools is offered by default (Tool.Default); naming toolsets offers all
// of their tools, and the pseudo-toolset "all" offers everything.
//
// Every call reserves its worst case before it runs (see [Tool.Ask]):
// every cost model has an upper bound, and a paid call always sends the
// limit it reserved for, the default included. An answer that costs more
// than its reservation is logged, counted (get_budget shows it) and raises
// that tool's reservations for the rest of the run.
//
// A [Toolbox] is the one entry point every face shares: [Toolbox.Call]
// validates the arguments against the tool's input schema, asks the
// budget controller for a reservation (lowering limit when only part of
// the page fits), calls the API through runtime, and shapes the answer
// into a [Result]: the data with pagination, the arguments of the next
// page and the call's metering on success, or the advice object on
// failure. The MCP server (package mcpserver) and the go-openai adapter
// (agent.Tools, agent.Dispatch) only translate that Result to their
// protocol, so a model sees the same JSON through both.
// Every tool also carries the JSON Schema of what it returns
// ([Tool.OutputSchema]), built from the document's response schemas.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/argschema"
)

// Instructions is what a face tells the model about these tools: the MCP
// server sends it at initialisation, the agent runner as its system prompt.
const Instructions = `Tools for the TrendTrack API (ads, advertisers, shops, brandtrackers, TikTok and Google ads). Most calls cost credits: one per returned row or item.
- Call lookup first when the user names a brand, domain or handle: it is free and gives the ids other tools need.
- Ask for the rows you need (limit); follow nextPage only when you need more.
- List rows are compact by default; pass fields (dotted paths, or ["*"] for everything) to see more. The same call again is answered from tollgate's cache for 0 credits until the API's data is refreshed (metering.cached).
- A call that fails returns {"error": {code, retryable, retryAfterSeconds, action, source}, "budget": {...}} instead of data. Follow error.action. source "budget" means tollgate stopped the call before the API would have refused it: do not retry, narrow or stop and report. (A tool name that is not in your list is refused outright, with no advice.)
- Call get_budget to plan a long series of calls.`

// Toolsets tollgate groups its tools into.
const (
	ToolsetLookup               = "lookup"
	ToolsetAds                  = "ads"
	ToolsetAdvertisers          = "advertisers"
	ToolsetShops                = "shops"
	ToolsetBrandtrackers        = "brandtrackers"
	ToolsetBrandtrackerInsights = "brandtracker_insights"
	ToolsetBrandtrackerFolders  = "brandtracker_folders"
	ToolsetGoogleAds            = "google_ads"
	ToolsetTikTok               = "tiktok"
	ToolsetEmails               = "emails"
	ToolsetFacets               = "facets"
	ToolsetFavoriteAds          = "favorite_ads"
	ToolsetFavoriteShops        = "favorite_shops"
	ToolsetFavoriteEmails       = "favorite_emails"
	ToolsetWorkspace            = "workspace"
	ToolsetAccount              = "account"
	ToolsetBudget               = "budget"
	// ToolsetOther holds the operations of a live document that tollgate
	// does not know; it is off by default.
	ToolsetOther = "other"
)

// Pseudo-toolsets a Filter accepts besides the real ones.
const (
	// ToolsetAll selects every tool of the catalogue.
	ToolsetAll = "all"
	// ToolsetDefault selects the core tools (Tool.Default), as an empty
	// Filter does; "default,favorite_ads" adds a toolset to the core.
	ToolsetDefault = "default"
)

// Toolsets lists tollgate's toolsets in catalogue order.
func Toolsets() []string { return slices.Clone(toolsetOrder) }

var toolsetOrder = []string{ToolsetLookup, ToolsetAds, ToolsetAdvertisers, ToolsetShops, ToolsetBrandtrackers,
	ToolsetBrandtrackerInsights, ToolsetBrandtrackerFolders, ToolsetGoogleAds, ToolsetTikTok, ToolsetEmails, ToolsetFacets,
	ToolsetFavoriteAds, ToolsetFavoriteShops, ToolsetFavoriteEmails, ToolsetWorkspace, ToolsetAccount, ToolsetBudget, ToolsetOther}

func toolsetRank(ts string) int {
	if i := slices.Index(toolsetOrder, ts); i >= 0 {
		return i
	}
	return len(toolsetOrder)
}

// Paging is the pagination style of a list operation.
type Paging string

// Pagination styles of the API.
const (
	PagingNone   Paging = ""
	PagingPage   Paging = "page"   // page (1-based) and limit
	PagingOffset Paging = "offset" // offset (0-based) and limit
)

// Annotations are the MCP tool hints.
type Annotations struct {
	ReadOnly    bool
	Destructive bool
	Idempotent  bool
}

// A Tool is one operation of the API offered to a model, or a local
// tool answered by tollgate itself (get_budget, estimate_cost, and the
// tools a face adds, such as the MCP server's dynamic mode), which has no
// Operation and carries its Handler.
type Tool struct {
	Name        string // snake_case, at most 64 characters, stable across releases
	Title       string
	Description string // written for a model: what it returns, what it costs
	Toolset     string
	Annotations Annotations

	// Default marks a tool of the core list, offered when no toolset is
	// named.
	Default bool
	// Deprecated marks a legacy operation that another tool replaces
	// (its description names it).
	Deprecated bool

	// Operation is the API's operationId, a label for logs; empty for
	// tollgate's own tools. Method and Path identify the operation.
	Operation string
	Method    string
	Path      string // template, e.g. /v1/ads/{adId}
	// Cost is how a call is charged; CostUnit names what one credit buys.
	Cost     CostKind
	CostUnit string
	// MaxCost is the most one call can be charged when its limit does not
	// bound it: 1 for a per-item tool, the size of a fixed-size answer,
	// the bound tollgate assumes for an unknown operation. For a tool
	// whose limit bounds the cost (LimitsCost), a call costs at most its
	// limit and MaxCost is MaxLimit (0 when the document gives none).
	MaxCost int64
	Paging  Paging
	// DefaultLimit and MaxLimit bound the limit argument (0 when the
	// operation has none, or MaxLimit 0 when the document sets no
	// maximum). DefaultLimit is what tollgate sends when the model
	// omits limit on a paid call.
	DefaultLimit int64
	MaxLimit     int64
	// Idempotent is true for GETs and for writes the API documents as
	// safe to repeat; only these are retried on 5xx.
	Idempotent bool

	// InputSchema is the JSON Schema of the arguments (an object).
	InputSchema json.RawMessage
	// OutputSchema is the JSON Schema of a call's structured result: a
	// success or the advice object of a failure (see APIResultSchema).
	OutputSchema json.RawMessage

	// Handler answers a local tool; nil for API operations.
	Handler Handler

	params map[string]paramIn // argument name -> where it goes
	// props are the argument schemas while Parse builds the tool
	// (openapi.go); once built, args() derives them from InputSchema.
	props map[string]map[string]any
	// paths (the data shape's field paths, nil when the document does
	// not describe the data) and compact serve the fields argument
	// (fields.go).
	paths   []string
	compact []string
	// lazy is what the tool derives from its schemas on first use: the
	// compiled validator, the argument schemas, the data shape
	// (compiled.go). nil for a Tool not built by this package.
	lazy *derived
}

// A Handler answers a call of a local tool. args were validated against
// the tool's input schema. Like Toolbox.Call it reports every failure as
// a Result (see Toolbox.Fail), never as a Go error.
type Handler func(ctx context.Context, box *Toolbox, args map[string]any) *Result

// LocalSpec describes a local tool for NewLocal.
type LocalSpec struct {
	Name        string // snake_case, 1 to 64 characters of [a-z0-9_]
	Title       string
	Description string
	Toolset     string
	// Schema is the JSON Schema of the arguments, an object.
	Schema map[string]any
	// Output is the JSON Schema of a successful answer, an object; nil
	// means any object. The tool's OutputSchema adds the failure.
	Output map[string]any
	// ReadOnly marks a tool that changes nothing (it is then also
	// idempotent).
	ReadOnly bool
	Handler  Handler
}

// NewLocal returns a local tool: one answered by Handler rather than by
// an API call. Faces use it for tools of their own (the MCP server's
// dynamic mode); tollgate's budget tools are built the same way.
func NewLocal(s LocalSpec) (*Tool, error) {
	if err := checkName(s.Name); err != nil {
		return nil, err
	}
	if s.Handler == nil {
		return nil, fmt.Errorf("tools: local tool %s has no Handler", s.Name)
	}
	raw, err := json.Marshal(s.Schema)
	if err != nil {
		return nil, fmt.Errorf("tools: schema of %s: %w", s.Name, err)
	}
	sch, err := argschema.Compile(raw)
	if err != nil {
		return nil, fmt.Errorf("tools: schema of %s: %w", s.Name, err)
	}
	out := s.Output
	if out == nil {
		out = map[string]any{"type": "object"}
	}
	return &Tool{
		Name: s.Name, Title: s.Title, Description: s.Description, Toolset: s.Toolset, Cost: CostFree,
		Annotations: Annotations{ReadOnly: s.ReadOnly, Idempotent: s.ReadOnly},
		Idempotent:  s.ReadOnly, InputSchema: raw, OutputSchema: mustJSON(withFailure(out)),
		Handler: s.Handler, lazy: newDerived(s.Name, raw, nil, sch),
	}, nil
}

// paramIn is where an argument travels in the HTTP request.
type paramIn string

const (
	inPath  paramIn = "path"
	inQuery paramIn = "query"
	inBody  paramIn = "body"
)

// A Catalogue is an ordered, immutable set of tools.
type Catalogue struct {
	tools  []*Tool
	byName map[string]*Tool
	// Source says where the OpenAPI document came from ("api",
	// "cache", "built-in").
	Source string
	// doc returns the OpenAPI document the catalogue was built from
	// (nil for none); the built-in one is rendered when first asked for.
	doc      func() []byte
	problems []Problem
}

func newCatalogue(tools []*Tool, source string, doc func() []byte, problems []Problem) (*Catalogue, error) {
	c := &Catalogue{byName: make(map[string]*Tool, len(tools)), Source: source, doc: doc, problems: problems}
	for _, t := range tools {
		if err := checkName(t.Name); err != nil {
			return nil, err
		}
		if _, dup := c.byName[t.Name]; dup {
			return nil, fmt.Errorf("tools: two tools are named %q", t.Name)
		}
		c.byName[t.Name] = t
		c.tools = append(c.tools, t)
	}
	return c, nil
}

// checkName enforces the tool name rules shared by MCP hosts and OpenAI
// function calling: 1 to 64 characters of [a-z0-9_].
func checkName(n string) error {
	if n == "" || len(n) > 64 {
		return fmt.Errorf("tools: tool name %q must be 1 to 64 characters", n)
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("tools: tool name %q may only hold a-z, 0-9 and _", n)
		}
	}
	return nil
}

// Document returns the OpenAPI document the catalogue was built from (see
// Source), as JSON; nil for a catalogue not built by Parse.
func (c *Catalogue) Document() []byte {
	if c.doc == nil {
		return nil
	}
	return slices.Clone(c.doc())
}

// Tools returns the tools in catalogue order.
func (c *Catalogue) Tools() []*Tool { return slices.Clone(c.tools) }

// Len is the number of tools.
func (c *Catalogue) Len() int { return len(c.tools) }

// Lookup finds a tool by name.
func (c *Catalogue) Lookup(name string) (*Tool, bool) {
	t, ok := c.byName[name]
	return t, ok
}

// Toolsets lists the toolsets present, sorted.
func (c *Catalogue) Toolsets() []string {
	var out []string
	for _, t := range c.tools {
		if !slices.Contains(out, t.Toolset) {
			out = append(out, t.Toolset)
		}
	}
	sort.Strings(out)
	return out
}

// Filter narrows what a catalogue exposes.
type Filter struct {
	// Toolsets keeps the tools of these toolsets; "all" (ToolsetAll)
	// keeps every tool and "default" (ToolsetDefault) the core ones.
	// Empty means the core tools, unless Tools is set.
	Toolsets []string
	// Tools keeps only these tool names; with Toolsets empty they are
	// taken from the whole catalogue.
	Tools    []string
	ReadOnly bool // drop tools that change anything
}

// Select returns the tools f keeps. Unknown toolset or tool names are an
// error that lists the valid ones, so a typo in --toolsets is not a
// silently empty server.
func (c *Catalogue) Select(f Filter) (*Catalogue, error) {
	known := c.Toolsets()
	for _, ts := range f.Toolsets {
		if ts != ToolsetAll && ts != ToolsetDefault && !slices.Contains(known, ts) {
			return nil, fmt.Errorf("unknown toolset %q; toolsets are: %s (or %s, %s)", ts, strings.Join(known, ", "), ToolsetAll, ToolsetDefault)
		}
	}
	for _, n := range f.Tools {
		if _, ok := c.byName[n]; !ok {
			return nil, fmt.Errorf("unknown tool %q; tools are: %s", n, strings.Join(c.names(), ", "))
		}
	}
	sets := f.Toolsets
	if len(sets) == 0 && len(f.Tools) == 0 {
		sets = []string{ToolsetDefault}
	}
	var keep []*Tool
	for _, t := range c.tools {
		if len(sets) > 0 && !slices.Contains(sets, ToolsetAll) && !slices.Contains(sets, t.Toolset) &&
			!(t.Default && slices.Contains(sets, ToolsetDefault)) {
			continue
		}
		if len(f.Tools) > 0 && !slices.Contains(f.Tools, t.Name) {
			continue
		}
		if f.ReadOnly && !t.Annotations.ReadOnly {
			continue
		}
		keep = append(keep, t)
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("the filter leaves no tools")
	}
	return newCatalogue(keep, c.Source, c.doc, c.problems)
}

// Problems lists what the catalogue left out of its OpenAPI document, or
// described more conservatively than the document would have it, and
// why. It is empty for the built-in document.
func (c *Catalogue) Problems() []Problem { return slices.Clone(c.problems) }

func (c *Catalogue) names() []string {
	out := make([]string, len(c.tools))
	for i, t := range c.tools {
		out[i] = t.Name
	}
	return out
}
