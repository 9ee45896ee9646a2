package budget

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Halt codes: why the controller stopped a call before the API could
// refuse it. A real 402 is reported with runtime.CodeInsufficientCredits.
const (
	// CodeCapReached: the run cap (Config.MaxCredits) leaves too little.
	CodeCapReached = "budget_cap_reached"
	// CodeFloorReached: the workspace balance above the floor
	// (Config.Reserve) is too small.
	CodeFloorReached = "budget_floor_reached"
	// CodeExhausted: the workspace has no credits, or the API answered 402
	// and the refill date has not come yet.
	CodeExhausted = "budget_exhausted"
	// CodeCallLimit: the call needs more than one call may use
	// (Config.MaxPerCall).
	CodeCallLimit = "budget_call_limit"
)

// SourceBudget marks advice about a call the budget stopped, as opposed to
// one the API refused (runtime.SourceAPI).
const SourceBudget = "budget"

// Codes lists the halt codes of the budget, sorted.
func Codes() []string {
	return []string{CodeCallLimit, CodeCapReached, CodeExhausted, CodeFloorReached}
}

// HaltError is a call the budget will not let through, or a real 402 that
// marked the budget exhausted. It implements runtime.Adviser.
type HaltError struct {
	// Code is one of the budget codes (CodeCapReached, CodeFloorReached,
	// CodeExhausted, CodeCallLimit), or runtime.CodeInsufficientCredits
	// for a real 402.
	Code string
	// Source is SourceBudget, or runtime.SourceAPI for a real 402.
	Source string
	// Operation names the call (Ask.Operation: the tool name when the
	// call comes through tools).
	Operation string
	// Needed is the credits the smallest acceptable version of the call
	// needs (for a real 402: the credits reserved for it).
	Needed int64
	// Available is what the binding limit leaves (for a real 402: the
	// balance after a refresh, 0 when unknown).
	Available int64
	// Shortfall is Needed − Available for a real 402 when the balance is
	// known; 0 otherwise.
	Shortfall int64
	// Status is a snapshot of the budget at the halt.
	Status Status
	// Cause is the *runtime.APIError of a real 402, else nil.
	Cause error

	fixed, rows int64 // the ask, to suggest a smaller limit
}

// AsHalt is errors.As for *HaltError.
func AsHalt(err error) (*HaltError, bool) {
	var h *HaltError
	ok := errors.As(err, &h)
	return h, ok
}

// Error describes the halt in one line.
func (e *HaltError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "budget: %s halted (%s): %s", e.op(), e.Code, e.reason())
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

// Unwrap returns Cause.
func (e *HaltError) Unwrap() error { return e.Cause }

func (e *HaltError) op() string {
	if e.Operation == "" {
		return "call"
	}
	return e.Operation
}

// reason says in words what the numbers are.
func (e *HaltError) reason() string {
	s := e.Status
	switch e.Code {
	case CodeCapReached:
		return fmt.Sprintf("needs %s but this run's cap of %s leaves %d (%d spent, %d held by calls in flight)",
			credits(e.Needed), capText(s.RunCap), e.Available, s.RunSpent, s.InFlight)
	case CodeFloorReached:
		return fmt.Sprintf("needs %s but the workspace balance of %s, less the %d-credit floor and %d held by calls in flight, leaves %d",
			credits(e.Needed), balanceText(s.CreditsRemaining), s.Reserve, s.InFlight, e.Available)
	case CodeCallLimit:
		return fmt.Sprintf("needs %s but one call may use at most %d", credits(e.Needed), e.Available)
	case CodeExhausted:
		return fmt.Sprintf("needs %s but the workspace is out of credits (last known balance %s%s)",
			credits(e.Needed), balanceText(s.CreditsRemaining), refillText(s.RefillAt, "; refill "))
	case runtime.CodeInsufficientCredits:
		if s.CreditsRemaining == nil {
			return fmt.Sprintf("the API refused a call reserving %s: not enough credits%s",
				credits(e.Needed), refillText(s.RefillAt, "; refill "))
		}
		return fmt.Sprintf("the API refused a call reserving %s: the workspace has %d, short by %d%s",
			credits(e.Needed), e.Available, e.Shortfall, refillText(s.RefillAt, "; refill "))
	}
	return fmt.Sprintf("needs %s, %d available", credits(e.Needed), e.Available)
}

