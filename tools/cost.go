package tools

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Cost models and reservations.
//
// Every tool has an upper bound on what one call can be charged, and the
// budget controller reserves it before the call (Tool.Ask):
//
//   - a free tool reserves nothing;
//   - a tool whose limit bounds the answer (LimitsCost: per-row and
//     per-series tools with a limit argument) reserves its limit, and the
//     call always sends that limit, the default included, so that the API
//     cannot answer more rows than were reserved;
//   - every other tool reserves MaxCost: 1 for an item, the size of a
//     fixed-size answer (3 media types, 12 demography segments, at most
//     100 folders), the number of series of a series answer, and
//     UnknownCallBound for an operation tollgate does not know.
//
// When an answer costs more than its reservation all the same (a
// X-Usage-Cost above what was held), the Toolbox logs it, counts it
// (get_budget shows it), and raises that tool's reservations for the rest
// of the run: see learnt.

// CostKind says how an operation is charged.
type CostKind string

// The cost models of the API (reference §3: one credit per returned
// business row or item).
const (
	CostFree      CostKind = "free"       // no credits
	CostPerItem   CostKind = "per_item"   // 1 credit when the item is returned
	CostPerRow    CostKind = "per_row"    // 1 credit per returned row, up to limit (or a fixed bound)
	CostPerSeries CostKind = "per_series" // 1 credit per returned time series
	CostFixed     CostKind = "fixed"      // MaxCost credits per successful call
	// CostUnknown is an operation tollgate does not know: it reserves
	// UnknownCallBound credits (or its limit, when it takes one).
	CostUnknown CostKind = "unknown"
)

// UnknownCallBound is what tollgate reserves for a call of an operation it
// does not know and whose size no limit bounds: the API's largest page.
const UnknownCallBound = 100

// Describe says what a call costs, in words a model reads.
func (k CostKind) Describe() string {
	switch k {
	case CostFree:
		return "free (no credits)"
	case CostPerItem:
		return "1 credit when the item is found (a not-found costs nothing)"
	case CostPerRow:
		return "1 credit per returned row; up to `limit` credits are reserved before the call"
	case CostPerSeries:
		return "1 credit per returned time series"
	case CostFixed:
		return "a fixed number of credits per successful call"
	case CostUnknown:
		return "not known to tollgate; it reserves the most the call could cost"
	}
	return string(k)
}

// LimitsCost reports whether the limit argument bounds what a call costs:
// such a call reserves its limit and always sends it.
func (t *Tool) LimitsCost() bool {
	if t.DefaultLimit <= 0 {
		return false
	}
	switch t.Cost {
	case CostPerRow, CostPerSeries, CostUnknown:
		return true
	}
	return false
}

// limitOf is the limit a call with args sends: the model's, or the
// default.
func (t *Tool) limitOf(args map[string]any) int64 {
	if n, ok := asInt(args["limit"]); ok && n > 0 {
		return n
	}
	return t.DefaultLimit
}

// CostRule says what a call of t costs at most, in words a model reads
// (the Cost: line of its description, estimate_cost's costRule).
func (t *Tool) CostRule() string {
	unit := t.CostUnit
	if unit == "" {
		unit = "row"
	}
	switch {
	case t.Cost == CostFree:
		return "free (no credits)"
	case t.Cost == CostUnknown && t.LimitsCost():
		return fmt.Sprintf("not known to tollgate; it reserves 1 credit per row asked for (limit, default %d) before the call", t.DefaultLimit)
	case t.Cost == CostUnknown:
		return fmt.Sprintf("not known to tollgate; it reserves %d credits before the call and is charged what the API reports", t.MaxCost)
	case t.LimitsCost():
		what := "returned " + unit
		if t.Cost == CostPerSeries {
			what = "returned series"
		}
		return fmt.Sprintf("1 credit per %s, at most limit (default %d); the limit is reserved before the call", what, t.DefaultLimit)
	case t.Cost == CostPerItem:
		return fmt.Sprintf("1 credit when the %s is found (a not-found costs nothing)", unitOr(t.CostUnit, "item"))
	case t.Cost == CostPerRow:
		return fmt.Sprintf("1 credit per returned %s; the answer holds at most %d, so %d are reserved before the call", unit, t.MaxCost, t.MaxCost)
	case t.Cost == CostPerSeries:
		return fmt.Sprintf("1 credit per returned series, at most %d; %d are reserved before the call", t.MaxCost, t.MaxCost)
	case t.Cost == CostFixed:
		return fmt.Sprintf("%d %s per successful call", t.MaxCost, plural("credit", t.MaxCost))
	}
	return t.Cost.Describe()
}

