package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Paid reads go through callShared when the Toolbox has a cache or
// shares concurrent calls (the default):
//
//  1. Calls with the same tool and normalised arguments (cacheKey: the
//     order of arguments, defaults and the order of sets do not matter;
//     fields and fresh are left out, since they change nothing sent)
//     that run at the same time share one run of step 2 (cache.Flight):
//     one API request, one reservation, one charge. The others get the
//     same answer, marked metering.shared with cost 0, unless the
//     outcome was the leader's own: a halt or declined approval decided
//     before any request, or an answer fitted to another budget or to
//     an approval threshold. Those callers then make the call themselves.
//  2. Unless the call says fresh: true, the cache is asked. A hit is
//     shaped like a new answer, marked metering.cached, cachedAt and
//     cost 0, without reserving anything. A miss calls the API (fetch).
//  3. A complete answer is stored for the next caller: not an error, not
//     fitted to the budget, not partial, and not truncated for the
//     caller that made it.
//
// Cached answers are scoped by workspace and grouped by API resource
// (/v1/brandtrackers...). A write invalidates the groups it affects
// (invalidates), so that a create or delete is seen by the next list.

// sharing is a Toolbox's cache and in-flight state.
type sharing struct {
	cache  *cache.Cache
	dedupe bool
	flight cache.Flight[*fetched]
	base   string // a short hash of the API's base URL, part of every group

	wsMu      sync.Mutex
	ws        string    // the workspace id, once known
	wsRetryAt time.Time // when to ask again after a failure

	shared atomic.Int64 // answers handed to callers of a call in flight
}

// sharingFor returns the in-flight state of a new Toolbox: the one of
// the Toolbox whose Config cfg came from, when it calls the same API with
// the same cache and dedupe (a face's per-client toolboxes then share
// identical calls made at the same time, and the workspace id), else a
// new one.
func sharingFor(cfg Config) *sharing {
	base, _ := cache.Key(cfg.Client.BaseURL())
	if s := cfg.share; s != nil && s.cache == cfg.Cache && s.dedupe == !cfg.NoDedupe && s.base == base[:8] &&
		(cfg.Workspace == "" || cfg.Workspace == s.ws) {
		return s
	}
	return &sharing{cache: cfg.Cache, dedupe: !cfg.NoDedupe, base: base[:8], ws: cfg.Workspace}
}

// fetched is the outcome of one API call (or cache hit) of a tool,
// before it is shaped for a caller.
type fetched struct {
	sent   map[string]any
	resp   *runtime.Response
	notes  []string
	err    error
	fitted bool        // the budget lowered the limit: a partial answer
	from   *servedFrom // set when the answer came from the cache
	// res is the call's reservation, settled (nil without a budget, or
	// for an answer from the cache).
	res *budget.Reservation
	// payer is the budget the call was reserved from (nil without one).
	payer *budget.Controller
	// beforeRequest marks a failure decided before any request was made:
	// a budget halt, a declined approval. It is the caller's own.
	beforeRequest bool
	// approvalFitted marks an answer whose limit was lowered to the
	// caller's approval threshold (Approval with no Approver).
	approvalFitted bool
}

// sharedWith reports whether a caller paying from payer may take f, an
// outcome another caller's call produced: not a failure decided before
// the request (the other caller's budget or approval decided it), and
// not an answer cut down to fit another budget or another caller's
// approval threshold.
func (f *fetched) sharedWith(payer *budget.Controller) bool {
	if f.beforeRequest || f.approvalFitted {
		return false
	}
	return !f.fitted || f.payer == payer
}

// servedFrom says that an answer cost nothing now, and why.
type servedFrom struct {
	cached  bool
	at      time.Time
	version string
	shared  bool
}

// mark rewrites s's metering for an answer that cost nothing now.
func (f *servedFrom) mark(s *Success) {
	if f == nil {
		return
	}
	zero := int64(0)
	mi := &MeteringInfo{Cost: &zero, Cached: f.cached, Shared: f.shared}
	if f.cached {
		at := f.at
		mi.CachedAt = &at
		asOf := ""
		if f.version != "" {
			asOf = " (the API's data as of " + f.version + ")"
		}
		s.Notes = append(s.Notes, fmt.Sprintf("Answered from tollgate's cache: stored at %s%s, free now. Pass fresh: true to call the API again (charged).",
			f.at.UTC().Format(time.RFC3339), asOf))
	}
	if f.shared {
		s.Notes = append(s.Notes, "Answered by an identical call made at the same time; it was charged once, to that call.")
	}
	s.Metering = mi
}