// Advice implements runtime.Adviser. It is never retryable, and its action
// is a sentence a model can follow.
func (e *HaltError) Advice() runtime.Advice {
	a := runtime.Advice{
		Code:      e.Code,
		Message:   e.Error(),
		Retryable: false,
		Action:    e.action(),
		Source:    e.Source,
	}
	if a.Source == "" {
		a.Source = SourceBudget
	}
	if apiErr, ok := runtime.AsAPIError(e.Cause); ok {
		a.Source = runtime.SourceAPI
		a.HTTPStatus = apiErr.Status
		a.RequestID = apiErr.RequestID
		a.Message = fmt.Sprintf("%s halted: %s", e.op(), e.reason())
	}
	return a
}

const stopPaid = "Stop making paid calls (free ones such as lookup still work), summarise what you have, and "

// action is what a model should do next.
func (e *HaltError) action() string {
	s := e.Status
	// A smaller call that would fit: say exactly how small.
	smaller := ""
	if e.rows > 0 && e.Available > e.fixed {
		smaller = fmt.Sprintf("Call again with limit %d or lower (at most %s available now), or ", e.Available-e.fixed, credits(e.Available))
	}
	switch e.Code {
	case CodeCapReached:
		if smaller != "" {
			return smaller + "stop and report what you have."
		}
		if s.InFlight > 0 && e.Available+s.InFlight >= e.Needed {
			return "Wait for the calls in progress to finish, then try once more; if it halts again, " +
				lowerFirst(stopPaid) + "tell the user this run's credit cap is reached."
		}
		return stopPaid + fmt.Sprintf("tell the user this run's cap of %s is reached (the operator can raise it, e.g. with tollgate's --max-credits).", creditsOf(s.RunCap, "unlimited credits"))
	case CodeFloorReached:
		if smaller != "" {
			return smaller + "stop and report what you have."
		}
		if s.InFlight > 0 && e.Available+s.InFlight >= e.Needed {
			return "Wait for the calls in progress to finish, then try once more; if it halts again, " +
				lowerFirst(stopPaid) + "tell the user the workspace is nearly out of credits."
		}
		if s.Reserve == 0 {
			return stopPaid + fmt.Sprintf("tell the user the workspace is down to %s.", creditsOf(s.CreditsRemaining, "an unknown number of credits"))
		}
		return stopPaid + fmt.Sprintf("tell the user the workspace is down to %s and tollgate keeps %d in reserve for other users.",
			creditsOf(s.CreditsRemaining, "an unknown number of credits"), s.Reserve)
	case CodeCallLimit:
		if smaller != "" {
			return fmt.Sprintf("Ask for fewer rows per call: use limit %d or lower and page through if you need more.", e.Available-e.fixed)
		}
		return fmt.Sprintf("This call needs %s but one call may use at most %d; do not make it. Use a narrower call, or tell the user the per-call limit is too low for it.", credits(e.Needed), e.Available)
	case CodeExhausted:
		return stopPaid + "tell the user the workspace is out of credits" + refillText(s.RefillAt, " until the refill on ") +
			": they can top up, or wait for the refill."
	case runtime.CodeInsufficientCredits:
		var b strings.Builder
		b.WriteString("Do not retry: the workspace ran out of credits (another client may be using them). ")
		b.WriteString(stopPaid)
		b.WriteString("tell the user ")
		if s.CreditsRemaining != nil {
			fmt.Fprintf(&b, "the balance is %s, %d short of this call", credits(e.Available), e.Shortfall)
		} else {
			b.WriteString("the workspace is out of credits")
		}
		b.WriteString(refillText(s.RefillAt, "; credits refill on "))
		b.WriteString("; they can top up to continue.")
		if apiErr, ok := runtime.AsAPIError(e.Cause); ok && apiErr.RequestID != "" {
			b.WriteString(" If you report this, quote requestId " + apiErr.RequestID + ".")
		}
		return b.String()
	}
	return stopPaid + "tell the user the credit budget is spent."
}

func credits(n int64) string {
	if n == 1 {
		return "1 credit"
	}
	return fmt.Sprintf("%d credits", n)
}

// creditsOf is credits(*n), or unknown when n is nil.
func creditsOf(n *int64, unknown string) string {
	if n == nil {
		return unknown
	}
	return credits(*n)
}

func capText(c *int64) string {
	if c == nil {
		return "unlimited"
	}
	return fmt.Sprint(*c)
}

func balanceText(b *int64) string {
	if b == nil {
		return "unknown"
	}
	return fmt.Sprint(*b)
}

func refillText(t *time.Time, prefix string) string {
	if t == nil {
		return ""
	}
	return prefix + t.UTC().Format(time.RFC3339)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
