package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/bufpool"
)

// Request is one API operation to perform.
type Request struct {
	Method string // GET when empty
	// Path is a template such as "/v1/ads/{adId}". Each {name} is replaced
	// by PathParams[name], escaped so that it stays one path segment: a
	// "/" or ".." in an id can never change which endpoint is called.
	Path       string
	PathParams map[string]string
	Query      url.Values
	Body       any // sent as JSON when non-nil
	// Idempotent marks a write that the API documents as safe to repeat,
	// so that it is retried on 5xx and transport faults like a GET.
	Idempotent bool
	// Operation names the call for logs and observers (e.g. "listAds").
	Operation string
}

// Response is a successful (2xx) API answer.
type Response struct {
	Status int
	Header http.Header
	// Body is the raw body.
	Body json.RawMessage
	// Data is the envelope's data, or the whole body for endpoints that
	// answer at the root (GET /v1/usage, /v1/me, /v1/workspace, ...).
	Data json.RawMessage
	// Enveloped reports whether the body was a {data, requestId} envelope.
	Enveloped  bool
	RequestID  string
	Pagination *Pagination
	Meta       json.RawMessage
	// Extra holds the envelope's other top-level fields (for example
	// created on POST /v1/brandtrackers).
	Extra map[string]json.RawMessage
	// Rows is how many elements Data holds when it is a JSON array (0
	// otherwise), counted in the same pass that validates the body.
	Rows int
	// DataVerbatim reports that Data is byte for byte what json.Marshal
	// writes for it (no whitespace between tokens; no <, >, &, U+2028 or
	// U+2029, which it escapes), so that a face may copy Data into JSON
	// of its own without encoding it again and still send the same bytes.
	DataVerbatim bool
	Metering     Metering
	Attempts     int
}

// Pagination is the envelope's pagination object: page-based
// {page, limit, total, totalPages} or offset-based {limit, offset, total}.
type Pagination struct {
	Page       int  `json:"page,omitempty"`
	Limit      int  `json:"limit"`
	Offset     *int `json:"offset,omitempty"`
	Total      int  `json:"total"`
	TotalPages int  `json:"totalPages,omitempty"`
}

// HasMore reports whether a later page exists.
func (p *Pagination) HasMore() bool {
	if p == nil {
		return false
	}
	if p.Offset != nil {
		return p.Limit > 0 && *p.Offset+p.Limit < p.Total
	}
	return p.Page > 0 && p.Page < p.TotalPages
}

// maxBody bounds how much of a response body is read.
const maxBody = 32 << 20

// ExpandPath fills the template's {name} segments with escaped values.
func ExpandPath(template string, params map[string]string) (string, error) {
	var b strings.Builder
	rest := template
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("runtime: path template %q has an unclosed {", template)
		}
		name := rest[i+1 : i+j]
		v, ok := params[name]
		if !ok {
			return "", fmt.Errorf("runtime: path template %q needs parameter %q", template, name)
		}
		if v == "" {
			return "", fmt.Errorf("runtime: path parameter %q is empty", name)
		}
		b.WriteString(rest[:i])
		b.WriteString(escapeSegment(v))
		rest = rest[i+j+1:]
	}
	return b.String(), nil
}

// escapeSegment escapes v as one path segment. url.PathEscape already
// escapes "/", "?" and "#"; a segment that is only dots is escaped too, since
// servers and proxies would otherwise resolve it as "." or "..".
func escapeSegment(v string) string {
	if strings.Trim(v, ".") == "" {
		return strings.Repeat("%2E", len(v))
	}
	return url.PathEscape(v)
}

