package tools

import (
	"context"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Charge is what one call of an API operation reserved and was charged,
// for faces that account for calls (the gateway's audit ledger and
// metrics). It never holds the API key.
type Charge struct {
	// Operation is the API's operationId.
	Operation string
	// Reserved is the credits the budget held before the call: its worst
	// case once fitted; 0 when it halted or there is no budget.
	Reserved int64
	// Charged is the credits the call cost: X-Usage-Cost (or
	// X-Credits-Used) of the final response, or, for a success that
	// carried neither, its worst case (what the budget charges).
	Charged int64
	// RequestID is the API's request id, when a response came back.
	RequestID string
	// Status is the HTTP status of the final response; 0 when no
	// response came back (a budget halt, a transport fault).
	Status int
	// Outcome is "ok" for a success, else the advice code of the
	// failure (rate_limited, budget_cap_reached, ...).
	Outcome string
	// Source is "" for a success, else the advice source ("api",
	// "budget", "tool").
	Source string
	// Cached reports an answer served from tollgate's cache, and Shared
	// one shared with an identical call made at the same time: this call
	// reserved and was charged nothing (RequestID is the answer's own).
	Cached, Shared bool
}

// OutcomeOK is Charge.Outcome of a successful call.
const OutcomeOK = "ok"

// An AccountFunc is told of every call of an API operation once it has
// ended (settled or halted) and before Toolbox.Call returns, so that a
// record it writes precedes the answer the caller sees. r.Charge is set.
// It must not keep r or args.
type AccountFunc func(ctx context.Context, t *Tool, args map[string]any, r *Result)

// settle fills c from the final response or error of a call.
func (c *Charge) settle(resp *runtime.Response, err error) {
	if err == nil && resp != nil {
		c.Status, c.RequestID, c.Outcome = resp.Status, resp.RequestID, OutcomeOK
		if cost := resp.Metering.Cost(); cost.Present {
			c.Charged = cost.Value
		} else {
			c.Charged = c.Reserved
		}
		return
	}
	if apiErr, ok := runtime.AsAPIError(err); ok {
		c.Status, c.RequestID = apiErr.Status, apiErr.RequestID
		if cost := apiErr.Metering.Cost(); cost.Present {
			c.Charged = cost.Value
		}
	}
}
