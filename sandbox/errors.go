package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// Error codes the sandbox answers with. The first eleven are the public
// codes of the error guide; validation_error, not_found and
// method_not_allowed are the sandbox's choice for codes the API does not
// publish.
const (
	codeMissingAPIKey       = "missing_api_key"
	codeInvalidAPIKey       = "invalid_api_key"
	codeCredentialNotFound  = "credential_not_found"
	codeCredentialRevoked   = "credential_revoked"
	codeCredentialExpired   = "credential_expired"
	codeWorkspaceDisabled   = "workspace_public_api_disabled"
	codeWorkspaceSuspended  = "workspace_public_api_suspended"
	codeForbidden           = "forbidden"
	codeRateLimited         = "rate_limited"
	codeInsufficientCredits = "insufficient_credits"
	codeInternalError       = "internal_error"
	codeValidation          = "validation_error"
	codeNotFound            = "not_found"
	codeMethodNotAllowed    = "method_not_allowed"
)

// apiError is an error response: the HTTP status and the body's error object.
type apiError struct {
	status  int
	code    string
	message string
	invalid []validationError
	header  http.Header // extra headers (Allow, Retry-After)
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// validationError is one entry of error.details.validationErrors.
type validationError = apispec.ValidationError

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, codeNotFound, format, args...)
}

// invalid builds a 400 validation_error from its entries.
func invalid(errs []validationError) *apiError {
	parts := make([]string, 0, len(errs))
	for _, v := range errs {
		parts = append(parts, v.Field+": "+strings.Join(v.Expected, "; "))
	}
	return &apiError{
		status:  http.StatusBadRequest,
		code:    codeValidation,
		message: "Request validation failed: " + strings.Join(parts, ", ") + ".",
		invalid: errs,
	}
}

// writeError writes e as the error envelope.
func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	for k, vs := range e.header {
		w.Header()[k] = vs
	}
	body := apispec.Error{Error: apispec.ErrorObject{Code: e.code, Message: e.message, RequestID: reqID}}
	if len(e.invalid) > 0 {
		body.Error.Details = &apispec.ErrorDetails{ValidationErrors: e.invalid}
	}
	writeJSON(w, e.status, body)
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error in the sandbox can get here.
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal_error","message":"sandbox failed to encode its response","requestId":""}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// crockford is the base32 alphabet of ULIDs.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newRequestID returns "req_" and 26 ULID-like characters: 10 for the
// millisecond time, 16 random.
func (s *Server) newRequestID(now time.Time) string {
	var b [4 + 26]byte
	copy(b[:], "req_")
	ms := uint64(now.UnixMilli())
	for i := 13; i >= 4; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	s.mu.Lock()
	r1, r2 := s.idRNG.Uint64(), s.idRNG.Uint64()
	s.mu.Unlock()
	for i := 14; i < 30; i++ {
		b[i] = crockford[r1&31]
		r1 >>= 5
		if i == 25 {
			r1 = r2
		}
	}
	return string(b[:])
}