// CostSummary is the cost in a few words, for tables: "free", "1 per item
// found", "1 per ad, limit ≤ 100 (default 25)", "≤ 12 (1 per segment)".
func (t *Tool) CostSummary() string {
	unit := unitOr(t.CostUnit, "row")
	limit := func() string {
		if t.MaxLimit > 0 {
			return fmt.Sprintf("limit ≤ %d (default %d)", t.MaxLimit, t.DefaultLimit)
		}
		return fmt.Sprintf("limit (default %d)", t.DefaultLimit)
	}
	switch {
	case t.Cost == CostFree:
		return "free"
	case t.Cost == CostUnknown && t.LimitsCost():
		return "unknown; reserves 1 per row, " + limit()
	case t.Cost == CostUnknown:
		return fmt.Sprintf("unknown; reserves %d", t.MaxCost)
	case t.LimitsCost() && t.Cost == CostPerSeries:
		return "1 per series, " + limit()
	case t.LimitsCost():
		return "1 per " + unit + ", " + limit()
	case t.Cost == CostPerItem:
		return "1 if found"
	case t.Cost == CostPerRow:
		return fmt.Sprintf("≤ %d (1 per %s)", t.MaxCost, unit)
	case t.Cost == CostPerSeries:
		return fmt.Sprintf("≤ %d (1 per series)", t.MaxCost)
	case t.Cost == CostFixed:
		return fmt.Sprintf("%d per call", t.MaxCost)
	}
	return string(t.Cost)
}

func unitOr(unit, def string) string {
	if unit == "" {
		return def
	}
	return unit
}

func plural(word string, n int64) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// reservation is the worst case of a call of t with args, before anything
// learnt in this run: Rows is the limit it sends (fittable), Fixed the
// bound of an answer no limit governs.
func (t *Tool) reservation(args map[string]any) budget.Ask {
	a := budget.Ask{Operation: t.Name}
	switch {
	case t.Cost == CostFree:
	case t.LimitsCost():
		a.Rows = t.limitOf(args)
	default:
		a.Fixed = t.MaxCost
	}
	return a
}

// Overcharge is an answer that cost more than its reservation, as
// get_budget shows it: the tool's reservations are raised for the rest of
// the run.
type Overcharge struct {
	Tool string `json:"tool"`
	// Count is how many answers of the tool cost more than was reserved.
	Count int `json:"count"`
	// Reserved and Charged are the last such answer's reservation and
	// cost (X-Usage-Cost).
	Reserved  int64  `json:"reserved"`
	Charged   int64  `json:"charged"`
	RequestID string `json:"requestId,omitempty"`
	// Now says how the tool's calls are reserved from now on.
	Now string `json:"now"`
}

// learnt holds what a Toolbox learnt of real costs during its run: for
// each tool that was charged more than it reserved, how much more to
// reserve. The zero value is ready to use.
type learnt struct {
	mu sync.Mutex
	by map[string]*surcharge
}

// surcharge raises a tool's reservations. A tool whose limit bounds its
// cost reserves factor credits per row (the largest cost per row seen,
// rounded up); any other tool reserves at least least credits (the largest
// cost seen).
type surcharge struct {
	factor int64
	least  int64
	seen   Overcharge
}

