package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	// progressbar draws the terminal progress bar: maintained, no cgo,
	// already computes rate and ETA, and degrades to nothing when told
	// to; writing our own ANSI redraw logic is not worth it.
	"github.com/schollz/progressbar/v3"

	"github.com/tollgate-mcp/tollgate/batch"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/redisstore"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// batchMaxResultBytes is the default --max-result-bytes of batch: its
// results go to a file, not into a model's context, so rows that were
// paid for are not cut.
const batchMaxResultBytes = 16 << 20

// runBatch runs JSONL tool calls, or crawls one list tool, under the
// credit cap; the work is done by package batch.
func runBatch(ctx context.Context, c *cli, o *batchOptions) error {
	switch {
	case o.out == "":
		return usageErrorf("--out FILE is required: results are written there, and a rerun resumes from it")
	case o.out == "-":
		return usageErrorf("--out must be a file, not stdout: a rerun resumes from it")
	case (o.in == "") == (o.crawl == ""):
		return usageErrorf("give either --in FILE (calls to run) or --crawl TOOL (pages to follow)")
	case o.crawlArgs != "" && o.crawl == "":
		return usageErrorf("--args goes with --crawl; with --in, each line carries its args")
	case o.maxPages != 0 && o.crawl == "":
		return usageErrorf("--max-pages goes with --crawl")
	}
	logger, err := newLogger(c.stderr, o.logLevel)
	if err != nil {
		return err
	}
	sf := &o.stack

	// The input is opened before anything starts and checked in one pass
	// once the catalogue is known; the output is created only when the
	// calls are about to run. It is read a line at a time, never whole
	// (batch.Input): stdin is spooled to a temporary file first, since a
	// run reads its input more than once.
	var (
		input *batch.Input
		start map[string]any
	)
	if o.crawl != "" {
		if start, err = parseCrawlArgs(o.crawlArgs); err != nil {
			return err
		}
	} else {
		var cleanup func()
		if input, cleanup, err = openInput(c, o.in, o.out); err != nil {
			return err
		}
		defer cleanup()
	}
	st, err := sf.build(ctx, logger, "tollgate-batch/"+version())
	if err != nil {
		return err
	}
	defer st.Close()
	if o.crawl != "" {
		if err := batch.CheckCrawl(st.Box.Catalogue(), o.crawl); err != nil {
			return usageErrorf("--crawl: %v", err)
		}
		if err := st.Box.Validate(o.crawl, start); err != nil {
			return usageErrorf("--args: %v", err)
		}
	} else if err := input.Check(st.Box); err != nil {
		var ie *batch.InputError
		if errors.As(err, &ie) {
			return usageErrorf("%s: %v", inputName(o.in), err)
		}
		return fmt.Errorf("reading %s: %w", inputName(o.in), err)
	}
	out, err := batch.OpenOutput(o.out)
	if err != nil {
		return outputError(o.out, err)
	}
	defer out.Close()
	if n := out.Repaired(); n > 0 {
		fmt.Fprintf(c.stderr, "tollgate batch: %s ended in a torn line (%d bytes) left by a run that was killed; cut it off: that id runs again\n", o.out, n)
	}

	view := newProgressView(c, o.every)
	opts := batch.Options{Concurrency: o.concurrency, Progress: view.update, MaxPages: o.maxPages,
		MaxConsecutiveFailures: o.maxFailures, Logger: logger}
	var sum batch.Summary
	if o.crawl != "" {
		sum, err = batch.Crawl(ctx, st.Box, o.crawl, start, out, opts)
	} else {
		sum, err = batch.RunSource(ctx, st.Box, input, out, opts)
	}
	view.finish()
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		var ie *batch.InputError
		var oe *batch.OutputError
		switch {
		case errors.As(err, &ie):
			return usageErrorf("%v", err)
		case errors.As(err, &oe):
			return usageErrorf("%v", err)
		}
		return fmt.Errorf("%v (the results written so far are kept; rerun the same command to resume)", err)
	}
	resume := c.self + " " + shellJoin(redactRedis(c.args))
	if o.in == "-" {
		resume += "   (with the same input on stdin)"
	}
	writeSummary(c.stderr, sum, summaryInfo{out: o.out, resume: resume, crawl: o.crawl, sandbox: sf.sandbox, shared: sf.sharedName()})
	switch {
	case sum.Halt != nil:
		return &exitError{code: exitCap, err: fmt.Errorf("stopped by the budget (%s); the summary above says how to resume", sum.Halt.Error.Code)}
	case sum.Fatal != nil && sum.Fatal.Error.Retryable:
		return &exitError{code: exitFailure, err: fmt.Errorf("stopped after %d retryable failures in a row (%s); rerun the same command when the API is back", o.maxFailures, sum.Fatal.Error.Code)}
	case sum.Fatal != nil:
		return &exitError{code: exitFailure, err: fmt.Errorf("stopped: %s; fix that, then rerun the same command to resume", sum.Fatal.Error.Code)}
	case sum.Interrupted:
		return &exitError{code: exitFailure, err: errors.New("interrupted; rerun the same command to resume")}
	case !sum.Complete:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d ids failed with retryable errors and were not written; rerun the same command to retry them", sum.Retry)}
	}
	return nil
}