// Do performs r, retrying per the client's RetryPolicy. It returns a
// *Response for a 2xx answer; otherwise an *APIError (the API answered), a
// *TransportError (it did not), or the context's error (wrapped) when ctx
// ended first.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	path, err := ExpandPath(r.Path, r.PathParams)
	if err != nil {
		return nil, err
	}
	u := c.baseURL + path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var body []byte
	if r.Body != nil {
		if body, err = json.Marshal(r.Body); err != nil {
			return nil, fmt.Errorf("runtime: encoding the body of %s: %w", r.Path, err)
		}
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	observers := append(append([]Observer(nil), c.observers...), callObservers(ctx)...)

	var rateRetries, faultRetries int
	var retryAfter429 *Wait // the retry policy's wait after a 429, waited out with the pace
	for attempt := 1; ; attempt++ {
		slot, err := c.turn(ctx, r, observers, attempt, retryAfter429)
		if err != nil {
			return nil, fmt.Errorf("runtime: pacing %s %s: %w", method, r.Path, err)
		}
		retryAfter429 = nil
		sent := c.clock.Now()
		resp, callErr := c.attempt(ctx, method, u, body)
		if callErr != nil && ctx.Err() != nil {
			c.observePace(ctx, slot, sent, 0, nil, 0)
			return nil, fmt.Errorf("runtime: %s %s: %w", method, r.Path, ctx.Err())
		}
		outcome := Outcome{SafeToRetry: safeToRetry(r)}
		var failure error
		if callErr != nil {
			c.observePace(ctx, slot, sent, 0, nil, 0)
			outcome.Transport = true
			outcome.Retries = faultRetries
			failure = &TransportError{Method: method, Path: path, Err: callErr, Attempts: attempt}
		} else {
			m := ParseMetering(resp.header)
			for _, o := range observers {
				o.ObserveResponse(ctx, r, resp.status, m)
			}
			if resp.status >= 200 && resp.status < 300 {
				c.observePace(ctx, slot, sent, resp.status, resp.header, 0)
				return decodeSuccess(resp, m, attempt)
			}
			apiErr := ParseError(resp.status, resp.header, resp.body, c.clock.Now())
			apiErr.Attempts = attempt
			c.redactKey(apiErr)
			failure = apiErr
			outcome.Status, outcome.Header = resp.status, resp.header
			outcome.Retries = faultRetries
			if resp.status == http.StatusTooManyRequests {
				outcome.Retries = rateRetries
			}
		}

		wait, retry := c.policy.Decide(outcome, c.clock.Now(), c.jitter)
		if callErr == nil {
			// Every other caller of the key shares a 429's wake-up time,
			// retried or not.
			wake := wait
			if resp.status == http.StatusTooManyRequests && !retry && wake == 0 {
				wake, _ = ParseRetryAfter(resp.header.Get(HeaderRetryAfter), c.clock.Now())
			}
			c.observePace(ctx, slot, sent, resp.status, resp.header, wake)
		}
		if !retry {
			return nil, failure
		}
		w := Wait{Attempt: attempt, Delay: wait, Status: outcome.Status, Reason: reasonOf(failure)}
		if outcome.Status == http.StatusTooManyRequests {
			rateRetries++
			retryAfter429 = &w
			continue
		}
		faultRetries++
		if err := c.waitFor(ctx, r, observers, w); err != nil {
			return nil, fmt.Errorf("runtime: %s %s: %w while waiting %v to retry after %v", method, r.Path, err, wait, failure)
		}
	}
}

// redactKey removes the API key from the text of e, in case the server or
// a proxy echoed the Authorization header into its error body; the error
// is shown to models and written to logs.
func (c *Client) redactKey(e *APIError) {
	if c.apiKey == "" {
		return
	}
	redact := func(s string) string { return strings.ReplaceAll(s, c.apiKey, "[redacted]") }
	e.Message = redact(e.Message)
	for i := range e.ValidationErrors {
		v := &e.ValidationErrors[i]
		v.Field, v.Location = redact(v.Field), redact(v.Location)
		for j := range v.Expected {
			v.Expected[j] = redact(v.Expected[j])
		}
	}
}

func reasonOf(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return CodeNetwork
}

type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) attempt(ctx context.Context, method, u string, body []byte) (*rawResponse, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, readErr := readBody(resp.Body, resp.ContentLength)
	if readErr != nil && (resp.StatusCode < 200 || resp.StatusCode >= 300) && len(data) == 0 {
		// The error body was cut before a byte arrived; the status is all
		// there is, and ParseError copes with an empty body.
		readErr = nil
	}
	raw := &rawResponse{status: resp.StatusCode, header: resp.Header, body: data}
	if readErr != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// A success whose body was cut short: the server may have charged
		// for it, so it is reported as malformed rather than retried.
		raw.body = nil
	}
	return raw, nil
}

// readBody is io.ReadAll(io.LimitReader(r, maxBody)) without its
// growing: ReadAll starts at 512 bytes and doubles, so a 34 KB page cost
// seven reallocations and copies and about three times the body in
// garbage. A body of announced size (size; -1 when unknown) is read into
// one buffer of that size, plus a byte for the read that meets the end;
// one of unknown size (chunked, or compressed on the wire) into a pooled
// buffer, then copied once into a slice of its own, since the response
// keeps it. A body longer than announced is read on to maxBody as before.
func readBody(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size >= maxBody {
		return readUnsized(r)
	}
	buf := make([]byte, 0, size+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			rest, err := io.ReadAll(io.LimitReader(r, maxBody-int64(len(buf))))
			return append(buf, rest...), err
		}
	}
}

// bodyBuffers are readUnsized's buffers, kept up to 1 MiB.
var bodyBuffers = bufpool.Pool{Max: 1 << 20}

func readUnsized(r io.Reader) ([]byte, error) {
	b := bodyBuffers.Get()
	_, err := b.ReadFrom(io.LimitReader(r, maxBody))
	data := append([]byte{}, b.Bytes()...)
	bodyBuffers.Put(b)
	return data, err
}
