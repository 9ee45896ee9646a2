package apispec

import (
	"slices"
	"strings"
)

// Operation is one operation of the API: everything the sandbox needs to
// serve it, the OpenAPI document needs to describe it, and tollgate needs to
// reserve credits for it and describe it to a model.
type Operation struct {
	// ID is the operationId. It is a label: tollgate keys its overlay by
	// Method and Path, the stable part of the API.
	ID string
	// Method is the upper-case HTTP method.
	Method string
	// Path is the path template, e.g. "/v1/ads/{adId}".
	Path string
	// Tag groups operations as the reference pages do ("Ads", "Brandtrackers", ...).
	Tag string
	// Summary is one line; Description says what the operation does and
	// what its answer holds (the cost, paging and write lines are added by
	// the renderer from the fields below).
	Summary     string
	Description string
	// Deprecated marks legacy compatibility operations the reference tells
	// new clients not to use (the ad-rank and scaling-ads endpoints).
	Deprecated bool

	// Access says who may call the operation.
	Access Access
	// Params are the path and query parameters, in document order.
	Params []Param
	// Body lists the JSON body properties; nil means the operation takes
	// no body. An empty, non-nil Body means a body is accepted but has no
	// properties of its own.
	Body []Param
	// Constraints are the rules between parameters (exactly one of, at
	// most one of, required when, min <= max) that the schema alone cannot
	// say.
	Constraints []Constraint

	// Paging is how a collection pages; PagingNone for everything else.
	Paging Paging
	// Cost is how the operation is metered and the most one call can cost.
	Cost Cost
	// Write says what the operation changes, if anything.
	Write Write
	// Response is the shape of a successful answer.
	Response Response
}

// Access says who may call an operation.
type Access string

const (
	// AccessPublic operations need no API key (GET /v1, /v1/health,
	// /v1/openapi.json, /v1/docs).
	AccessPublic Access = "public"
	// AccessKey operations need any valid key.
	AccessKey Access = "key"
	// AccessWriter operations change workspace resources and need a
	// full_access key; delegated_user keys get 403 forbidden.
	AccessWriter Access = "writer"
	// AccessScoped operations (favorites) take a required scope parameter:
	// scope=personal needs a delegated_user key (full_access keys get 403),
	// and a write with scope=workspace needs a full_access key.
	AccessScoped Access = "scoped"
)

// In is where a parameter travels.
type In string

// Parameter locations.
const (
	InPath  In = "path"
	InQuery In = "query"
	InBody  In = "body"
)

// Type is a JSON type.
type Type string

// JSON types of parameters.
const (
	TypeString  Type = "string"
	TypeInteger Type = "integer"
	TypeNumber  Type = "number"
	TypeBoolean Type = "boolean"
	TypeArray   Type = "array"
	TypeObject  Type = "object"
)

// Param is one path parameter, query parameter or body property.
type Param struct {
	Name string
	In   In
	Type Type
	// Format refines a string: "date" (YYYY-MM-DD), "date-time" (ISO 8601
	// date or date-time), "uuid", "month" (YYYY-MM).
	Format string
	// Pattern is a regular expression a string (or, for arrays, each item)
	// must match.
	Pattern string
	// Enum lists the allowed values of a string, or of each item of an
	// array.
	Enum []string
	// Items is the type of an array's items (TypeString when empty).
	Items Type
	// Min and Max bound an integer (nil: unbounded).
	Min, Max *int64
	// MaxLength bounds a string's length (0: unbounded).
	MaxLength int
	// MaxItems bounds an array's length (0: unbounded).
	MaxItems int
	// Default is the value the API uses when the parameter is absent:
	// string, int64, bool or []string; nil for none.
	Default any
	// Required parameters must be sent.
	Required bool
	// Nullable body properties accept an explicit null, which means
	// something other than absence (e.g. folderId null = the root).
	Nullable bool
	// Deprecated parameters are accepted for compatibility; AliasOf names
	// the parameter a deprecated alias stands for, and Ignored marks one
	// the API accepts and ignores.
	Deprecated bool
	AliasOf    string
	Ignored    bool
	// Properties are the members of an object.
	Properties []Param
	// Description says what the parameter does.
	Description string
	// Example is a value that makes a valid request (required parameters
	// of an operation always have one).
	Example any
}

// Bounds returns the parameter's minimum and maximum, with ok false for
// either that is unset.
func (p Param) Bounds() (min int64, minOK bool, max int64, maxOK bool) {
	if p.Min != nil {
		min, minOK = *p.Min, true
	}
	if p.Max != nil {
		max, maxOK = *p.Max, true
	}
	return min, minOK, max, maxOK
}

