package sandbox

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// call is one request being handled.
type call struct {
	s     *Server
	r     *http.Request
	now   time.Time
	reqID string
	cred  *credential // nil on routes without auth
	ws    *workspace
	path  map[string]string
	v     values
}

// reply is a handler's success: a JSON body and, on metered routes, the
// number of rows or items returned (the credits to charge).
type reply struct {
	status int // 0 means 200
	body   any
	rows   int64
	raw    []byte // sent as is instead of body when set
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
	c := &call{s: s, r: r, now: now, reqID: reqID, path: pathVals}
	if !rt.auth {
		rep, e := rt.handle(c)
		if e != nil {
			writeError(w, reqID, e)
			return
		}
		writeReply(w, rep)
		return
	}
	s.serveAuthed(w, r, rt, c)
}

// serveAuthed runs the steps of a route that needs auth (see the package
// documentation for their order).
func (s *Server) serveAuthed(w http.ResponseWriter, r *http.Request, rt *route, c *call) {
	ctx := r.Context()
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
	if rt.write && cred.accessLevel != AccessFull {
		fail(newError(http.StatusForbidden, codeForbidden,
			"This key has access level %s and cannot change workspace resources; use a full_access key.", cred.accessLevel))
		return
	}
	var errs []validationError
	if rt.body != nil {
		c.v, errs = parseBody(rt.body, r)
	} else {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			errs = []validationError{{Field: "query-string", Location: "query-string", Expected: []string{"query string must be validly percent-encoded"}}}
		} else {
			c.v, errs = parseQuery(rt.query, q)
		}
	}
	if len(errs) == 0 && rt.check != nil {
		errs = rt.check(c.v)
	}
	if len(errs) > 0 {
		fail(invalid(errs))
		return
	}

	var held int64
	switch rt.meter {
	case meterRows:
		held = c.v.int("limit")
	case meterItem:
		held = 1
	}
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
	rep, e := rt.handle(c)
	if held > 0 || rt.meter == meterRows {
		cost := int64(0)
		if e == nil {
			cost = rep.rows
		}
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
	if rt.meter == meterUsage {
		s.mu.Lock()
		remaining := c.ws.ledger.remaining()
		s.mu.Unlock()
		h := w.Header()
		h.Set("X-Usage-Cost", "0")
		h.Set("X-Credits-Used", "0")
		h.Set("X-Credits-Remaining", strconv.FormatInt(remaining, 10))
	}
	writeReply(w, rep)
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

func writeReply(w http.ResponseWriter, rep reply) {
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	if rep.raw != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(rep.raw)
		return
	}
	writeJSON(w, status, rep.body)
}