// openInput opens the input, which must not be the output: the file
// itself, or stdin spooled to a temporary file that cleanup removes.
func openInput(c *cli, inPath, outPath string) (*batch.Input, func(), error) {
	if inPath != "-" {
		f, err := os.Open(inPath)
		if err != nil {
			return nil, nil, usageErrorf("--in: %v", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			if fo, err := os.Stat(outPath); err == nil && os.SameFile(fi, fo) {
				return nil, nil, usageErrorf("--in and --out are the same file")
			}
		}
		return batch.NewInput(inPath), func() {}, nil
	}
	f, err := os.CreateTemp("", "tollgate-batch-stdin-*.jsonl")
	if err != nil {
		return nil, nil, fmt.Errorf("spooling stdin: %w", err)
	}
	cleanup := func() { _ = os.Remove(f.Name()) }
	_, err = io.Copy(f, c.stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("reading stdin: %w", err)
	}
	return batch.NewInput(f.Name()), cleanup, nil
}

func inputName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return path
}

func parseCrawlArgs(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, usageErrorf("--args %q: want a JSON object of the tool's arguments, e.g. '{\"search\":\"coffee\",\"limit\":50}'", s)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, usageErrorf("--args %q: extra text after the JSON object", s)
	}
	return m, nil
}

func outputError(path string, err error) error {
	var oe *batch.OutputError
	switch {
	case errors.As(err, &oe):
		return usageErrorf("--out: %v", err)
	case errors.Is(err, batch.ErrLocked):
		return usageErrorf("--out %s: another tollgate batch is writing to it; wait for it, or use another file", path)
	}
	return usageErrorf("--out: %v", err)
}

// summaryInfo is what the summary needs besides the Summary.
type summaryInfo struct {
	out, resume, crawl string
	sandbox            bool
	shared             string // the shared budget's name, "" when the budget is this process's
}

