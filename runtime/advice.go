package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
)

// The error codes of the API's public error guide, and the codes tollgate
// uses for failures the guide leaves unnamed.
const (
	CodeMissingAPIKey               = "missing_api_key"
	CodeInvalidAPIKey               = "invalid_api_key"
	CodeCredentialNotFound          = "credential_not_found"
	CodeCredentialRevoked           = "credential_revoked"
	CodeCredentialExpired           = "credential_expired"
	CodeWorkspacePublicAPIDisabled  = "workspace_public_api_disabled"
	CodeWorkspacePublicAPISuspended = "workspace_public_api_suspended"
	CodeForbidden                   = "forbidden"
	CodeRateLimited                 = "rate_limited"
	CodeInsufficientCredits         = "insufficient_credits"
	CodeInternalError               = "internal_error"

	CodeValidation        = "validation_error"   // 400; the guide names no code
	CodeNotFound          = "not_found"          // 404; the guide names no code
	CodeMalformedResponse = "malformed_response" // a 2xx whose body could not be read
	CodeNetwork           = "network_error"      // no HTTP response at all
	CodeTimeout           = "timeout"            // the caller's deadline passed
	CodeCanceled          = "canceled"           // the caller cancelled
)

// Sources of advice: who refused or failed the call.
const (
	// SourceAPI marks advice about a failure the API (or the network to
	// it) reported.
	SourceAPI = "api"
	// SourceBudget marks a call tollgate's budget controller stopped
	// before the API could refuse it (package budget).
	SourceBudget = "budget"
	// SourceTool marks a failure of tollgate's tool layer itself: bad
	// arguments, an unknown tool, a panic (package tools).
	SourceTool = "tool"
)

// Codes of tollgate's own layers. Package budget and package tools
// declare their codes with these values; they are named here because the
// run table below gives each its disposition.
const (
	CodeBudgetCapReached       = "budget_cap_reached"
	CodeBudgetFloorReached     = "budget_floor_reached"
	CodeBudgetExhausted        = "budget_exhausted"
	CodeBudgetCallLimit        = "budget_call_limit"
	CodeBudgetStoreUnavailable = "budget_store_unavailable"

	CodeInvalidArguments = "invalid_arguments"
	CodeUnknownTool      = "unknown_tool"
	CodeToolPanic        = "tool_panic"
	CodeToolError        = "tool_error" // an unexpected error inside tollgate (Advise's fallback)
)

// CodeInfo is one row of the advice table: what a code means for a caller.
type CodeInfo struct {
	Code      string
	Status    int    // the HTTP status the API pairs with the code (0: none)
	Retryable bool   // whether sending the same request later may succeed
	Action    string // what to do next, written for a model
	// Run is what the code means for a run of many calls; see
	// Disposition.
	Run Disposition
}

