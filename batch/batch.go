// Package batch runs many tool calls under a credit cap and writes their
// results to a JSONL file that survives being killed: tollgate's third
// face, `tollgate batch`, is a thin layer over it.
//
// A batch is either a list of [Job]s (one tool call each, usually read
// from JSONL by [ReadJobs]) run by [Run] with bounded concurrency, or a
// crawl ([Crawl]) that follows one list tool's pagination, page after
// page, to the end or to the cap (tollgate.New wires the toolbox). A
// batch too large to hold is a [Source], read again for each step of the
// run rather than held: [Input] reads a JSONL file a line at a time
// ([Input.Check] checks it as [ReadInput] does), and [RunSource] runs it
// keeping a few bytes a job (a 64-bit hash of each id, and where its line
// is, rather than the ids). Both go through [tools.Toolbox.Call],
// so every call is validated, reserved with the budget controller and
// retried by runtime exactly as it would be for an agent.
//
// # The output file
//
// The output is one JSON object per line, appended as results arrive (in
// completion order, not input order):
//
//	{"id": "a1", "tool": "search_ads", "ok": true, "result": {...}}
//	{"id": 7, "tool": "get_ad", "ok": false, "error": {...advice...}, "budget": {...}}
//
// id is the job's id exactly as the input gave it (a string or a number).
// result is the tool's structured result ([tools.Success] for API tools:
// data, pagination, nextPage, metering, budget). error is the advice object
// of DESIGN.md ([runtime.Advice]) and budget the budget's state at the
// failure. Lines of a crawl also carry "args", the arguments of that page.
//
// A line is written only for an id that is done, and an id is written at
// most once. What is done:
//
//   - a success;
//   - a failure that is final: the API refused the call for good (400
//     validation_error, 403 forbidden, 404 not_found, other 4xx), the
//     tool layer did (invalid_arguments, unknown_tool), or the budget
//     would never let it run as written (budget_call_limit: it asks for
//     more than --max-per-call). Sending the same call again would fail
//     the same way, so it is written with its advice and not retried.
//
// What is not done, so not written, and made again by the next run:
//
//   - a budget halt (the cap, the floor, an empty workspace, a real 402,
//     or a shared budget that cannot be read): the run stops scheduling
//     calls, and a later run (with a higher cap, after the refill or a
//     top-up, once Redis is back) makes the call;
//   - a retryable failure that outlived runtime's retries (429, 5xx,
//     network faults, timeouts): the run goes on with the other ids, and
//     stops after Options.MaxConsecutiveFailures of them in a row;
//   - a credential or workspace failure (401, Public API disabled or
//     suspended): the run stops, since every call would fail the same way;
//   - a call still waiting to be scheduled when the run stopped.
//
// [Classify] is that rule as a function.
//
// # Resuming, and being killed
//
// [OpenOutput] scans an existing output file, so a new run skips every id
// already in it. Each line is written with a single write call and the
// file is fsync'd after each group of lines that arrived together, so a
// run killed at any moment (even with SIGKILL) leaves whole lines plus,
// at worst, one torn last line without its newline. OpenOutput truncates
// that torn line, whose id is then not done. Running the same batch again
// until it completes therefore ends with every id exactly once, with no
// duplicates and no gaps. A call that was in flight when the process died
// is made (and charged) again. While a run has the file open it holds an
// exclusive lock on it, so two runs cannot interleave their lines.
//
// # Identical calls
//
// Jobs that make the same call (the same tool, and arguments that ask
// the API the same thing, whatever their order or whether defaults are
// written out: [tools.Toolbox.CallKey]) run once. The first such id
// makes the call; every other id gets its own line with the same result
// once the run's calls are over,
// "sameAs" naming the id that made it and metering saying cost 0 and
// shared. A resumed run writes such ids from the line already there,
// without a call. With the toolbox's cache, calls answered from it are
// free and are not held back by the budget.
//
// # Budget
//
// The budget controller never lets a call exceed the run cap or the floor,
// and never lets one end in a 402 that it could foresee. The batch adds
// one rule: it never lets the budget shrink a call. Where the MCP face
// lowers limit to what still fits, a batch call whose full worst case
// (its limit) does not fit is not made; when calls of the batch are in
// flight it waits for them to settle (most pages cost less than their
// limit) and checks again, and when nothing is in flight it stops. So
// each line holds the call as it was asked for, and a resumed run makes
// the rest in full.
//
// # Interruption
//
// Cancelling the context passed to Run or Crawl stops scheduling new
// calls; the calls in flight are not cancelled (they run with
// context.WithoutCancel), their results are written, and the summary says
// the run was interrupted.
package batch

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// A Job is one tool call of a batch.
type Job struct {
	// ID names the job in the output: a JSON string or number, kept
	// byte for byte as given.
	ID json.RawMessage
	// Tool is the tool's name, e.g. search_ads.
	Tool string
	// Args are the tool's arguments, as encoding/json decodes them
	// (ReadJobs keeps numbers as json.Number). Nil means none.
	Args map[string]any
	// Line is the input line the job came from (1-based), or 0 for a job
	// built in code; errors about the job cite it.
	Line int

	// rawArgs are the arguments as the input line wrote them, when a
	// reading left Args nil to decode only the jobs that need them
	// (withArgs).
	rawArgs json.RawMessage
}

