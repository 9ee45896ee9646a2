package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// FaultKind is a kind of injected fault.
type FaultKind int

// Kinds of injected fault.
const (
	// FaultInternalError answers 500 internal_error in the JSON envelope.
	FaultInternalError FaultKind = iota + 1
	// FaultRateLimited answers 429 rate_limited in the JSON envelope, with
	// Fault.RetryAfter as the Retry-After header (none when empty).
	FaultRateLimited
	// FaultBadGateway answers 502 with an HTML page from a proxy.
	FaultBadGateway
	// FaultDrop closes the connection without a response.
	FaultDrop
	// FaultMalformed answers 200 (or Fault.Status) with truncated JSON.
	FaultMalformed
	// FaultHTML answers an HTML proxy page with Fault.Status (default 503).
	FaultHTML
	// FaultEmpty answers an empty body with Fault.Status (default 200).
	FaultEmpty
)

// String returns the kind's name, e.g. "internal_error".
func (k FaultKind) String() string {
	switch k {
	case FaultInternalError:
		return "internal_error"
	case FaultRateLimited:
		return "rate_limited"
	case FaultBadGateway:
		return "bad_gateway"
	case FaultDrop:
		return "drop"
	case FaultMalformed:
		return "malformed"
	case FaultHTML:
		return "html"
	case FaultEmpty:
		return "empty"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is a scripted fault: the next Count requests whose path starts with
// PathPrefix get it, before authentication, so they are never charged.
type Fault struct {
	Kind       FaultKind
	Count      int    // how many matching requests; 0 means 1
	PathPrefix string // only requests whose escaped path has this prefix; "" matches all
	RetryAfter string // raw Retry-After header to send; "" sends none
	Status     int    // status for FaultHTML, FaultEmpty and FaultMalformed; 0 means the kind's default
}

// Inject queues a scripted fault. Scripted faults are consumed in the order
// they were injected and take precedence over random ones. They apply to
// routes that need auth (not /v1, /v1/health or /v1/openapi.json).
func (s *Server) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted = append(s.scripted, &f)
}

// nextFault returns the fault the request to path gets, if any: the first
// matching scripted fault, else a random one drawn from the Faults rates.
func (s *Server) nextFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.scripted {
		if !strings.HasPrefix(path, f.PathPrefix) {
			continue
		}
		got := *f
		f.Count--
		if f.Count == 0 {
			s.scripted = append(s.scripted[:i], s.scripted[i+1:]...)
		}
		return &got
	}
	fr := s.faults
	if fr.ErrorRate <= 0 && fr.DropRate <= 0 && fr.MalformedRate <= 0 {
		return nil
	}
	u := s.faultRNG.Float64()
	switch {
	case u < fr.ErrorRate:
		return &Fault{Kind: FaultInternalError}
	case u < fr.ErrorRate+fr.DropRate:
		return &Fault{Kind: FaultDrop}
	case u < fr.ErrorRate+fr.DropRate+fr.MalformedRate:
		if s.faultRNG.IntN(2) == 0 {
			return &Fault{Kind: FaultMalformed}
		}
		return &Fault{Kind: FaultHTML, Status: http.StatusOK}
	}
	return nil
}

const badGatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
`

const proxyPageFormat = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>%d %s</title></head>
<body><h1>%s</h1><p>The upstream server is temporarily unavailable. Please try again in a few moments.</p></body>
</html>
`

// writeFault answers the request with f.
func writeFault(w http.ResponseWriter, reqID string, f *Fault) {
	if f.RetryAfter != "" && f.Kind != FaultDrop {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch f.Kind {
	case FaultInternalError:
		writeError(w, reqID, newError(http.StatusInternalServerError, codeInternalError,
			"An internal error occurred. Retry with backoff and quote the requestId if it persists."))
	case FaultRateLimited:
		writeError(w, reqID, newError(http.StatusTooManyRequests, codeRateLimited,
			"Rate limit exceeded. Retry after the Retry-After interval."))
	case FaultBadGateway:
		w.Header().Del("X-Request-Id") // a proxy page knows no API request id
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGatewayPage))
	case FaultDrop:
		dropConnection(w)
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(statusOr(f.Status, http.StatusOK))
		_, _ = fmt.Fprintf(w, `{"data":[{"id":"facebook_1208845530317`)
	case FaultHTML:
		st := statusOr(f.Status, http.StatusServiceUnavailable)
		w.Header().Del("X-Request-Id")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(st)
		text := http.StatusText(st)
		_, _ = fmt.Fprintf(w, proxyPageFormat, st, text, text)
	case FaultEmpty:
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(statusOr(f.Status, http.StatusOK))
	default:
		writeError(w, reqID, newError(http.StatusInternalServerError, codeInternalError,
			"sandbox: unknown fault kind %v was injected", f.Kind))
	}
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 or a wrapped writer: abort the response instead.
	panic(http.ErrAbortHandler)
}

func statusOr(st, def int) int {
	if st == 0 {
		return def
	}
	return st
}