// adviceTable is the single place where tollgate says what each code means.
// The MCP, OpenAI and batch faces all read it through Advise, and the
// agent and batch runners read its Run column through DispositionOf.
var adviceTable = map[string]CodeInfo{
	CodeMissingAPIKey:               {Status: 401, Run: Fatal, Action: "Stop calling TrendTrack tools: no API key was sent. Tell the user to set TRENDTRACK_API_KEY for tollgate."},
	CodeInvalidAPIKey:               {Status: 401, Run: Fatal, Action: "Stop calling TrendTrack tools: the API key is not valid. Tell the user to re-copy it from the TrendTrack workspace settings (check for whitespace, and that it is sent as a Bearer token, not x-api-key)."},
	CodeCredentialNotFound:          {Status: 401, Run: Fatal, Action: "Stop calling TrendTrack tools: this API key was deleted. Tell the user to issue a new key in the workspace settings."},
	CodeCredentialRevoked:           {Status: 401, Run: Fatal, Action: "Stop calling TrendTrack tools: this API key was revoked or rotated. Tell the user to issue a new key in the workspace settings."},
	CodeCredentialExpired:           {Status: 401, Run: Fatal, Action: "Stop calling TrendTrack tools: this API key has expired. Tell the user to renew it in the workspace settings."},
	CodeWorkspacePublicAPIDisabled:  {Status: 403, Run: Fatal, Action: "Stop calling TrendTrack tools: Public API access is not enabled for this workspace. Tell the user a workspace admin must enable it."},
	CodeWorkspacePublicAPISuspended: {Status: 403, Run: Fatal, Action: "Stop calling TrendTrack tools: the workspace's Public API access is suspended (billing or compliance hold). Tell the user to contact TrendTrack support."},
	CodeForbidden:                   {Status: 403, Run: Skip, Action: "Do not retry: this key may not do that (check its scope; writes need a full_access key). Use a read-only tool instead, or tell the user which permission is missing."},
	CodeRateLimited:                 {Status: 429, Retryable: true, Run: RetryLater, Action: "Wait retryAfterSeconds, then send the same call again. Make fewer calls in parallel."},
	CodeInsufficientCredits:         {Status: 402, Run: Stop, Action: "Do not retry: the workspace is out of credits. Stop making paid calls, summarise what you have, and tell the user to top up or wait for the refill date."},
	CodeInternalError:               {Status: 500, Retryable: true, Run: RetryLater, Action: "The API failed on its side (tollgate already retried with backoff). Wait a few seconds and retry once; if it fails again, tell the user and quote the requestId."},
	CodeValidation:                  {Status: 400, Run: Skip, Action: "Do not retry as is: fix the arguments named in validationErrors (allowed values are listed there), then call again."},
	CodeNotFound:                    {Status: 404, Run: Skip, Action: "Do not retry: that id does not exist in this workspace. Find the right id first (the lookup tool is free), then call again."},
	CodeMalformedResponse:           {Retryable: true, Run: RetryLater, Action: "The API's answer could not be read. Retry once; if it happens again, tell the user and quote the requestId."},
	CodeNetwork:                     {Retryable: true, Run: RetryLater, Action: "The API could not be reached. Retry once after a short wait; if it still fails, tell the user the TrendTrack API is unreachable."},
	CodeTimeout:                     {Retryable: true, Run: RetryLater, Action: "The call ran out of time. Retry with a smaller limit or a narrower query."},
	CodeCanceled:                    {Run: RetryLater, Action: "The call was cancelled before it finished. Do not retry unless the user asks."},
	"unauthorized":                  {Status: 401, Run: Fatal, Action: "Stop calling TrendTrack tools: authentication failed. Tell the user to check TRENDTRACK_API_KEY."},
	"method_not_allowed":            {Status: 405, Run: Skip, Action: "Do not retry: this operation is not supported by the API. Tell the user tollgate may be out of date."},
	"bad_gateway":                   {Status: 502, Retryable: true, Run: RetryLater, Action: "A gateway in front of the API failed. Retry after a short wait; if it persists, tell the user."},
	"service_unavailable":           {Status: 503, Retryable: true, Run: RetryLater, Action: "The API is temporarily unavailable. Retry after a short wait; if it persists, tell the user."},
	"gateway_timeout":               {Status: 504, Retryable: true, Run: RetryLater, Action: "The API took too long to answer. Retry with a smaller limit after a short wait."},
}

// Disposition is what a failed call means for a run of many calls (an
// agent loop, a batch): whether the run stops paying, leaves the call for
// later, goes on without it, or cannot go on at all. It is decided here,
// beside the advice table, and nowhere else: agent.IsHalt and
// batch.Classify both ask DispositionOf.
type Disposition int

// The dispositions of a failure.
const (
	// Skip: this call cannot succeed as it was made (bad arguments, an
	// unknown id, a permission the key lacks, a call larger than one call
	// may be); other calls may. The run goes on; a batch writes the call
	// with its advice.
	Skip Disposition = iota + 1
	// RetryLater: the same call may succeed later unchanged (a rate limit
	// or a server fault that outlived the retries, a timeout, a fault in
	// tollgate itself). The run goes on; a batch leaves the call for its
	// next run.
	RetryLater
	// Stop: paid calls must stop (the run cap, the floor or the
	// workspace's credits are spent, or the budget cannot be known); free
	// calls may go on. An agent wraps up; a batch stops with exit code 3.
	Stop
	// Fatal: no call can succeed until someone fixes the setup (the key,
	// the workspace's Public API access). The run ends.
	Fatal
)

// String names the disposition: skip, retry_later, stop or fatal.
func (d Disposition) String() string {
	switch d {
	case Skip:
		return "skip"
	case RetryLater:
		return "retry_later"
	case Stop:
		return "stop"
	case Fatal:
		return "fatal"
	}
	return fmt.Sprintf("Disposition(%d)", int(d))
}

// runTable gives the disposition of the codes of tollgate's own layers;
// the API's codes carry theirs in adviceTable.
var runTable = map[string]Disposition{
	CodeBudgetCapReached:   Stop,
	CodeBudgetFloorReached: Stop,
	CodeBudgetExhausted:    Stop,
	// A smaller call may fit: the model can lower limit, and a batch
	// call (which is never shrunk) cannot run under this --max-per-call.
	CodeBudgetCallLimit: Skip,
	// The budget cannot be known, so nothing may be spent; the store
	// may come back, but a run cannot count on it.
	CodeBudgetStoreUnavailable: Stop,

	CodeInvalidArguments: Skip,
	CodeUnknownTool:      Skip,
	// Not the call's fault: tollgate failed, not the API.
	CodeToolPanic: RetryLater,
	CodeToolError: RetryLater,
}