// ConstraintKind is a kind of rule between parameters.
type ConstraintKind string

const (
	// ExactlyOne: exactly one of Params must be sent.
	ExactlyOne ConstraintKind = "exactly_one"
	// AtMostOne: Params conflict; sending more than one of them is a
	// validation error (e.g. search and its deprecated alias query).
	AtMostOne ConstraintKind = "at_most_one"
	// RequiredWhen: Params[0] is required when parameter If equals Equals.
	RequiredWhen ConstraintKind = "required_when"
	// Ordered: Params[0] (a minimum) must not exceed Params[1] (a maximum).
	Ordered ConstraintKind = "ordered"
)

// Constraint is a rule between parameters of one operation.
type Constraint struct {
	Kind   ConstraintKind
	Params []string
	If     string // RequiredWhen: the parameter tested
	Equals string // RequiredWhen: the value that makes Params[0] required
}

// Paging is a collection's pagination style.
type Paging string

const (
	// PagingNone: no pagination (details, fixed-size answers, series).
	PagingNone Paging = ""
	// PagingPage: page (1-based) and limit; pagination {page, limit,
	// total, totalPages}.
	PagingPage Paging = "page"
	// PagingOffset: offset (0-based) and limit; pagination {limit,
	// offset, total}.
	PagingOffset Paging = "offset"
)

// CostModel is how an operation is metered.
type CostModel string

const (
	// CostFree operations cost nothing and send no metering headers
	// (GET /v1/usage sends X-Usage-Cost: 0).
	CostFree CostModel = "free"
	// CostPerRow: 1 credit per row of data returned.
	CostPerRow CostModel = "per_row"
	// CostPerItem: 1 credit for the item returned (0 when not found).
	CostPerItem CostModel = "per_item"
	// CostPerSeries: 1 credit per time series returned.
	CostPerSeries CostModel = "per_series"
	// CostFixed: Cost.Max credits per successful call, whatever it returns.
	CostFixed CostModel = "fixed"
)

// Cost is an operation's metering. Every operation has an upper bound.
type Cost struct {
	Model CostModel
	// Unit names what one credit buys ("ad", "row", "URL", "series").
	Unit string
	// Max is the most credits one call can be charged. For a CostPerRow
	// operation with a LimitParam it is that parameter's maximum.
	Max int64
	// LimitParam names the parameter that bounds how many rows or series
	// an answer holds ("limit"); "" when the answer's size is fixed by the
	// API (then the reservation is Max).
	LimitParam string
}

// WriteKind is what a write does.
type WriteKind string

const (
	// WriteNone: the operation only reads (including query POSTs).
	WriteNone WriteKind = ""
	// WriteCreate: creates a new resource each time (not idempotent).
	WriteCreate WriteKind = "create"
	// WriteUpsert: creates the resource or returns the existing one, with
	// a top-level created flag (201 created:true, or 200 created:false
	// that changes nothing and costs nothing). Safe to repeat.
	WriteUpsert WriteKind = "upsert"
	// WriteUpdate: changes an existing resource (PATCH). Repeating it with
	// the same body leaves the same state.
	WriteUpdate WriteKind = "update"
	// WriteDelete: removes or deactivates a resource.
	WriteDelete WriteKind = "delete"
)

// Write is what an operation changes.
type Write struct {
	Kind WriteKind
	// Confirm: the body must carry "confirm": true, or the API answers a
	// validation error and changes nothing.
	Confirm bool
	// Quota: a real change consumes one unit of the workspace's
	// brandtracker create/delete quota; a change the quota does not cover
	// is refused whole.
	Quota bool
	// Invalidates lists the operation ids whose answers this write can
	// change (for caches).
	Invalidates []string
}

// Shape is the envelope of a successful answer.
type Shape string

const (
	// ShapeList: {data: [row], pagination?, meta?, requestId}.
	ShapeList Shape = "list"
	// ShapeItem: {data: item, requestId}.
	ShapeItem Shape = "item"
	// ShapeSeries: {data: [series], dateRange?, requestId}; each element
	// of data is one series.
	ShapeSeries Shape = "series"
	// ShapeRoot: the fields sit at the top level next to requestId
	// (/v1/me, /v1/workspace, /v1/usage, /v1, /v1/health).
	ShapeRoot Shape = "root"
	// ShapeRaw: not JSON in the API's envelope (the OpenAPI document
	// itself, the HTML docs page).
	ShapeRaw Shape = "raw"
)