// raise returns a adjusted by what was learnt of t.
func (l *learnt) raise(t *Tool, a budget.Ask) budget.Ask {
	l.mu.Lock()
	s, ok := l.by[t.Name]
	var factor, least int64
	if ok {
		factor, least = s.factor, s.least
	}
	l.mu.Unlock()
	if !ok {
		return a
	}
	if factor > 1 && a.Rows > 0 {
		// The extra credits stay fixed even when the budget lowers the
		// limit: the reservation can only be too high, never too low.
		a.Fixed += (factor - 1) * a.Rows
	}
	a.Fixed = max(a.Fixed, least-a.Rows)
	return a
}

// record notes that a call of t reserved held credits for rows rows (0
// when no limit bounds it) and was charged charge. When that is more than
// was held it raises t's reservations and returns the tool's record and
// true.
func (l *learnt) record(t *Tool, held, rows, charge int64, requestID string) (Overcharge, bool) {
	if charge <= held {
		return Overcharge{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by = map[string]*surcharge{}
	}
	s := l.by[t.Name]
	if s == nil {
		s = &surcharge{factor: 1, seen: Overcharge{Tool: t.Name}}
		l.by[t.Name] = s
	}
	if rows > 0 && t.LimitsCost() {
		s.factor = max(s.factor, (charge+rows-1)/rows)
		s.seen.Now = fmt.Sprintf("%d credits per row asked for (limit)", s.factor)
	} else {
		s.least = max(s.least, charge)
		s.seen.Now = fmt.Sprintf("at least %d credits per call", s.least)
	}
	s.seen.Count++
	s.seen.Reserved, s.seen.Charged, s.seen.RequestID = held, charge, requestID
	return s.seen, true
}

// list returns every overcharge seen, by tool name.
func (l *learnt) list() []Overcharge {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Overcharge, 0, len(l.by))
	for _, s := range l.by {
		out = append(out, s.seen)
	}
	slices.SortFunc(out, func(a, b Overcharge) int { return strings.Compare(a.Tool, b.Tool) })
	return out
}

// ask is the budget request for a call of t with args: its worst case,
// raised by what this run learnt of t's real costs.
func (b *Toolbox) ask(t *Tool, args map[string]any) budget.Ask {
	return b.learnt.raise(t, t.Ask(args))
}

// checkCharge compares what a successful call cost with what it reserved
// (res, or its worst case when there is no budget) and, when it cost
// more, logs and counts it, raises the tool's reservations and returns a
// note for the model ("" otherwise).
func (b *Toolbox) checkCharge(t *Tool, sent map[string]any, res *budget.Reservation, resp *runtime.Response) string {
	cost := resp.Metering.Cost()
	if !cost.Present {
		return ""
	}
	var held, rows int64
	if res != nil {
		held, rows = res.Credits, res.Rows
	} else {
		a := b.ask(t, sent)
		held, rows = a.Worst(), a.Rows
	}
	o, over := b.learnt.record(t, held, rows, cost.Value, resp.RequestID)
	if !over {
		return ""
	}
	b.log.LogAttrs(context.Background(), slog.LevelWarn, "tools: the API charged more than tollgate reserved; reserving more for this tool from now on",
		slog.String("tool", t.Name), slog.String("op", t.Method+" "+t.Path), slog.Int64("reserved", held),
		slog.Int64("charged", cost.Value), slog.String("requestId", resp.RequestID), slog.String("now", o.Now))
	return fmt.Sprintf("This answer cost %d credits, more than the %d tollgate reserved for it; %s calls now reserve %s for the rest of the session.",
		cost.Value, held, t.Name, o.Now)
}

// Overcharges lists the tools whose answers cost more than their
// reservation during this Toolbox's run, and how they are reserved now.
func (b *Toolbox) Overcharges() []Overcharge { return b.learnt.list() }
