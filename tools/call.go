package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Codes of failures that tollgate's tool layer reports itself (source
// "tool"); the API's codes live in runtime, the budget's in budget.
const (
	CodeInvalidArguments = runtime.CodeInvalidArguments
	CodeUnknownTool      = runtime.CodeUnknownTool
	CodeToolPanic        = runtime.CodeToolPanic
)

// SourceTool marks advice about a failure in the tool layer itself.
const SourceTool = runtime.SourceTool

// DefaultMaxResultBytes bounds the JSON of one result (about 12k tokens).
const DefaultMaxResultBytes = 48 << 10

// Config wires a Toolbox.
type Config struct {
	Catalogue *Catalogue
	Client    *runtime.Client
	// Budget is consulted before every metered call; nil means no
	// budget (calls go straight to the API).
	Budget *budget.Controller
	// MaxResultBytes bounds a result's JSON; 0 means DefaultMaxResultBytes.
	MaxResultBytes int
	Logger         *slog.Logger
	// Cache, when set, answers repeated paid reads from stored answers
	// (see cached.go); nil calls the API every time.
	Cache *cache.Cache
	// NoDedupe makes concurrent identical paid reads each call the API
	// instead of sharing one call.
	NoDedupe bool
	// Workspace is the id of the API key's workspace, which scopes cached
	// answers; "" means ask GET /v1/workspace (free) once when needed.
	Workspace string
	// share is the in-flight state of the Toolbox whose Config this is,
	// so that toolboxes made from it share identical calls (cached.go).
	share *sharing
	// Account, when set, is told of every call of an API operation
	// before Call returns it (see AccountFunc).
	Account AccountFunc
}

// A Toolbox runs tool calls: the one entry point of every face.
type Toolbox struct {
	cat    *Catalogue
	client *runtime.Client
	budget *budget.Controller
	max    int
	log    *slog.Logger
	learnt learnt   // what this run learnt of real costs (cost.go)
	share  *sharing // the cache and in-flight dedupe (cached.go)
	acct   AccountFunc
	cfg    Config
}

// NewToolbox checks cfg and returns a Toolbox.
func NewToolbox(cfg Config) (*Toolbox, error) {
	if cfg.Catalogue == nil {
		return nil, errors.New("tools: Config.Catalogue is nil; use tools.Load or tools.BuiltIn")
	}
	if cfg.Client == nil {
		return nil, errors.New("tools: Config.Client is nil; create one with runtime.New")
	}
	if cfg.MaxResultBytes == 0 {
		cfg.MaxResultBytes = DefaultMaxResultBytes
	}
	if cfg.MaxResultBytes < 1024 {
		return nil, fmt.Errorf("tools: MaxResultBytes %d is too small; use at least 1024", cfg.MaxResultBytes)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.share = sharingFor(cfg)
	return &Toolbox{cat: cfg.Catalogue, client: cfg.Client, budget: cfg.Budget, max: cfg.MaxResultBytes, log: cfg.Logger, acct: cfg.Account, cfg: cfg,
		share: cfg.share}, nil
}

// Config returns the configuration the Toolbox was made with, defaults
// applied: change a field and pass it to NewToolbox for a toolbox that
// shares this one's API client (a face serving several callers gives
// each its own catalogue and budget so).
func (b *Toolbox) Config() Config { return b.cfg }

// Catalogue is the set of tools the Toolbox offers.
func (b *Toolbox) Catalogue() *Catalogue { return b.cat }

// Budget is the controller in use, or nil.
func (b *Toolbox) Budget() *budget.Controller { return b.budget }

// Result is the outcome of one tool call, ready for any face: Structured
// is what MCP sends as structuredContent and its JSON is the text content
// (and the OpenAI tool message).
type Result struct {
	IsError bool
	// Structured is *Success, *Failure, or the object of one of
	// tollgate's own tools.
	Structured any
	// Advice is set when IsError.
	Advice *runtime.Advice
	// Charge is set on the result of an API operation's call: what it
	// reserved and was charged.
	Charge *Charge

	// encoded is the JSON of encodedOf, made when the result was shaped
	// (encode.go).
	encoded   []byte
	encodedOf any
}

// JSON is the result as JSON text: what json.Marshal writes for
// Structured. A successful API call's result was encoded once when it
// was shaped, and JSON returns those bytes without copying them, so the
// caller must not modify them (copy them first).
func (r *Result) JSON() []byte {
	if r.encoded != nil && r.encodedOf == r.Structured {
		return r.encoded
	}
	b, err := json.Marshal(r.Structured)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "tollgate could not encode the result: " + err.Error()})
	}
	return b
}