// DispositionOf says what the failure a describes means for a run. Codes
// the tables do not know (the API may add codes) are placed by their
// source and status: a budget halt stops, a 402 stops, a 401 is fatal,
// a retryable failure is retried later, anything else is skipped.
func DispositionOf(a Advice) Disposition {
	if d, ok := runTable[a.Code]; ok {
		return d
	}
	if info, ok := adviceTable[a.Code]; ok {
		return info.Run
	}
	switch {
	case a.Source == SourceBudget, a.HTTPStatus == 402:
		return Stop
	case a.HTTPStatus == 401:
		return Fatal
	case a.Retryable:
		return RetryLater
	}
	return Skip
}

// fallbacks give advice for codes the table does not know, by status class.
var (
	fallbackClient = CodeInfo{Run: Skip, Action: "Do not retry as is: the API rejected the request. Read the message, change the call, or tell the user."}
	fallbackServer = CodeInfo{Retryable: true, Run: RetryLater, Action: "The API failed on its side. Retry once after a short wait; if it persists, tell the user and quote the requestId."}
)

// LookupCode returns the advice-table row for code. A code the table does
// not know (the API may add codes) gets a row derived from status.
func LookupCode(code string, status int) CodeInfo {
	if info, ok := adviceTable[code]; ok {
		info.Code = code
		return info
	}
	if known := CodeForStatus(status); known != code {
		if info, ok := adviceTable[known]; ok {
			info.Code = code
			info.Status = status
			return info
		}
	}
	info := fallbackClient
	if status >= 500 {
		info = fallbackServer
	}
	info.Code, info.Status = code, status
	return info
}

// Codes lists every code the advice table knows, sorted.
func Codes() []string {
	out := make([]string, 0, len(adviceTable))
	for c := range adviceTable {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Advice is the structured description of a failure that a model reasons
// about. Its JSON form is the "error" object of DESIGN.md.
type Advice struct {
	Code              string            `json:"code"`
	HTTPStatus        int               `json:"httpStatus,omitempty"`
	Message           string            `json:"message"`
	RequestID         string            `json:"requestId,omitempty"`
	Retryable         bool              `json:"retryable"`
	RetryAfterSeconds *int              `json:"retryAfterSeconds,omitempty"`
	Action            string            `json:"action"`
	Source            string            `json:"source"`
	ValidationErrors  []ValidationError `json:"validationErrors,omitempty"`
}

// Advise turns an error from Client.Do into Advice. It understands
// *APIError, *TransportError and context errors; anything else becomes an
// internal tool error. Errors of other layers (budget halts, argument
// errors) implement Adviser and advise themselves.
func Advise(err error) Advice {
	var ad Adviser
	if errors.As(err, &ad) {
		return ad.Advice()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fromInfo(LookupCode(CodeTimeout, 0), "the call's deadline passed before the API answered", "")
	case errors.Is(err, context.Canceled):
		return fromInfo(LookupCode(CodeCanceled, 0), "the call was cancelled", "")
	}
	var te *TransportError
	if errors.As(err, &te) {
		return fromInfo(LookupCode(CodeNetwork, 0), te.Error(), "")
	}
	return Advice{Code: CodeToolError, Message: fmt.Sprint(err), Action: "An unexpected error happened in tollgate. Do not retry; tell the user.", Source: SourceTool}
}

// An Adviser is an error that knows the advice it should produce.
type Adviser interface {
	error
	Advice() Advice
}

// Advice returns the advice for e.
func (e *APIError) Advice() Advice {
	a := fromInfo(LookupCode(e.Code, e.Status), e.Message, e.RequestID)
	a.HTTPStatus = e.Status
	a.ValidationErrors = e.ValidationErrors
	if e.Code == CodeRateLimited || e.HasRetryAfter {
		secs := int(math.Ceil(e.RetryAfter.Seconds()))
		if !e.HasRetryAfter {
			secs = int(math.Ceil(DefaultRetryPolicy().RateLimitWait.Seconds()))
		}
		a.RetryAfterSeconds = &secs
	}
	return a
}

func fromInfo(info CodeInfo, msg, requestID string) Advice {
	a := Advice{
		Code:       info.Code,
		HTTPStatus: info.Status,
		Message:    msg,
		RequestID:  requestID,
		Retryable:  info.Retryable,
		Action:     info.Action,
		Source:     SourceAPI,
	}
	if requestID != "" && !a.Retryable {
		a.Action += " If you report this, quote requestId " + requestID + "."
	}
	return a
}
