package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	rtdebug "runtime/debug"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Run makes the calls of jobs that out does not hold yet, at most
// opts.Concurrency at a time, and appends each result that is done to
// out as it arrives (see the package comment for what is done, and for
// the budget and interruption rules). out is synced after each group of
// results and before Run returns.
//
// Run checks jobs first (CheckJobs: unique ids, tools the toolbox offers)
// and returns the *InputError before any call. Otherwise it returns an
// error only when out cannot be written; halts, failures and
// interruptions are reported in the Summary.
func Run(ctx context.Context, box *tools.Toolbox, jobs []Job, out *Output, opts Options) (Summary, error) {
	if box == nil || out == nil {
		return Summary{}, errors.New("batch: Run needs a toolbox and an output")
	}
	if err := CheckJobs(box.Catalogue(), jobs); err != nil {
		return Summary{}, err
	}
	r := newRunner(ctx, box, out, opts)
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	r.total = len(jobs)
	queue, dd, fromDone, skipped := plan(box, jobs, out) // identical calls run once (dedupe.go)
	r.skipped = skipped
	for _, s := range fromDone {
		if err := r.writeSame(s.job, s.leader); err != nil && r.writeErr == nil {
			r.writeErr = err
		}
	}
	r.progress()

	type result struct {
		job       Job
		worst     int64
		settledAt int
		res       *tools.Result
	}
	results := make(chan result, conc)
	ctxDone := ctx.Done()
	for {
		for !r.stopping() && ctx.Err() == nil && r.inflight < conc && len(queue) > 0 {
			j := queue[0]
			worst, v := r.check(j.Tool, j.Args)
			if v == verdictWait {
				r.log.Debug("batch: waiting for calls in flight to settle before the next", "id", string(j.ID), "worstCase", worst, "inFlightWorstCase", r.pending)
				break
			}
			queue = queue[1:]
			r.inflight++
			r.pending += worst
			go func(j Job, worst int64, settledAt int) {
				results <- result{j, worst, settledAt, r.call(ctx, j.Tool, j.Args)}
			}(j, worst, r.settled)
		}
		if r.inflight == 0 {
			break
		}
		select {
		case res := <-results:
			r.inflight--
			r.pending -= res.worst
			if res.worst > 0 && Classify(res.res) != OutcomeHalt {
				r.settled++ // a halted call held nothing, so freed nothing
			}
			if r.handle(res.job.ID, res.job.Tool, nil, res.res, res.settledAt) {
				queue = append([]Job{res.job}, queue...)
			}
			if out.Done(res.job.ID) {
				for _, f := range dd.take(res.job.ID) {
					if err := r.writeSame(f, res.job.ID); err != nil && r.writeErr == nil {
						r.writeErr = err
					}
				}
			}
			if len(results) == 0 {
				r.sync()
			}
			r.progress()
		case <-ctxDone:
			ctxDone = nil
		}
	}
	r.sync()
	s := r.summary()
	for _, j := range jobs {
		if !out.Done(j.ID) {
			s.LeftIDs = append(s.LeftIDs, j.ID)
		}
	}
	s.Left = len(s.LeftIDs)
	s.Complete = s.Left == 0
	s.Interrupted = !s.Complete && ctx.Err() != nil
	r.progress()
	return s, r.writeErr
}

// runner is the state Run and Crawl share. Only the goroutine of Run or
// Crawl touches it; calls run on their own goroutines and only return
// results.
type runner struct {
	box  *tools.Toolbox
	ctrl *budget.Controller
	out  *Output
	opts Options
	log  *slog.Logger
	now  func() time.Time

	start time.Time
	costs int64          // charged, from results' metering
	last  *budget.Status // the budget as the latest result showed it

	total, skipped, done, failed, retry int
	deduped                             int // ids written from an identical call's line
	inflight                            int
	pending                             int64 // worst case of our metered calls in flight
	settled                             int   // our metered calls finished so far
	consecutive                         int   // retryable failures in a row

	halt, fatal *tools.Failure
	writeErr    error
	endCtx      context.Context // reads the budget at the end, even after an interruption
}

func newRunner(ctx context.Context, box *tools.Toolbox, out *Output, opts Options) *runner {
	r := &runner{box: box, ctrl: box.Budget(), out: out, opts: opts, log: opts.Logger, now: opts.Now, endCtx: context.WithoutCancel(ctx)}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.opts.MaxConsecutiveFailures == 0 {
		r.opts.MaxConsecutiveFailures = DefaultMaxConsecutiveFailures
	}
	r.start = r.now()
	if r.ctrl != nil {
		if st, err := r.ctrl.Status(ctx); err == nil {
			r.last = &st
		}
	}
	return r
}

// stopping reports that no new call may start.
func (r *runner) stopping() bool { return r.halt != nil || r.fatal != nil || r.writeErr != nil }

// call makes one tool call. The caller's cancellation does not reach it:
// a call once started finishes, so its result can be written.
func (r *runner) call(ctx context.Context, tool string, args map[string]any) (res *tools.Result) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("batch: a tool call panicked; its id is left for the next run", "tool", tool, "panic", p, "stack", string(rtdebug.Stack()))
			a := runtime.Advice{Code: tools.CodeToolPanic, Message: fmt.Sprintf("tollgate panicked during the call: %v", p),
				Action: "This is a bug in tollgate; report it with the log above.", Source: tools.SourceTool}
			res = &tools.Result{IsError: true, Structured: &tools.Failure{Error: a}, Advice: &a}
		}
	}()
	return r.box.Call(tools.Exact(context.WithoutCancel(ctx)), tool, args)
}