// Record is one line of the output file.
type Record struct {
	ID   json.RawMessage `json:"id"`
	Tool string          `json:"tool"`
	// Args are the arguments of a crawl's page; empty for jobs, whose
	// arguments are in the input.
	Args map[string]any `json:"args,omitempty"`
	OK   bool           `json:"ok"`
	// Result is the tool's structured result when OK.
	Result json.RawMessage `json:"result,omitempty"`
	// Error is the advice of a final failure when not OK.
	Error *runtime.Advice `json:"error,omitempty"`
	// Budget is the budget's state at the failure.
	Budget *budget.Status `json:"budget,omitempty"`
	// SameAs is the id of the identical call of the batch whose answer
	// this is: the call was made once, for that id (see dedupe.go).
	SameAs json.RawMessage `json:"sameAs,omitempty"`
}

// Defaults of Options.
const (
	DefaultConcurrency            = 4
	DefaultMaxConsecutiveFailures = 5
)

// Options configure Run and Crawl. The zero value is usable.
type Options struct {
	// Concurrency is how many calls Run keeps in flight; 0 means
	// DefaultConcurrency. A crawl makes one call at a time.
	Concurrency int
	// Progress, when set, is called with the batch's progress at the
	// start, after each result and at the end, always from the same
	// goroutine. It must return quickly.
	Progress func(Progress)
	// MaxConsecutiveFailures stops the run after that many retryable
	// failures in a row (the API seems down); 0 means
	// DefaultMaxConsecutiveFailures, a negative value never stops.
	MaxConsecutiveFailures int
	// MaxPages bounds the pages of a crawl, counting the pages done by
	// earlier runs; 0 means no bound.
	MaxPages int
	// Logger receives a Warn line for each id left after a retryable
	// failure and Info lines for halts; nil discards them.
	Logger *slog.Logger
	// Now tells the time for Progress and Summary; nil means time.Now.
	Now func() time.Time
}

// Progress is a snapshot of a running batch.
type Progress struct {
	// Total is the ids of the batch: the jobs, or a crawl's pages as
	// estimated from its pagination (0 while unknown).
	Total int
	// Done is the ids done, earlier runs included.
	Done int
	// Skipped is the ids that were already done when the run started.
	Skipped int
	// Failed is the ids done in this run with a final failure.
	Failed int
	// Retry is the ids left in this run after a retryable failure.
	Retry int
	// InFlight is the calls in progress.
	InFlight int
	// Spent is the credits the API charged this run's calls (from their
	// metering). With a budget shared through a store, the group's spend
	// is in the budget's status.
	Spent int64
	// Cap is the run cap, nil when there is none (or no budget).
	Cap *int64
	// Elapsed is the time since the run started.
	Elapsed time.Duration
}

// Rate is the ids done per second in this run.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done-p.Skipped) / p.Elapsed.Seconds()
}

// ETA estimates the time left at the current rate; ok is false while
// there is no rate or no total to go by.
func (p Progress) ETA() (d time.Duration, ok bool) {
	r := p.Rate()
	if r <= 0 || p.Total <= 0 {
		return 0, false
	}
	left := p.Total - p.Done
	if left <= 0 {
		return 0, true
	}
	return time.Duration(float64(left) / r * float64(time.Second)), true
}

