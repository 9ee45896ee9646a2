package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// handler answers one operation. It returns the rows, item or body; the
// generic layer (serve.go, envelope.go) pages, wraps and meters them as
// the operation's table entry says.
type handler func(*call) (result, *apiError)

// result is a handler's success.
type result struct {
	rows    *rows          // ShapeList and ShapeSeries: every row, before paging
	item    any            // ShapeItem: data; ShapeRoot: the whole body
	meta    any            // top-level meta, when the operation has one
	extra   map[string]any // further top-level properties (created, dateRange)
	status  int            // 0: the operation's documented status
	raw     []byte         // ShapeRaw
	created *bool          // upserts: whether this call created it (false: 200)
	// pagination replaces the computed one when the handler pages itself
	// (rows is then the page).
	pagination any
}

// rows is a collection to page through without building every row: n rows,
// the i-th built by at.
type rows struct {
	n  int
	at func(i int) any
}

// rowsOf returns the rows of a slice.
func rowsOf[T any](xs []T) *rows {
	return &rows{n: len(xs), at: func(i int) any { return xs[i] }}
}

// mapRows returns the rows f builds from xs, built only for the page sent.
func mapRows[S, T any](xs []S, f func(S) T) *rows {
	return &rows{n: len(xs), at: func(i int) any { return f(xs[i]) }}
}

// route is one operation of the table with its handler.
type route struct {
	op     *apispec.Operation // in apispec's shared table
	segs   []string
	handle handler
}

// routeTable returns a route for every operation of the table. It panics if
// an operation has no handler or a handler no operation: the sandbox serves
// exactly the table.
var routeTable = sync.OnceValue(func() []*route {
	ops := apispec.Table()
	out := make([]*route, 0, len(ops))
	seen := make(map[string]bool, len(ops))
	for i := range ops {
		o := &ops[i]
		h := handlers[o.ID]
		if h == nil {
			panic(fmt.Sprintf("sandbox: operation %s (%s) has no handler", o.ID, o.Key()))
		}
		seen[o.ID] = true
		out = append(out, &route{op: o, handle: h, segs: strings.Split(strings.TrimPrefix(o.Path, "/"), "/")})
	}
	for id := range handlers {
		if !seen[id] {
			panic("sandbox: handler for " + id + ", which the table does not list")
		}
	}
	return out
})

// handlers maps operationIds to their handlers; the files handlers_*.go
// fill it.
var handlers = map[string]handler{}

// handle registers handlers at init.
func handle(m map[string]handler) {
	for id, h := range m {
		if handlers[id] != nil {
			panic("sandbox: two handlers for " + id)
		}
		handlers[id] = h
	}
}

// match finds the route for method and the escaped path. Path parameters
// are matched segment by segment on the escaped path and then unescaped,
// so an id holding "/" or ".." stays one id. Among routes of the method,
// the one with the most literal segments wins. allowed lists the methods of
// routes matching the path when none matches the method.
func (s *Server) match(method, escapedPath string) (rt *route, pathVals map[string]string, allowed []string) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	bestLiterals := -1
	for _, r := range s.routes {
		vals, literals, ok := matchSegs(r.segs, segs)
		if !ok {
			continue
		}
		if r.op.Method != method {
			if !slices.Contains(allowed, r.op.Method) {
				allowed = append(allowed, r.op.Method)
			}
			continue
		}
		if literals > bestLiterals {
			rt, pathVals, bestLiterals = r, vals, literals
		}
	}
	if rt != nil {
		allowed = nil
	}
	return rt, pathVals, allowed
}

func matchSegs(pattern, segs []string) (map[string]string, int, bool) {
	if len(pattern) != len(segs) {
		return nil, 0, false
	}
	var vals map[string]string
	literals := 0
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, 0, false
			}
			if vals == nil {
				vals = map[string]string{}
			}
			vals[strings.Trim(p, "{}")] = v
			continue
		}
		if p != segs[i] {
			return nil, 0, false
		}
		literals++
	}
	return vals, literals, true
}

// methodNotAllowed is the 405 answer for a known path.
func methodNotAllowed(method, path string, allowed []string) *apiError {
	slices.Sort(allowed)
	e := newError(http.StatusMethodNotAllowed, codeMethodNotAllowed,
		"Method %s is not allowed on %s; use %s.", method, path, strings.Join(allowed, " or "))
	e.header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
	return e
}