// verdict is what check decides about the next call.
type verdict int

const (
	verdictGo   verdict = iota // make the call
	verdictWait                // wait for calls in flight to settle, then check again
)

// check decides whether a call may start now: its worst case must fit
// the budget (as the latest result showed it) even if every call of ours
// already in flight were charged its worst case; else it waits for them.
// The call's own reservation has the last word: a call the budget halts
// comes back as a halt, which handle acts on. check reads nothing, so a
// batch call costs the store no more than its reservation and
// settlement.
func (r *runner) check(tool string, args map[string]any) (int64, verdict) {
	if r.ctrl == nil {
		return 0, verdictGo
	}
	t, ok := r.box.Catalogue().Lookup(tool)
	if !ok || t.Operation == "" {
		return 0, verdictGo
	}
	if _, cached := r.box.Cached(context.Background(), tool, args); cached {
		return 0, verdictGo // answered from the cache, for free
	}
	worst := t.Ask(args).Worst()
	if worst <= 0 || t.MaxLimit > 0 && t.Ask(args).Rows > t.MaxLimit {
		return 0, verdictGo // free, or a limit the call itself refuses (for free)
	}
	if r.pending > 0 && r.last != nil && worst+r.pending > poolLeft(*r.last) {
		return worst, verdictWait
	}
	return worst, verdictGo
}

// waitable reports halts that calls in flight may lift by settling for
// less than they hold.
func waitable(code string) bool {
	return code == budget.CodeCapReached || code == budget.CodeFloorReached
}

// poolLeft is what the run cap and the balance above the floor leave,
// the per-call limit aside.
func poolLeft(st budget.Status) int64 {
	left := budget.NoLimit
	if st.RunCap != nil {
		left = min(left, *st.RunCap-st.RunSpent-st.InFlight)
	}
	if st.CreditsRemaining != nil {
		left = min(left, *st.CreditsRemaining-st.Reserve-st.InFlight)
	}
	return left
}

// handle records one result. It reports whether the call should be made
// again (a budget halt that calls in flight may lift).
func (r *runner) handle(id json.RawMessage, tool string, args map[string]any, res *tools.Result, settledAt int) (again bool) {
	r.see(res)
	switch o := Classify(res); o {
	case OutcomeOK, OutcomeFailed:
		if err := r.out.Write(record(id, tool, args, res)); err != nil {
			r.writeErr = err
			return false
		}
		r.done++
		r.consecutive = 0
		if o == OutcomeFailed {
			r.failed++
		}
	case OutcomeRetry:
		f := failureOf(res)
		r.retry++
		r.consecutive++
		r.log.Warn("batch: call failed after retries; its id is left for the next run",
			"id", string(id), "tool", tool, "code", f.Error.Code, "message", f.Error.Message)
		if limit := r.opts.MaxConsecutiveFailures; limit > 0 && r.consecutive >= limit && r.fatal == nil {
			r.fatal = f
			r.log.Warn("batch: stopping: calls keep failing", "inARow", r.consecutive)
		}
	case OutcomeHalt:
		f := failureOf(res)
		if r.halt == nil && waitable(f.Error.Code) && (r.pending > 0 || r.settled > settledAt) {
			return true
		}
		if r.halt == nil {
			r.halt = f
			r.log.Info("batch: the budget stops the run", "id", string(id), "code", f.Error.Code, "reason", f.Error.Message)
		}
	case OutcomeFatal:
		if r.fatal == nil {
			r.fatal = failureOf(res)
		}
	}
	return false
}

func (r *runner) sync() {
	if err := r.out.Sync(); err != nil && r.writeErr == nil {
		r.writeErr = err
	}
}

// see notes what a result shows: what the call cost, and the budget.
func (r *runner) see(res *tools.Result) {
	if res == nil {
		return
	}
	switch x := res.Structured.(type) {
	case *tools.Success:
		if x.Metering != nil && x.Metering.Cost != nil {
			r.costs += *x.Metering.Cost
		}
		if x.Budget != nil {
			r.last = x.Budget
		}
	case *tools.Failure:
		if x.Budget != nil {
			r.last = x.Budget
		}
	}
}

func (r *runner) spent() int64 { return r.costs }

func (r *runner) snapshot() Progress {
	p := Progress{
		Total: r.total, Done: r.skipped + r.done, Skipped: r.skipped, Failed: r.failed, Retry: r.retry,
		InFlight: r.inflight, Spent: r.spent(), Elapsed: r.now().Sub(r.start),
	}
	if r.ctrl != nil {
		if c := r.ctrl.Config().MaxCredits; c >= 0 {
			p.Cap = &c
		}
	}
	return p
}

func (r *runner) progress() {
	if r.opts.Progress != nil {
		r.opts.Progress(r.snapshot())
	}
}

// summary fills what the runner knows; the caller adds Left, LeftIDs,
// Complete and Interrupted.
func (r *runner) summary() Summary {
	s := Summary{
		Total: r.total, Done: r.done, Failed: r.failed, Skipped: r.skipped, Retry: r.retry,
		Spent: r.spent(), Halt: r.halt, Fatal: r.fatal, Elapsed: r.now().Sub(r.start), Deduplicated: r.deduped,
	}
	if r.ctrl != nil {
		if st, err := r.ctrl.Status(r.endCtx); err == nil {
			s.Budget = &st
		} else {
			r.log.Info("batch: cannot read the budget at the end", "err", err)
		}
	}
	return s
}
