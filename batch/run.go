package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math/bits"
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
// interruptions are reported in the Summary. RunSource is Run over jobs
// read from a Source, a file for instance, without holding them.
func Run(ctx context.Context, box *tools.Toolbox, jobs []Job, out *Output, opts Options) (Summary, error) {
	return RunSource(ctx, box, Jobs(jobs), out, opts)
}

// RunSource is Run over the jobs of src, which it reads several times (to
// check and plan the batch, to make the calls, to list the ids left)
// rather than holding them: what it keeps is a few bytes a job (ids.go,
// dedupe.go), so that a batch's memory does not grow with its input. src
// must read the same each time; a source that changes during the run
// stops it with an error.
func RunSource(ctx context.Context, box *tools.Toolbox, src Source, out *Output, opts Options) (Summary, error) {
	if box == nil || out == nil || src == nil {
		return Summary{}, errors.New("batch: Run needs a toolbox, jobs and an output")
	}
	n, err := checkSource(src, false, toolChecker(box.Catalogue()), false)
	if err != nil {
		return Summary{}, err
	}
	p, err := plan(box, src, out, n) // identical calls run once (dedupe.go)
	if err != nil {
		return Summary{}, err
	}
	r := newRunner(ctx, box, out, opts)
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	r.total, r.skipped = p.n, p.skipped
	r.doneBits = make([]uint64, (p.n+63)/64)
	out.reserve(p.n - p.skipped)
	for o, role := range p.role {
		if role == roleDone {
			r.doneAt(int32(o))
		}
	}
	if p.hasFollowers() {
		if err := r.writeFollowers(src, p, roleFromDone); err != nil {
			r.writeErr = err
		}
	}
	r.progress()

	// The calls are read from src as they are scheduled; a call held
	// back (a halt that the calls in flight may lift) is made again first.
	next, stop := iter.Pull2(idsAndTools(src)) // arguments decoded for the calls alone
	defer stop()
	var ahead []queued // read but not started, the first next
	ord := int32(-1)
	var readErr error
	peek := func() (queued, bool) {
		for len(ahead) == 0 {
			j, err, ok := next()
			if !ok {
				return queued{}, false
			}
			if err == nil {
				ord++
				err = p.same(ord, j)
			}
			if err != nil {
				readErr = err
				return queued{}, false
			}
			if p.role[ord] == roleCall {
				if err := j.withArgs(); err != nil {
					readErr = fmt.Errorf("batch: job %s: %w", j.ID, err)
					return queued{}, false
				}
				ahead = append(ahead, queued{j, ord})
			}
		}
		return ahead[0], true
	}

	type result struct {
		job       queued
		worst     int64
		settledAt int
		res       *tools.Result
	}
	results := make(chan result, conc)
	ctxDone := ctx.Done()
	for {
		for !r.stopping() && readErr == nil && ctx.Err() == nil && r.inflight < conc {
			q, ok := peek()
			if !ok {
				break
			}
			worst, v := r.check(q.job.Tool, q.job.Args)
			if v == verdictWait {
				r.log.Debug("batch: waiting for calls in flight to settle before the next", "id", string(q.job.ID), "worstCase", worst, "inFlightWorstCase", r.pending)
				break
			}
			ahead = ahead[1:]
			r.inflight++
			r.pending += worst
			go func(q queued, worst int64, settledAt int) {
				results <- result{q, worst, settledAt, r.call(ctx, q.job.Tool, q.job.Args)}
			}(q, worst, r.settled)
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
			again, wrote := r.handle(res.job.job.ID, res.job.job.Tool, nil, res.res, res.settledAt)
			if again {
				ahead = append([]queued{res.job}, ahead...)
			}
			if wrote {
				r.doneAt(res.job.ord)
			}
			if len(results) == 0 {
				r.sync()
			}
			r.progress()
		case <-ctxDone:
			ctxDone = nil
		}
	}
	stop()
	if readErr != nil && r.writeErr == nil {
		r.writeErr = readErr
	}
	// The followers of the calls that are done get their lines now, an
	// interrupted or halted run's too.
	if p.hasFollowers() && r.writeErr == nil {
		if err := r.writeFollowers(src, p, roleFollower); err != nil {
			r.writeErr = err
		}
		r.progress()
	}
	r.sync()
	s := r.summary()
	if r.left() > 0 {
		o := int32(-1)
		for j, err := range idsAndTools(src) {
			if err != nil {
				break
			}
			if o++; !r.isDone(o) {
				s.LeftIDs = append(s.LeftIDs, j.ID)
			}
		}
	}
	s.Left = r.left()
	s.Complete = s.Left == 0
	s.Interrupted = !s.Complete && ctx.Err() != nil
	r.progress()
	return s, r.writeErr
}

// queued is a job of a run and its place in the source.
type queued struct {
	job Job
	ord int32
}

// same checks that the ord-th job of a reading is the job planned there.
func (p *planned) same(ord int32, j Job) error {
	key, err := idKey(j.ID)
	if int(ord) >= p.n || err != nil || uint32(idHash(key)) != p.idCheck[ord] {
		return errors.New("batch: the input changed while the batch ran (keep it as it is until the run ends, then run the same command again)")
	}
	return nil
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

	// doneBits marks the jobs of a RunSource that are done, by ordinal.
	doneBits []uint64
}

// doneAt marks the ord-th job done.
func (r *runner) doneAt(ord int32) {
	if int(ord>>6) < len(r.doneBits) {
		r.doneBits[ord>>6] |= 1 << (ord & 63)
	}
}

// isDone reports whether the ord-th job is done.
func (r *runner) isDone(ord int32) bool {
	return int(ord>>6) < len(r.doneBits) && r.doneBits[ord>>6]&(1<<(ord&63)) != 0
}

// left is how many jobs of a RunSource are not done.
func (r *runner) left() int {
	n := r.total
	for _, w := range r.doneBits {
		n -= bits.OnesCount64(w)
	}
	return n
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
// again (a budget halt that calls in flight may lift), and whether the id
// is now done (its line written).
func (r *runner) handle(id json.RawMessage, tool string, args map[string]any, res *tools.Result, settledAt int) (again, wrote bool) {
	r.see(res)
	switch o := Classify(res); o {
	case OutcomeOK, OutcomeFailed:
		if err := r.out.Write(record(id, tool, args, res)); err != nil {
			r.writeErr = err
			return false, false
		}
		wrote = true
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
			return true, false
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
	return false, wrote
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