// writeSummary tells a person what the run did and, unless it is
// complete, how to go on.
func writeSummary(w io.Writer, s batch.Summary, in summaryInfo) {
	unit := "ids"
	if in.crawl != "" {
		unit = "pages"
	}
	var head string
	switch {
	case s.Halt != nil:
		head = "stopped by the budget: " + s.Halt.Error.Code
	case s.Fatal != nil && s.Fatal.Error.Retryable:
		head = fmt.Sprintf("stopped: calls keep failing (%s)", s.Fatal.Error.Code)
	case s.Fatal != nil:
		head = "stopped: " + s.Fatal.Error.Code
	case s.Interrupted:
		head = "interrupted"
	case !s.Complete:
		head = fmt.Sprintf("finished with %d %s left after retryable failures", s.Left, unit)
	default:
		head = "done"
	}
	fmt.Fprintf(w, "tollgate batch: %s\n", head)
	row := func(k, format string, a ...any) {
		if k != "" {
			k += ":"
		}
		fmt.Fprintf(w, "  %-8s %s\n", k, fmt.Sprintf(format, a...))
	}
	if s.Halt != nil {
		row("why", "%s", s.Halt.Error.Message)
	}
	if s.Fatal != nil {
		row("why", "%s", s.Fatal.Error.Message)
		row("action", "%s", s.Fatal.Error.Action)
	}

	done := s.Skipped + s.Done
	ids := fmt.Sprintf("%d of %d done", done, done+s.Left)
	if s.Complete {
		ids = fmt.Sprintf("all %d done", done)
	}
	detail := []string{fmt.Sprintf("%d by this run", s.Done)}
	if s.Failed > 0 {
		detail = append(detail, fmt.Sprintf("%d failed for good, written with advice", s.Failed))
	}
	if s.Skipped > 0 {
		detail = append(detail, fmt.Sprintf("%d by earlier runs", s.Skipped))
	}
	ids += " (" + strings.Join(detail, "; ") + ")"
	if s.Left > 0 {
		ids += fmt.Sprintf(", %d left", s.Left)
		if s.Retry > 0 {
			ids += fmt.Sprintf(" (%d after retryable failures)", s.Retry)
		}
		if len(s.LeftIDs) > 0 {
			ids += ", next " + idList(s.LeftIDs, 3)
		}
	}
	row(unit, "%s", ids)
	row("results", "%s", in.out)

	credits := fmt.Sprintf("%d spent by this run", s.Spent)
	var st *budget.Status
	if s.Budget != nil {
		st = s.Budget
	} else if s.Halt != nil {
		st = s.Halt.Budget
	}
	if st != nil {
		switch {
		case in.shared != "" && st.RunCap != nil:
			credits += fmt.Sprintf("; %d of the cap of %d spent by every process sharing budget %q", st.RunSpent, *st.RunCap, in.shared)
		case in.shared != "":
			credits += fmt.Sprintf("; %d spent by every process sharing budget %q", st.RunSpent, in.shared)
		case st.RunCap != nil:
			credits += fmt.Sprintf(" (cap %d)", *st.RunCap)
		}
		if st.CreditsRemaining != nil {
			credits += fmt.Sprintf("; workspace balance %d", *st.CreditsRemaining)
		}
		if st.Reserve > 0 {
			credits += fmt.Sprintf(" (%d kept in reserve)", st.Reserve)
		}
	}
	if in.sandbox {
		credits += " (sandbox credits, not real ones)"
	}
	row("credits", "%s", credits)
	if st != nil && st.RefillAt != nil && (s.Halt != nil || !s.Complete) {
		row("refill", "%s", st.RefillAt.UTC().Format(time.RFC3339))
	}
	if s.Complete {
		return
	}
	row("resume", "%s", in.resume)
	if s.Halt != nil {
		row("", "%s", haltHint(s.Halt.Error.Code, st))
	}
}

// haltHint says what must change before a resumed run can go further.
func haltHint(code string, st *budget.Status) string {
	refill := "the refill"
	if st != nil && st.RefillAt != nil {
		refill = "the refill on " + st.RefillAt.UTC().Format("2006-01-02")
	}
	switch code {
	case budget.CodeCapReached:
		return "(each run may spend up to --max-credits: rerunning spends up to that again; raise it to go further in one run)"
	case budget.CodeFloorReached:
		return "(the workspace is down to its --reserve floor: lower --reserve, top up, or wait for " + refill + ")"
	case budget.CodeCallLimit:
		return "(a call needs more than --max-per-call allows: raise it, or lower that call's limit)"
	case budget.CodeExhausted, runtime.CodeInsufficientCredits:
		return "(the workspace is out of credits: top up, or wait for " + refill + ")"
	case budget.CodeStoreUnavailable:
		return "(the shared budget's Redis did not answer, so nothing more was spent: rerun once it is back)"
	}
	return ""
}