// shape turns a fetched outcome into the caller's result.
func (b *Toolbox) shape(ctx context.Context, t *Tool, f *fetched, from *servedFrom) *Result {
	if f.err != nil {
		return b.failAfter(ctx, f.res, f.err)
	}
	return b.succeed(ctx, t, f.sent, f.resp, f.res, f.notes, from)
}

// shares reports whether calls of t go through the cache and dedupe.
func (b *Toolbox) shares(t *Tool) bool {
	s := b.share
	return t.Annotations.ReadOnly && t.Cost != CostFree && t.Operation != "" && (s.cache != nil || s.dedupe)
}

// callShared runs a paid read through the flight and the cache; c
// records what this caller reserved and was charged (nothing, for an
// answer it did not pay for).
func (b *Toolbox) callShared(ctx context.Context, t *Tool, args map[string]any, c *Charge) *Result {
	s := b.share
	fresh, _ := args[ArgFresh].(bool)
	exact, _ := ctx.Value(exactKey{}).(bool)
	key, err := cache.Key(t.Method, t.Path, t.normalArgs(args))
	if err != nil {
		return b.shape(ctx, t, b.fetch(ctx, t, args, c), nil)
	}
	if !s.dedupe {
		_, r := b.answer(ctx, t, args, key, fresh, c)
		return r
	}
	var mine *Result
	f, shared, err := s.flight.Do(ctx, fmt.Sprintf("%s|exact=%t|fresh=%t", key, exact, fresh), func(ctx context.Context) (*fetched, error) {
		f, r := b.answer(ctx, t, args, key, fresh, c)
		mine = r
		// The error tells the flight when the leader's own cancellation
		// ended the call: the others then make it again.
		return f, f.err
	})
	switch {
	case f == nil: // this caller's context ended while it waited
		return b.Fail(ctx, fmt.Errorf("tools: %s: %w", t.Name, err))
	case !shared:
		return mine
	case !f.sharedWith(b.budget):
		// The leader's outcome was its own budget's (a halt, an answer
		// fitted to what it had left): this caller decides for itself.
		_, r := b.answer(ctx, t, args, key, fresh, c)
		return r
	}
	s.shared.Add(1)
	from := f.from
	if from == nil {
		from = &servedFrom{shared: true}
	}
	c.free(f, from.cached)
	return b.shape(ctx, t, f.forCaller(args), from)
}

// free records in c an answer this caller did not pay for: from the
// cache, or shared with the identical call that paid.
func (c *Charge) free(f *fetched, cached bool) {
	if c == nil || f.err != nil || f.resp == nil {
		return
	}
	c.Status, c.RequestID, c.Outcome = f.resp.Status, f.resp.RequestID, OutcomeOK
	c.Cached, c.Shared = cached, !cached
}

// answer is one run of a shared call: the cache's answer, or the API's,
// stored when complete. It returns the outcome (for callers that share
// it) and this caller's result; ch records what the call cost.
func (b *Toolbox) answer(ctx context.Context, t *Tool, args map[string]any, key string, fresh bool, ch *Charge) (*fetched, *Result) {
	c := b.share.cache
	var group string
	var ticket cache.Ticket
	canStore := false
	if c != nil {
		if g, ok := b.group(ctx, t); ok {
			group = g
			var err error
			if fresh {
				ticket, err = c.Begin(ctx, group, key)
			} else {
				var e cache.Entry
				var found bool
				e, ticket, found, err = c.Lookup(ctx, group, key)
				if found {
					if f, derr := decodeAnswer(e, args); derr == nil {
						ch.free(f, true)
						return f, b.shape(ctx, t, f, f.from)
					}
				}
			}
			if err != nil {
				b.log.Debug("cache unavailable; calling the API", "tool", t.Name, "err", err)
			}
			canStore = err == nil
		}
	}
	f := b.fetch(ctx, t, args, ch)
	r := b.shape(ctx, t, f, nil)
	if canStore && f.storable() && !truncated(r) {
		raw, cost := encodeAnswer(f)
		if err := c.Store(ctx, ticket, raw, cost); err != nil {
			b.log.Debug("cache store failed", "tool", t.Name, "err", err)
		}
	}
	return f, r
}