// Response is the shape of a successful answer.
type Response struct {
	// Status is the success status; 0 means 200. Upserts answer 201 on a
	// real create and 200 (created:false) otherwise.
	Status int
	Shape  Shape
	// Schema names the component schema of one row (ShapeList), one
	// series (ShapeSeries), the item (ShapeItem) or the whole body
	// (ShapeRoot).
	Schema string
	// Meta names the component schema of the top-level meta object, if any.
	Meta string
	// Extra lists further top-level properties: "created" (upserts),
	// "dateRange" (series).
	Extra []string
	// ContentType is the media type; "" means application/json.
	ContentType string
}

// Key returns "METHOD /path/template", the stable identity of the operation.
func (o Operation) Key() string { return o.Method + " " + o.Path }

// Param returns the path, query or body parameter called name.
func (o Operation) Param(name string) (Param, bool) {
	for _, p := range o.Params {
		if p.Name == name {
			return p, true
		}
	}
	for _, p := range o.Body {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Limit returns the default and maximum of the parameter that bounds the
// answer's size (Cost.LimitParam), with ok false when there is none.
func (o Operation) Limit() (def, max int64, ok bool) {
	if o.Cost.LimitParam == "" {
		return 0, 0, false
	}
	p, found := o.Param(o.Cost.LimitParam)
	if !found {
		return 0, 0, false
	}
	def, _ = p.Default.(int64)
	if p.Max != nil {
		max = *p.Max
	}
	return def, max, true
}

// Reservation returns the most credits a call can be charged when it sends
// limit as its Cost.LimitParam (0 means not sent: the default applies).
// It never exceeds Cost.Max.
func (o Operation) Reservation(limit int64) int64 {
	switch o.Cost.Model {
	case CostFree:
		return 0
	case CostPerRow, CostPerSeries:
		def, _, ok := o.Limit()
		if !ok {
			return o.Cost.Max
		}
		if limit <= 0 {
			limit = def
		}
		return min(limit, o.Cost.Max)
	}
	return o.Cost.Max
}

// ReadOnly reports whether the operation changes nothing (GETs and query
// POSTs).
func (o Operation) ReadOnly() bool { return o.Write.Kind == WriteNone }

// Idempotent reports whether repeating the call is safe: reads, upserts,
// updates and deletes are; plain creates are not.
func (o Operation) Idempotent() bool { return o.Write.Kind != WriteCreate }

// Destructive reports whether the operation removes something.
func (o Operation) Destructive() bool { return o.Write.Kind == WriteDelete }

// PathParams returns the names of the path template's parameters in order.
func (o Operation) PathParams() []string {
	var out []string
	for _, seg := range strings.Split(o.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// Operations returns every operation of the API, grouped by tag in the
// reference's order. The slice is a copy; callers may modify it.
func Operations() []Operation {
	out := make([]Operation, len(table()))
	for i, o := range table() {
		out[i] = o.clone()
	}
	return out
}

// Table returns every operation in the order of Operations without
// copying it: the slice and everything it refers to are shared by every
// caller and must not be modified. It is for a reader that keeps the
// operations for the life of the process (the sandbox's routes), where a
// copy would double what the table holds.
func Table() []Operation { return table() }

// Lookup returns the operation with method and path template.
func Lookup(method, path string) (Operation, bool) {
	method = strings.ToUpper(method)
	for _, o := range table() {
		if o.Method == method && o.Path == path {
			return o.clone(), true
		}
	}
	return Operation{}, false
}

// ByID returns the operation with operationId id.
func ByID(id string) (Operation, bool) {
	for _, o := range table() {
		if o.ID == id {
			return o.clone(), true
		}
	}
	return Operation{}, false
}

func (o Operation) clone() Operation {
	o.Params = cloneParams(o.Params)
	if o.Body != nil {
		o.Body = cloneParams(o.Body)
	}
	o.Constraints = slices.Clone(o.Constraints)
	o.Write.Invalidates = slices.Clone(o.Write.Invalidates)
	o.Response.Extra = slices.Clone(o.Response.Extra)
	return o
}

func cloneParams(ps []Param) []Param {
	out := slices.Clone(ps)
	for i := range out {
		out[i].Enum = slices.Clone(out[i].Enum)
		out[i].Properties = cloneParams(out[i].Properties)
		if s, ok := out[i].Default.([]string); ok {
			out[i].Default = slices.Clone(s)
		}
	}
	return out
}