func idList(ids []json.RawMessage, n int) string {
	var parts []string
	for i, id := range ids {
		if i == n {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, string(id))
	}
	return strings.Join(parts, ", ")
}

// redactRedis hides the password of a --budget-redis URL in args, which
// the summary repeats.
func redactRedis(args []string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		name, value, inline := strings.Cut(a, "=")
		if strings.TrimLeft(name, "-") != "budget-redis" || !strings.HasPrefix(name, "-") {
			continue
		}
		switch {
		case inline:
			out[i] = name + "=" + redisstore.Redact(value)
		case i+1 < len(out):
			out[i+1] = redisstore.Redact(out[i+1])
		}
	}
	return out
}

// shellJoin quotes args for a POSIX shell, so the resume command can be
// pasted as it is.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+#", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// progressView shows a batch's progress on stderr: a bar on a terminal,
// a line every interval otherwise, nothing when the interval is 0.
type progressView struct {
	w        io.Writer
	terminal bool
	every    time.Duration

	mu      sync.Mutex
	last    batch.Progress
	changed bool
	bar     *progressbar.ProgressBar
	stop    chan struct{}
	stopped chan struct{}
}

func newProgressView(c *cli, every time.Duration) *progressView {
	v := &progressView{w: c.stderr, terminal: c.stderrIsTerminal, every: every}
	if !v.terminal && every > 0 {
		v.stop, v.stopped = make(chan struct{}), make(chan struct{})
		go v.tick()
	}
	return v
}

// update is the batch's Progress callback.
func (v *progressView) update(p batch.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if p != v.last {
		v.last, v.changed = p, true
	}
	if !v.terminal {
		return
	}
	todo := int64(p.Total - p.Skipped)
	if todo <= 0 {
		return // nothing to do, or a crawl whose size is not known yet
	}
	if v.bar == nil {
		v.bar = progressbar.NewOptions64(todo,
			progressbar.OptionSetWriter(v.w),
			progressbar.OptionSetDescription(barText(p)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("ids"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	if v.bar.GetMax64() != todo {
		v.bar.ChangeMax64(todo)
	}
	v.bar.Describe(barText(p))
	_ = v.bar.Set64(min(todo, int64(p.Done-p.Skipped)))
}

func barText(p batch.Progress) string {
	s := fmt.Sprintf("batch: %d/%d done", p.Done, p.Total)
	if p.Failed > 0 {
		s += fmt.Sprintf(", %d failed", p.Failed)
	}
	if p.Cap != nil {
		return s + fmt.Sprintf(", credits %d/%d", p.Spent, *p.Cap)
	}
	return s + fmt.Sprintf(", credits %d", p.Spent)
}

// progressLine is the plain progress line printed without a terminal.
func progressLine(p batch.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tollgate batch: %d/%d done", p.Done, p.Total)
	if p.Total > 0 {
		fmt.Fprintf(&b, " (%d%%)", 100*p.Done/p.Total)
	}
	if p.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", p.Failed)
	}
	if p.Retry > 0 {
		fmt.Fprintf(&b, ", %d left after retryable failures", p.Retry)
	}
	fmt.Fprintf(&b, ", %d in flight, credits %d", p.InFlight, p.Spent)
	if p.Cap != nil {
		fmt.Fprintf(&b, "/%d", *p.Cap)
	}
	fmt.Fprintf(&b, ", %.1f ids/s", p.Rate())
	if eta, ok := p.ETA(); ok {
		fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
	}
	return b.String()
}

func (v *progressView) tick() {
	defer close(v.stopped)
	t := time.NewTicker(v.every)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			p, changed := v.last, v.changed
			v.changed = false
			v.mu.Unlock()
			if changed {
				fmt.Fprintln(v.w, progressLine(p))
			}
		}
	}
}

// finish stops the view before the summary is printed.
func (v *progressView) finish() {
	if v.stop != nil {
		close(v.stop)
		<-v.stopped
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.bar != nil {
		_ = v.bar.Exit()
		fmt.Fprintln(v.w)
	}
}