// Summary is what a run did.
type Summary struct {
	// Total is the ids of the batch (a crawl: pages done, plus the
	// estimate of pages left).
	Total int
	// Done is the ids done in this run: written, ok or failed for good.
	Done int
	// Failed is the ids of Done that failed for good (written with their
	// advice).
	Failed int
	// Skipped is the ids that were already done when the run started.
	Skipped int
	// Deduplicated is the ids of Done written from the answer of an
	// identical call of the batch, without a call of their own.
	Deduplicated int
	// Left is the ids not done (a crawl: the estimated pages left, at
	// least 1 when it stopped early).
	Left int
	// Retry is the ids of Left that ended in a retryable failure.
	Retry int
	// LeftIDs are the ids not done, in input order (a crawl: the next
	// page's id).
	LeftIDs []json.RawMessage
	// Spent is the credits the API charged this run's calls (from their
	// metering); Budget.RunSpent is the whole budget's, which a shared
	// budget counts for every process using it.
	Spent int64
	// Halt is the budget halt that stopped the run, if one did: its
	// advice and the budget's state then.
	Halt *tools.Failure
	// Fatal is the failure that stopped the run otherwise: bad
	// credentials or a disabled workspace, or the last of
	// MaxConsecutiveFailures retryable failures in a row.
	Fatal *tools.Failure
	// Interrupted reports that the context was cancelled before every
	// id was done.
	Interrupted bool
	// Complete reports that every id is done.
	Complete bool
	// Budget is the budget's state at the end; nil without a budget, or
	// when it could not be read.
	Budget *budget.Status
	// Elapsed is how long the run took.
	Elapsed time.Duration
}

// Outcome is what a result means for the batch.
type Outcome int

// Outcomes of a call, in the words of the package comment.
const (
	// OutcomeOK: a success; done.
	OutcomeOK Outcome = iota
	// OutcomeFailed: a final failure; done, written with its advice.
	OutcomeFailed
	// OutcomeRetry: a retryable failure; not done, the run goes on.
	OutcomeRetry
	// OutcomeHalt: a budget halt or a real 402; not done, the run stops.
	OutcomeHalt
	// OutcomeFatal: credentials or workspace refused; not done, the run
	// stops.
	OutcomeFatal
)

func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeFailed:
		return "failed"
	case OutcomeRetry:
		return "retry"
	case OutcomeHalt:
		return "halt"
	case OutcomeFatal:
		return "fatal"
	}
	return "Outcome(?)"
}

// Done reports whether the outcome makes an id done.
func (o Outcome) Done() bool { return o == OutcomeOK || o == OutcomeFailed }

// Classify says what a tool result means for a batch (see the package
// comment): runtime.DispositionOf decides, and a batch maps Stop to a
// halt, Fatal to a stop of the run, RetryLater to an id left for the next
// run, and Skip to a final failure written with its advice.
func Classify(r *tools.Result) Outcome {
	if r == nil {
		return OutcomeRetry
	}
	if !r.IsError {
		return OutcomeOK
	}
	a := r.Advice
	if a == nil {
		if f, ok := r.Structured.(*tools.Failure); ok {
			a = &f.Error
		} else {
			return OutcomeRetry
		}
	}
	switch runtime.DispositionOf(*a) {
	case runtime.Stop:
		return OutcomeHalt
	case runtime.Fatal:
		return OutcomeFatal
	case runtime.Skip:
		return OutcomeFailed
	}
	return OutcomeRetry
}

// record builds the output line of a result that is done.
func record(id json.RawMessage, tool string, args map[string]any, r *tools.Result) *Record {
	rec := &Record{ID: id, Tool: tool, Args: args, OK: !r.IsError}
	if !r.IsError {
		rec.Result = r.JSON()
		return rec
	}
	if f, ok := r.Structured.(*tools.Failure); ok {
		rec.Error, rec.Budget = &f.Error, f.Budget
		return rec
	}
	rec.Error = r.Advice
	return rec
}

// failureOf returns the failure of a result, building one from its
// advice when the result is not a *tools.Failure.
func failureOf(r *tools.Result) *tools.Failure {
	if f, ok := r.Structured.(*tools.Failure); ok {
		return f
	}
	f := &tools.Failure{}
	if r.Advice != nil {
		f.Error = *r.Advice
	}
	return f
}
