package sandbox

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// call is one request being handled.
type call struct {
	s     *Server
	r     *http.Request
	op    *apispec.Operation
	now   time.Time
	reqID string
	cred  *credential // nil on public routes
	ws    *workspace
	path  map[string]string
	v     values
	d     *dataset // the data set as of the latest ready date, built on first use
}

// data returns the data set the call answers from: the one of the latest
// ready snapshot at the call's time.
func (c *call) data() *dataset {
	if c.d == nil {
		c.d = c.s.dataAt(c.now)
	}
	return c.d
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	reqID := s.newRequestID(now)
	w.Header().Set("X-Request-Id", reqID)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			writeError(w, reqID, newError(http.StatusInternalServerError, codeInternalError,
				"sandbox: handler panicked: %v", p))
		}
	}()

	path := r.URL.EscapedPath()
	rt, pathVals, allowed := s.match(r.Method, path)
	if rt == nil {
		if len(allowed) > 0 {
			writeError(w, reqID, methodNotAllowed(r.Method, path, allowed))
			return
		}
		writeError(w, reqID, notFound("No route %s %s. See /v1/openapi.json for the routes this API serves.", r.Method, path))
		return
	}
	c := &call{s: s, r: r, op: rt.op, now: now, reqID: reqID, path: pathVals, v: values{}}
	if rt.op.Access == apispec.AccessPublic {
		res, e := rt.handle(c)
		if e != nil {
			writeError(w, reqID, e)
			return
		}
		body, _ := envelope(c, res)
		writeBody(w, c, res, body)
		return
	}
	s.serveAuthed(w, r, rt, c)
}

// serveAuthed runs the steps of a route that needs auth (see the package
// documentation for their order).
func (s *Server) serveAuthed(w http.ResponseWriter, r *http.Request, rt *route, c *call) {
	ctx := r.Context()
	o := rt.op
	fail := func(e *apiError) {
		if s.delay(ctx) {
			writeError(w, c.reqID, e)
		}
	}
	if f := s.nextFault(r.URL.EscapedPath()); f != nil {
		if s.delay(ctx) {
			writeFault(w, c.reqID, f)
		}
		return
	}
	cred, e := s.authenticate(r, c.now)
	if e != nil {
		fail(e)
		return
	}
	c.cred, c.ws = cred, cred.ws
	if e := s.rateLimit(cred.key, c.now, w.Header()); e != nil {
		fail(e)
		return
	}
	if o.Access == apispec.AccessWriter && cred.accessLevel != AccessFull {
		fail(newError(http.StatusForbidden, codeForbidden,
			"This key has access level %s and cannot change workspace resources; use a full_access key.", cred.accessLevel))
		return
	}
	if errs := s.validate(c, rt); len(errs) > 0 {
		fail(invalid(errs))
		return
	}
	if o.Access == apispec.AccessScoped {
		if e := scopeAllowed(o, cred, c.v.str("scope")); e != nil {
			fail(e)
			return
		}
	}

	var limit int64
	if o.Cost.LimitParam != "" {
		limit = c.v.int(o.Cost.LimitParam)
	}
	held := o.Reservation(limit)
	if held > 0 {
		if !s.reserve(c.ws, held, c.now) {
			fail(newError(http.StatusPaymentRequired, codeInsufficientCredits,
				"Not enough credits to complete this request."))
			return
		}
	}
	settled := false
	defer func() {
		if !settled && held > 0 {
			s.settle(c.ws, held, 0)
		}
	}()
	if !s.delay(ctx) {
		return
	}
	res, e := rt.handle(c)
	var body any
	var cost int64
	if e == nil {
		body, cost = envelope(c, res)
	}
	if o.Cost.Model != apispec.CostFree {
		remaining, source := s.settle(c.ws, held, cost)
		settled = true
		if e == nil {
			setMetering(w.Header(), cost, remaining, source)
		}
	}
	if e != nil {
		writeError(w, c.reqID, e)
		return
	}
	if o.ID == "getUsage" {
		s.mu.Lock()
		remaining := c.ws.ledger.remaining()
		s.mu.Unlock()
		h := w.Header()
		h.Set("X-Usage-Cost", "0")
		h.Set("X-Credits-Used", "0")
		h.Set("X-Credits-Remaining", strconv.FormatInt(remaining, 10))
	}
	writeBody(w, c, res, body)
}

// validate parses the query string and the body against the operation and
// applies its defaults and constraints.
func (s *Server) validate(c *call, rt *route) []validationError {
	var errs problems
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		return []validationError{{Field: "query-string", Location: "query-string", Expected: []string{"query string must be validly percent-encoded"}}}
	}
	parseQuery(rt.op.Params, q, c.v, &errs)
	if rt.op.Body != nil {
		obj, berrs := readBody(c.r)
		if berrs != nil {
			return append(errs, berrs...)
		}
		parseBody(rt.op.Body, obj, "", c.v, &errs)
	}
	if len(errs) > 0 {
		return errs
	}
	finish(rt.op, c.v, &errs)
	return errs
}

// scopeAllowed applies the favorites scope rule: personal favorites belong
// to a delegated user, workspace favorites are written by full_access keys.
func scopeAllowed(o *apispec.Operation, cred *credential, scope string) *apiError {
	switch {
	case scope == "personal" && cred.accessLevel == AccessFull:
		return newError(http.StatusForbidden, codeForbidden,
			"scope=personal needs a delegated_user key; a full_access key has no personal favorites. Use scope=workspace.")
	case scope == "workspace" && !o.ReadOnly() && cred.accessLevel != AccessFull:
		return newError(http.StatusForbidden, codeForbidden,
			"This key has access level %s and cannot change workspace favorites; use scope=personal or a full_access key.", cred.accessLevel)
	}
	return nil
}

func setMetering(h http.Header, cost, remaining int64, source string) {
	h.Set("X-Usage-Cost", strconv.FormatInt(cost, 10))
	h.Set("X-Credits-Used", strconv.FormatInt(cost, 10))
	h.Set("X-Credits-Remaining", strconv.FormatInt(remaining, 10))
	h.Set("X-Credits-Source", source)
}

// delay waits out the injected latency. It reports false if the client went
// away first.
func (s *Server) delay(ctx context.Context) bool {
	s.mu.Lock()
	d := s.faults.Latency
	s.mu.Unlock()
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
