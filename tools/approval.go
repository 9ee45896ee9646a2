package tools

import (
	"context"
	"fmt"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Spend approval. A face can require the user's yes before a call spends
// more than a threshold (tollgate serve --confirm-above N): it puts an
// Approval in the call's context. Toolbox.Call then reserves the call's
// worst case as usual and, when that exceeds the threshold, asks the
// Approval's Approver before calling the API; any answer but yes releases
// the reservation and ends the call with a spend_declined failure. When
// nobody can be asked (the Approver is nil: the host cannot ask its
// user), the call is instead fitted to the threshold (limit lowered, with
// a note saying why), so that nothing above it is ever spent without a
// yes.

// CodeSpendDeclined is the budget code of a call the user did not
// approve (source "budget": tollgate stopped it before the API was called).
const CodeSpendDeclined = "spend_declined"

// An Approver asks the user whether a call may spend what it reserved.
type Approver interface {
	// Approve returns nil for a yes, a *SpendDeclinedError (see
	// SpendQuestion.Decline) for a no, or the error that ended the
	// question, such as the call's context being done. It runs with the
	// call's credits reserved and before the API is called.
	Approve(ctx context.Context, q SpendQuestion) error
}

// ApproverFunc adapts a function to an Approver.
type ApproverFunc func(ctx context.Context, q SpendQuestion) error

// Approve implements Approver.
func (f ApproverFunc) Approve(ctx context.Context, q SpendQuestion) error { return f(ctx, q) }

// Approval is the spend-approval rule of a call's context.
type Approval struct {
	// Above is the most a call may spend without a yes; it must be 1 or
	// more (a per-item call costs 1).
	Above int64
	// Approver asks the user; nil means nobody can be asked, and calls
	// are fitted to Above instead.
	Approver Approver
}

type approvalKey struct{}

// WithApproval returns a context whose paid calls follow a.
func WithApproval(ctx context.Context, a Approval) context.Context {
	return context.WithValue(ctx, approvalKey{}, a)
}

func approvalFrom(ctx context.Context) (Approval, bool) {
	a, ok := ctx.Value(approvalKey{}).(Approval)
	return a, ok && a.Above > 0
}

// SpendQuestion is what an Approver is asked.
type SpendQuestion struct {
	Tool string
	// Arguments are the call's arguments as they will be sent.
	Arguments map[string]any
	// Credits is the most the call may spend: what it reserved.
	Credits int64
	// Above is the threshold the call exceeds.
	Above int64
	// SmallerLimit is the largest limit that would need no question (0
	// when the call takes no limit).
	SmallerLimit int64
	// Budget is the budget with the call's credits reserved; nil without
	// a controller.
	Budget *budget.Status
}

// DeclineReason says why a spend was not approved.
type DeclineReason string

// Reasons of a SpendDeclinedError.
const (
	// DeclinedByUser: the user said no.
	DeclinedByUser DeclineReason = "declined"
	// DeclinedDismissed: the user closed the question without choosing.
	DeclinedDismissed DeclineReason = "dismissed"
	// DeclinedNoAnswer: no answer came in time, or none could come (the
	// host went away, the question failed).
	DeclinedNoAnswer DeclineReason = "no_answer"
	// DeclinedCannotAsk: the host cannot ask its user, and the call could
	// not be made small enough to need no question.
	DeclinedCannotAsk DeclineReason = "cannot_ask"
)

// Decline returns the failure of q not approved for reason; detail, when
// set, says more (the timeout, the error of the question).
func (q SpendQuestion) Decline(reason DeclineReason, detail string) *SpendDeclinedError {
	return &SpendDeclinedError{Tool: q.Tool, Credits: q.Credits, Above: q.Above,
		SmallerLimit: q.SmallerLimit, Reason: reason, Detail: detail}
}

// SpendDeclinedError is a call that was not run because the spend it
// needed was not approved. It implements runtime.Adviser.
type SpendDeclinedError struct {
	Tool         string
	Credits      int64 // what the call would have spent at most
	Above        int64 // the approval threshold
	SmallerLimit int64 // the largest limit that needs no question, or 0
	Reason       DeclineReason
	Detail       string
}

func (e *SpendDeclinedError) Error() string {
	spend := fmt.Sprintf("up to %d credits", e.Credits)
	var why string
	switch e.Reason {
	case DeclinedByUser:
		why = "the user declined spending " + spend + " on it"
	case DeclinedDismissed:
		why = "the user closed the question about spending " + spend + " without approving it"
	case DeclinedNoAnswer:
		why = "no answer came to the question about spending " + spend
	case DeclinedCannotAsk:
		why = fmt.Sprintf("it would spend %s and this host cannot ask the user to approve that", spend)
	default:
		why = "spending " + spend + " was not approved"
	}
	if e.Detail != "" {
		why += " (" + e.Detail + ")"
	}
	return fmt.Sprintf("%s was not run: %s; calls above %d credits need the user's approval", e.Tool, why, e.Above)
}

// Advice implements runtime.Adviser.
func (e *SpendDeclinedError) Advice() runtime.Advice {
	smaller := ""
	if e.SmallerLimit > 0 {
		smaller = fmt.Sprintf("ask for fewer rows (limit %d or lower runs without a question)", e.SmallerLimit)
	}
	var action string
	switch e.Reason {
	case DeclinedByUser:
		action = "Do not repeat this call: the user said no. Continue with what you have"
		if smaller != "" {
			action += ", " + smaller
		}
		action += ", or ask the user how to proceed."
	case DeclinedCannotAsk:
		action = "Do not repeat this call as is: "
		if smaller != "" {
			action += smaller + ", or "
		}
		action += "tell the user the operator's approval threshold (tollgate --confirm-above) is too low for it."
	default:
		action = fmt.Sprintf("Do not repeat this call unasked: ask the user in the conversation whether to spend up to %d credits on it", e.Credits)
		if smaller != "" {
			action += "; or " + smaller
		}
		action += "."
	}
	return runtime.Advice{Code: CodeSpendDeclined, Message: e.Error(), Action: action, Source: budget.SourceBudget}
}

// fitToApproval applies the context's approval rule before a call is
// reserved: when nobody can be asked and the call may spend more than the
// threshold, its limit in sent is lowered to fit (page-aligned, as the
// budget fits a call) and a note says why; a call that cannot be made
// that small is declined.
func fitToApproval(ctx context.Context, t *Tool, sent map[string]any) ([]string, error) {
	a, ok := approvalFrom(ctx)
	ask := t.Ask(sent)
	if !ok || a.Approver != nil || ask.Worst() <= a.Above {
		return nil, nil
	}
	q := SpendQuestion{Tool: t.Name, Arguments: sent, Credits: ask.Worst(), Above: a.Above, SmallerLimit: smallerLimit(ask, a.Above)}
	noFit, _ := ctx.Value(exactKey{}).(bool)
	if noFit || q.SmallerLimit == 0 {
		return nil, q.Decline(DeclinedCannotAsk, "")
	}
	k := q.SmallerLimit
	if t.Paging == PagingPage {
		var page int64
		page, k = alignedPage((pageOf(sent)-1)*ask.Rows, k)
		sent["page"] = page
	}
	sent["limit"] = k
	return []string{fmt.Sprintf("limit lowered from %d to %d: a call above %d credits needs the user's approval (tollgate --confirm-above) and this host cannot ask for it. Page with nextPage, or ask the user in the conversation before a larger call.",
		ask.Rows, k, a.Above)}, nil
}

// approve asks the context's Approver about a reserved call that may
// spend more than the threshold; r is its reservation (nil without a
// controller).
func (b *Toolbox) approve(ctx context.Context, t *Tool, sent map[string]any, r *budget.Reservation) error {
	a, ok := approvalFrom(ctx)
	if !ok || a.Approver == nil {
		return nil
	}
	ask := t.Ask(sent)
	credits := ask.Worst()
	if r != nil {
		credits = r.Credits
	}
	if credits <= a.Above {
		return nil
	}
	q := SpendQuestion{Tool: t.Name, Arguments: cloneArgs(sent), Credits: credits, Above: a.Above, SmallerLimit: smallerLimit(ask, a.Above)}
	if b.budget != nil {
		st := b.budget.Status()
		q.Budget = &st
	}
	err := a.Approver.Approve(ctx, q)
	b.log.Debug("spend approval", "tool", t.Name, "credits", credits, "approved", err == nil)
	return err
}

// smallerLimit is the largest limit of ask that fits above, or 0.
func smallerLimit(ask budget.Ask, above int64) int64 {
	if ask.Rows == 0 || above-ask.Fixed < 1 {
		return 0
	}
	return min(ask.Rows, above-ask.Fixed)
}