// forCaller is f as another caller with args sees it: the same answer
// and arguments sent, with that caller's fields.
func (f *fetched) forCaller(args map[string]any) *fetched {
	g := *f
	if f.sent != nil {
		g.sent = cloneArgs(f.sent)
		delete(g.sent, ArgFields)
		if v, ok := args[ArgFields]; ok {
			g.sent[ArgFields] = v
		}
	}
	return &g
}

// storable reports a complete answer: a success, not fitted down to the
// budget, and not marked partial by the API.
func (f *fetched) storable() bool {
	if f.err != nil || f.resp == nil || f.fitted || f.from != nil {
		return false
	}
	if len(f.resp.Meta) > 0 {
		var meta map[string]any
		if json.Unmarshal(f.resp.Meta, &meta) == nil {
			for _, k := range []string{"partial", "truncated", "incomplete"} {
				if v, _ := meta[k].(bool); v {
					return false
				}
			}
		}
	}
	return true
}

// truncated reports a result cut to the size limit.
func truncated(r *Result) bool {
	s, ok := r.Structured.(*Success)
	return !ok || s.Truncated != nil
}

// storedAnswer is the encoded form of a cached answer: the parts of the
// API's response a result is shaped from.
type storedAnswer struct {
	Sent       map[string]any             `json:"sent"`
	Status     int                        `json:"status"`
	Data       json.RawMessage            `json:"data"`
	RequestID  string                     `json:"requestId,omitempty"`
	Pagination *runtime.Pagination        `json:"pagination,omitempty"`
	Meta       json.RawMessage            `json:"meta,omitempty"`
	Extra      map[string]json.RawMessage `json:"extra,omitempty"`
	Notes      []string                   `json:"notes,omitempty"`
	// Rows is Response.Rows (absent in answers stored by older
	// versions, whose rows are then counted).
	Rows int `json:"rows,omitempty"`
}

func encodeAnswer(f *fetched) (raw []byte, cost int64) {
	sent := cloneArgs(f.sent)
	delete(sent, ArgFields)
	delete(sent, ArgFresh)
	r := f.resp
	raw, _ = json.Marshal(storedAnswer{Sent: sent, Status: r.Status, Data: r.Data, RequestID: r.RequestID,
		Pagination: r.Pagination, Meta: r.Meta, Extra: r.Extra, Rows: r.Rows})
	if c := r.Metering.Cost(); c.Present {
		cost = c.Value
	}
	return raw, cost
}

// decodeAnswer rebuilds the outcome of a stored answer for a caller
// with args.
func decodeAnswer(e cache.Entry, args map[string]any) (*fetched, error) {
	var a storedAnswer
	if err := json.Unmarshal(e.Value, &a); err != nil {
		return nil, err
	}
	sent := a.Sent
	if sent == nil {
		sent = map[string]any{}
	}
	if v, ok := args[ArgFields]; ok {
		sent[ArgFields] = v
	}
	// json.Marshal wrote Data when the answer was stored, so it is
	// verbatim.
	resp := &runtime.Response{Status: a.Status, Data: a.Data, Enveloped: true, RequestID: a.RequestID,
		Pagination: a.Pagination, Meta: a.Meta, Extra: a.Extra, Rows: a.Rows, DataVerbatim: true}
	return &fetched{sent: sent, resp: resp, from: &servedFrom{cached: true, at: e.StoredAt, version: e.Version}}, nil
}

// estimateCached fills e for a call the cache would answer now: it
// costs 0 and always fits. It reports whether it did.
func (b *Toolbox) estimateCached(ctx context.Context, e *Estimate, args map[string]any) bool {
	entry, ok := b.Cached(ctx, e.Tool, args)
	if !ok {
		return false
	}
	at := entry.StoredAt
	e.WorstCase, e.Allowed, e.Cached, e.CachedAt = 0, true, true, &at
	e.Note = fmt.Sprintf("tollgate has this answer stored (from %s, the API's data has not been refreshed since): the call would cost 0. With fresh: true it would call the API and cost up to its worst case again.",
		at.UTC().Format(time.RFC3339))
	if b.budget != nil {
		if st, err := b.budget.Status(ctx); err == nil {
			e.Budget = &st
		}
	}
	return true
}
