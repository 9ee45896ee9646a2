package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// APIError is a failed API call: a non-2xx response, or a 2xx response whose
// body could not be read. Branch on Code, never on Message.
type APIError struct {
	Status           int               // HTTP status
	Code             string            // error.code, or one derived from Status when the body has none
	Message          string            // error.message, or a description of what came back
	RequestID        string            // error.requestId, else X-Request-Id
	ValidationErrors []ValidationError // error.details.validationErrors (400)
	RetryAfter       time.Duration     // the Retry-After the server asked for; 0 when absent
	HasRetryAfter    bool              // whether a valid Retry-After header was present
	Metering         Metering          // the response's metering headers
	Attempts         int               // how many times the request was sent
}

// ValidationError is one entry of error.details.validationErrors.
type ValidationError struct {
	Field    string   `json:"field"`
	Location string   `json:"location,omitempty"`
	Expected []string `json:"expected,omitempty"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trendtrack: %d %s: %s", e.Status, e.Code, e.Message)
	for _, v := range e.ValidationErrors {
		fmt.Fprintf(&b, "; %s: %s", v.Field, strings.Join(v.Expected, ", "))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Retryable reports whether the same request may succeed if sent again
// later, per the advice table.
func (e *APIError) Retryable() bool { return LookupCode(e.Code, e.Status).Retryable }

// TransportError is a call that got no HTTP response: the connection failed,
// was dropped, or timed out.
type TransportError struct {
	Method, Path string
	Err          error
	Attempts     int
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("trendtrack: %s %s: no response: %v", e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// maxErrorText bounds how much of a non-JSON body is quoted in a message.
const maxErrorText = 200

// errorEnvelope is the API's stable error body.
type errorEnvelope struct {
	Error *struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
		Details   *struct {
			ValidationErrors []ValidationError `json:"validationErrors"`
		} `json:"details"`
	} `json:"error"`
}

// ParseError builds the *APIError for a response with the given status,
// headers and body. It never panics and always returns a usable error, even
// for an HTML page from a proxy, an empty body or a truncated one. now is
// used to read a Retry-After given as an HTTP-date.
func ParseError(status int, h http.Header, body []byte, now time.Time) *APIError {
	m := ParseMetering(h)
	e := &APIError{Status: status, Metering: m, RequestID: m.RequestID}
	e.RetryAfter, e.HasRetryAfter = ParseRetryAfter(h.Get(HeaderRetryAfter), now)

	var env errorEnvelope
	if err := json.Unmarshal(body, &env); err == nil && env.Error != nil && validCode(env.Error.Code) {
		e.Code = env.Error.Code
		e.Message = strings.TrimSpace(env.Error.Message)
		if id := sanitizeID(env.Error.RequestID); id != "" {
			e.RequestID = id
		}
		if env.Error.Details != nil {
			e.ValidationErrors = env.Error.Details.ValidationErrors
		}
	} else {
		e.Code = CodeForStatus(status)
		e.Message = describeBody(status, h, body)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// validCode accepts snake_case codes only, so that a garbage "code" field
// falls back to the status-derived code.
func validCode(c string) bool {
	if c == "" || len(c) > 64 {
		return false
	}
	for _, r := range c {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func describeBody(status int, h http.Header, body []byte) string {
	text := strings.TrimSpace(string(body))
	switch {
	case text == "":
		return fmt.Sprintf("HTTP %d with an empty body", status)
	case strings.Contains(strings.ToLower(h.Get("Content-Type")), "html") || strings.HasPrefix(text, "<"):
		return fmt.Sprintf("HTTP %d with an HTML page instead of a JSON error (a proxy or gateway answered)", status)
	default:
		if len(text) > maxErrorText {
			text = text[:maxErrorText] + "…"
		}
		return fmt.Sprintf("HTTP %d with a body that is not the API's JSON error envelope: %q", status, text)
	}
}

// CodeForStatus is the error code used when a response carries no error
// code of its own.
func CodeForStatus(status int) string {
	switch status {
	case 400, 422:
		return CodeValidation
	case 401:
		return "unauthorized"
	case 402:
		return CodeInsufficientCredits
	case 403:
		return CodeForbidden
	case 404:
		return CodeNotFound
	case 405:
		return "method_not_allowed"
	case 408:
		return "request_timeout"
	case 409:
		return "conflict"
	case 413:
		return "payload_too_large"
	case 429:
		return CodeRateLimited
	case 500:
		return CodeInternalError
	case 502:
		return "bad_gateway"
	case 503:
		return "service_unavailable"
	case 504:
		return "gateway_timeout"
	}
	switch {
	case status >= 200 && status < 300:
		return CodeMalformedResponse
	case status >= 500:
		return "server_error"
	default:
		return "client_error"
	}
}

// AsAPIError is errors.As for *APIError.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}