// Success is the structured content of a successful API tool call.
type Success struct {
	Data json.RawMessage `json:"data"`
	// More holds the envelope's other top-level fields (for example
	// created on create_brandtracker, meta on lookup).
	More       map[string]json.RawMessage `json:"more,omitempty"`
	Pagination *PageInfo                  `json:"pagination,omitempty"`
	// NextPage holds the complete arguments of the next page, when
	// there is one.
	NextPage  map[string]any `json:"nextPage,omitempty"`
	Metering  *MeteringInfo  `json:"metering,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	Notes     []string       `json:"notes,omitempty"`
	Truncated *Truncation    `json:"truncated,omitempty"`
	Budget    *budget.Status `json:"budget,omitempty"`
}

// PageInfo is the pagination of a list result.
type PageInfo struct {
	Page       int  `json:"page,omitempty"`
	Offset     *int `json:"offset,omitempty"`
	Limit      int  `json:"limit"`
	Total      int  `json:"total"`
	TotalPages int  `json:"totalPages,omitempty"`
	Returned   int  `json:"returned"`
	HasMore    bool `json:"hasMore"`
}

// MeteringInfo is what one call cost, from the response's headers; a
// null field means the API did not send it.
type MeteringInfo struct {
	Cost             *int64 `json:"cost"`
	CreditsRemaining *int64 `json:"creditsRemaining"`
	Source           string `json:"source,omitempty"`
	// Cached reports an answer served from tollgate's cache: it cost 0
	// now and was stored at CachedAt (see cached.go).
	Cached   bool       `json:"cached,omitempty"`
	CachedAt *time.Time `json:"cachedAt,omitempty"`
	// Shared reports an answer of an identical call made at the same
	// time, charged once, to that call.
	Shared bool `json:"shared,omitempty"`
}

// Truncation says what was cut from a result that was too large.
type Truncation struct {
	RowsReturned int    `json:"rowsReturned"`
	RowsShown    int    `json:"rowsShown"`
	Note         string `json:"note"`
	// ShowRest holds arguments that fetch the rows not shown (the
	// first of them, and as many after it as fit one call), when the
	// operation pages. They cost credits again.
	ShowRest map[string]any `json:"showRest,omitempty"`
}

// Failure is the structured content of a failed call: DESIGN.md's
// advice object.
type Failure struct {
	Error  runtime.Advice `json:"error"`
	Budget *budget.Status `json:"budget,omitempty"`
}

// Call runs one tool call. It never returns a Go error: every failure is
// a Result with IsError and advice. args may be nil.
func (b *Toolbox) Call(ctx context.Context, name string, args map[string]any) *Result {
	if args == nil {
		args = map[string]any{}
	}
	t, err := b.check(name, args)
	if err != nil {
		return b.Fail(ctx, err)
	}
	return b.run(ctx, t, args)
}

// CallTool runs a call of t, a tool that need not be in the catalogue (a
// face's local tool, see NewLocal): the arguments are validated against
// its schema, then it runs as Call runs a catalogue tool. args may be nil.
func (b *Toolbox) CallTool(ctx context.Context, t *Tool, args map[string]any) *Result {
	if args == nil {
		args = map[string]any{}
	}
	if err := t.Validate(args); err != nil {
		return b.Fail(ctx, err)
	}
	return b.run(ctx, t, args)
}

// run dispatches a validated call: a local tool to its handler, an API
// operation to callAPI.
func (b *Toolbox) run(ctx context.Context, t *Tool, args map[string]any) *Result {
	if t.Handler != nil {
		return t.Handler(ctx, b, args)
	}
	if t.Operation == "" {
		return b.Fail(ctx, &ToolError{Code: CodeUnknownTool, Message: "tool " + t.Name + " has no handler", Action: "Report this to the tollgate maintainers."})
	}
	c := &Charge{Operation: t.Operation}
	r := b.callAPI(ctx, t, args, c)
	if r.Advice != nil {
		c.Outcome, c.Source = r.Advice.Code, r.Advice.Source
	}
	r.Charge = c
	if b.acct != nil {
		b.acct(ctx, t, args, r)
	}
	return r
}

// Validate checks args against the named tool's input schema without
// calling anything: nil, an *ArgumentError, or a *ToolError for an
// unknown tool.
func (b *Toolbox) Validate(name string, args map[string]any) error {
	if args == nil {
		args = map[string]any{}
	}
	_, err := b.check(name, args)
	return err
}

// check finds the named tool and validates args against its schema.
func (b *Toolbox) check(name string, args map[string]any) (*Tool, error) {
	t, ok := b.cat.Lookup(name)
	if !ok {
		return nil, &ToolError{Code: CodeUnknownTool, Message: fmt.Sprintf("there is no tool named %q", name),
			Action: "Call one of the tools you were given (names are snake_case, e.g. search_ads); check the spelling."}
	}
	if err := t.Validate(args); err != nil {
		return nil, err
	}
	return t, nil
}

type exactKey struct{}

// Exact returns a context whose calls run at the size asked or not at
// all: the budget never lowers their limit to fit (it halts them
// instead). Batch jobs use it so that every output line holds the call
// as written.
func Exact(ctx context.Context) context.Context { return context.WithValue(ctx, exactKey{}, true) }

func (b *Toolbox) callAPI(ctx context.Context, t *Tool, args map[string]any, c *Charge) *Result {
	if b.shares(t) {
		return b.callShared(ctx, t, args, c) // the cache and in-flight dedupe (cached.go)
	}
	r := b.shape(ctx, t, b.fetch(ctx, t, args, c), nil)
	b.invalidateAfter(ctx, t, r)
	return r
}

// fetch makes the API call of t with args under the budget: reserve,
// call, settle; c records what it reserved and was charged. Its outcome
// is shaped for each caller by shape.
func (b *Toolbox) fetch(ctx context.Context, t *Tool, args map[string]any, c *Charge) *fetched {
	f := &fetched{sent: cloneArgs(args), payer: b.budget}
	notes, err := fitToApproval(ctx, t, f.sent)
	if err != nil {
		f.err, f.beforeRequest = err, true
		return f
	}
	if len(notes) > 0 {
		f.fitted, f.approvalFitted, f.notes = true, true, notes
	}
	var res *budget.Reservation
	if b.budget != nil {
		ask := b.ask(t, f.sent)
		ask.NoFit, _ = ctx.Value(exactKey{}).(bool)
		r, err := b.budget.Reserve(ctx, ask)
		if err != nil {
			f.err, f.beforeRequest = err, true
			return f
		}
		res, f.res = r, r
		c.Reserved = r.Credits
		// Finish settles once: this one releases the credits on the
		// paths that end before Do (and if something below panics).
		defer func() { _ = r.Finish(ctx, nil, nil) }()
		// The controller learns the balance headers of every attempt.
		ctx = runtime.WithCallObserver(ctx, b.budget)
		if r.Fitted {
			f.fitted = true
			f.notes = append(f.notes, fitArgs(t, f.sent, ask.Rows, r.Rows))
		}
		if r.Warning != "" {
			f.notes = append(f.notes, r.Warning)
		}
	}
	if err := b.approve(ctx, t, f.sent, res); err != nil {
		// Released before the failure reads the budget.
		f.err, f.beforeRequest = res.Finish(ctx, nil, err), true
		return f
	}
	req, err := t.Request(f.sent)
	if err != nil {
		f.err = res.Finish(ctx, nil, err)
		return f
	}
	resp, err := b.client.Do(ctx, req)
	c.settle(resp, err)
	if f.err = res.Finish(ctx, resp, err); f.err != nil {
		b.log.Debug("tool call failed", "tool", t.Name, "err", f.err)
		return f
	}
	if n := b.checkCharge(t, f.sent, res, resp); n != "" {
		f.notes = append(f.notes, n)
	}
	f.resp = resp
	return f
}

// fitArgs lowers the limit in sent to at most granted rows, keeping the
// first row of the page where it was: on page-based operations the page
// number is recomputed (page 3 of 20 rows starts at row 41, which is
// page 5 of 10 rows), so a fitted call never repeats rows already seen.
// It returns the note for the model.
func fitArgs(t *Tool, sent map[string]any, asked, granted int64) string {
	note := "limit lowered from %d to %d so the call fits the budget; this page holds at most %d rows"
	if t.Paging != PagingPage {
		sent["limit"] = granted
		return fmt.Sprintf(note, asked, granted, granted) + ". Plan your remaining calls with get_budget."
	}
	page := pageOf(sent)
	newPage, k := alignedPage((page-1)*asked, granted)
	sent["page"], sent["limit"] = newPage, k
	return fmt.Sprintf(note+" and starts where page %d of %d rows would (page %d of %d rows). Plan your remaining calls with get_budget.",
		asked, k, k, page, asked, newPage, k)
}

// pageOf is the page a page-based call asks for (1 when absent).
func pageOf(args map[string]any) int64 {
	if p, ok := asInt(args["page"]); ok && p > 0 {
		return p
	}
	return 1
}

// alignedPage returns the page and limit of a page-based call whose first
// row is the start-th (0-based) and which asks for at most most rows: the
// largest limit that divides start, so that a page boundary falls on it.
func alignedPage(start, most int64) (page, limit int64) {
	limit = most
	for limit > 1 && start%limit != 0 {
		limit--
	}
	return start/limit + 1, limit
}

// Ask is the budget request for a call of t with args: its worst case
// (see cost.go), named by the tool. A Toolbox raises it by what its run
// learnt of the tool's real costs.
func (t *Tool) Ask(args map[string]any) budget.Ask {
	a := t.reservation(args)
	a.Operation = t.Name
	return a
}

// Request builds the runtime request of a call of t with args. Path
// arguments are escaped by runtime, so they cannot change the path.
func (t *Tool) Request(args map[string]any) (*runtime.Request, error) {
	if t.Operation == "" {
		return nil, fmt.Errorf("tools: %s is not an API operation", t.Name)
	}
	req := &runtime.Request{Method: t.Method, Path: t.Path, Operation: t.Operation, Idempotent: t.Idempotent}
	var body map[string]any
	for name, v := range args {
		switch t.params[name] {
		case inPath:
			if req.PathParams == nil {
				req.PathParams = map[string]string{}
			}
			req.PathParams[name] = scalar(v)
		case inQuery:
			if req.Query == nil {
				req.Query = url.Values{}
			}
			if list, ok := v.([]any); ok {
				for _, it := range list {
					req.Query.Add(name, scalar(it))
				}
			} else {
				req.Query.Set(name, scalar(v))
			}
		case inBody:
			if body == nil {
				body = map[string]any{}
			}
			body[name] = v
		default:
			if isViewArg(name) {
				continue // answered by tollgate (fields.go)
			}
			return nil, &ArgumentError{Tool: t.Name, Problems: []runtime.ValidationError{{Field: name, Location: "arguments", Expected: []string{"unknown argument"}}}}
		}
	}
	if _, asked := args["limit"]; !asked && t.LimitsCost() {
		// A paid call sends the limit it reserved for: the API's own
		// default may be larger than the one the document states.
		if t.params["limit"] == inBody {
			if body == nil {
				body = map[string]any{}
			}
			body["limit"] = t.DefaultLimit
		} else {
			if req.Query == nil {
				req.Query = url.Values{}
			}
			req.Query.Set("limit", strconv.FormatInt(t.DefaultLimit, 10))
		}
	}
	if body != nil {
		req.Body = body
	} else if t.Method == "POST" || t.Method == "PUT" || t.Method == "PATCH" {
		req.Body = map[string]any{}
	}
	return req, nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) {
			return int64(x), true
		}
	case int:
		return int64(x), true
	case int64:
		return x, true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

func cloneArgs(args map[string]any) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		out[k] = v
	}
	return out
}

func (b *Toolbox) succeed(ctx context.Context, t *Tool, sent map[string]any, resp *runtime.Response, res *budget.Reservation, notes []string, from *servedFrom) *Result {
	sent = withoutFresh(sent)
	s := &Success{Data: resp.Data, RequestID: resp.RequestID, Notes: notes}
	if len(s.Data) == 0 {
		s.Data = json.RawMessage("null")
	}
	s.More = maps.Clone(resp.Extra)
	if len(resp.Meta) > 0 {
		if s.More == nil {
			s.More = map[string]json.RawMessage{}
		}
		s.More["meta"] = resp.Meta
	}
	rows := resp.Rows
	if rows == 0 && len(s.Data) > 2 && s.Data[0] == '[' {
		rows = countRows(s.Data) // a Response runtime did not decode (a cached answer of an older tollgate)
	}
	// A projection keeps the bytes it keeps as they are: verbatim data
	// stays verbatim.
	data, err := canonicalData(t.project(s.Data, sent), resp.DataVerbatim)
	if err != nil {
		return b.failAfter(ctx, res, fmt.Errorf("tools: %s: the API's data does not encode: %w", t.Name, err))
	}
	s.Data = data
	if p := resp.Pagination; p != nil {
		s.Pagination = &PageInfo{Page: p.Page, Offset: p.Offset, Limit: p.Limit, Total: p.Total,
			TotalPages: p.TotalPages, Returned: rows, HasMore: p.HasMore()}
		if p.HasMore() {
			s.NextPage = nextPage(t, sent, p, rows)
		}
	}
	m := resp.Metering
	if m.Metered() || m.CreditsRemaining.Present {
		mi := &MeteringInfo{Source: m.CreditsSource}
		if c := m.Cost(); c.Present {
			mi.Cost = &c.Value
		}
		if m.CreditsRemaining.Present {
			v := m.CreditsRemaining.Value
			mi.CreditsRemaining = &v
		}
		s.Metering = mi
	}
	from.mark(s)
	switch {
	case res != nil:
		// The store's answer to the settlement: no extra round trip for
		// a paid call. A budget that cannot be read is left out.
		if st, err := res.Status(ctx); err == nil {
			s.Budget = &st
		}
	case from != nil && b.budget != nil: // answered for free: the budget as it stands
		if st, err := b.budget.Status(ctx); err == nil {
			s.Budget = &st
		}
	}
	enc, err := b.fit(s)
	if tr := s.Truncated; err == nil && tr != nil && tr.RowsShown < tr.RowsReturned {
		if tr.ShowRest = restArgs(t, sent, tr.RowsShown, tr.RowsReturned); tr.ShowRest != nil {
			enc, err = encodeSuccess(s)
		}
	}
	r := &Result{Structured: s}
	if err == nil {
		r.encoded, r.encodedOf = enc, s
	}
	return r
}

// nextPage returns the arguments of the page after p.
func nextPage(t *Tool, sent map[string]any, p *runtime.Pagination, rows int) map[string]any {
	next := cloneArgs(sent)
	switch {
	case p.Offset != nil:
		step := rows
		if step == 0 {
			step = p.Limit
		}
		next["offset"] = *p.Offset + step
	case p.Page > 0:
		next["page"] = p.Page + 1
	default:
		return nil
	}
	if p.Limit > 0 && t.Paging != PagingNone {
		next["limit"] = p.Limit
	}
	return next
}

// Fail turns err into a failure result with its advice (see
// runtime.Advise) and the budget as it stands (left out when the store
// cannot be read within ctx). Faces use it for failures of their own (a
// panic, bad arguments of a face's tool).
func (b *Toolbox) Fail(ctx context.Context, err error) *Result {
	return b.failAfter(ctx, nil, err)
}

// FailPanic is the failure of a call of tool that panicked with p: it
// logs the panic and returns a tool_panic advice. The faces that recover
// a panic around a call (MCP, go-openai) answer with it, so that both log
// and word it alike.
func (b *Toolbox) FailPanic(ctx context.Context, tool string, p any) *Result {
	if b.log != nil { // a zero Toolbox
		b.log.Error("panic in tool call", "tool", tool, "panic", p)
	}
	return b.Fail(ctx, &ToolError{Code: CodeToolPanic,
		Message: fmt.Sprintf("tollgate failed while running %s: %v", tool, p),
		Action:  "Do not retry this exact call; tell the user tollgate hit an internal error."})
}

// failAfter is Fail with the budget as it stands: the one res's
// settlement left when the call held res, else read from the store
// (left out when it cannot be read).
func (b *Toolbox) failAfter(ctx context.Context, res *budget.Reservation, err error) *Result {
	a := runtime.Advise(err)
	f := &Failure{Error: a}
	if h, ok := budget.AsHalt(err); ok {
		if h.Code != budget.CodeStoreUnavailable {
			st := h.Status
			f.Budget = &st
		}
	} else if res != nil {
		if st, err := res.Status(ctx); err == nil {
			f.Budget = &st
		}
	} else if b.budget != nil {
		if st, serr := b.budget.Status(ctx); serr == nil {
			f.Budget = &st
		} else {
			b.log.Debug("the budget of a failure could not be read", "err", serr)
		}
	}
	return &Result{IsError: true, Structured: f, Advice: &f.Error}
}

// ToolError is a failure of the tool layer itself (unknown tool, a
// panic): it advises itself with source "tool".
type ToolError struct {
	Code    string
	Message string
	Action  string
}

func (e *ToolError) Error() string { return e.Message }

// Advice implements runtime.Adviser.
func (e *ToolError) Advice() runtime.Advice {
	return runtime.Advice{Code: e.Code, Message: e.Message, Action: e.Action, Source: SourceTool}
}
