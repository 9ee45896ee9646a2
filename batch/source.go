package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/tollgate-mcp/tollgate/tools"
)

// A Source is a batch's jobs, in input order, read again each time it is
// ranged over: RunSource reads it to check and plan the batch, again to
// make the calls, and once more to list the ids left, so that a batch
// holds its input one job at a time, never whole. Jobs (a slice) and
// Input (a JSONL file) are Sources.
type Source interface {
	// All yields every job in input order, or the error that stopped
	// the reading.
	All() iter.Seq2[Job, error]
}

// Jobs is a Source of jobs held in memory.
type Jobs []Job

// All implements Source.
func (js Jobs) All() iter.Seq2[Job, error] {
	return func(yield func(Job, error) bool) {
		for _, j := range js {
			if !yield(j, nil) {
				return
			}
		}
	}
}

// Input is a batch's input file of JSONL calls (see ReadJobs for the
// format) read as a Source, one line at a time: what `tollgate batch
// --in` runs, whatever the file's size. Check it (Check) before running
// it; All reports a line that does not parse as an error.
type Input struct {
	path string
}

// NewInput returns the input file at path. The file is opened at each
// reading, so it must stay as it is while a batch runs.
func NewInput(path string) *Input { return &Input{path: path} }

// Path is the file's path.
func (in *Input) Path() string { return in.path }

// All implements Source.
func (in *Input) All() iter.Seq2[Job, error] { return in.read(true) }

// withoutArgs implements lightSource.
func (in *Input) withoutArgs() iter.Seq2[Job, error] { return in.read(false) }

// read yields the jobs of the file, with their arguments decoded or not.
func (in *Input) read(withArgs bool) iter.Seq2[Job, error] {
	return func(yield func(Job, error) bool) {
		f, err := os.Open(in.path)
		if err != nil {
			yield(Job{}, err)
			return
		}
		defer f.Close()
		stopped := errors.New("stopped")
		var ld lineDecoder
		err = eachLine(f, func(n int, line []byte) error {
			j, ok, msg := parseJob(line, n, withArgs, &ld)
			switch {
			case msg != "":
				if !yield(Job{}, &lineError{path: in.path, line: n, msg: msg}) {
					return stopped
				}
			case ok:
				if !yield(j, nil) {
					return stopped
				}
			}
			return nil
		})
		if err != nil && err != stopped {
			yield(Job{}, fmt.Errorf("batch: reading %s: %w", in.path, err))
		}
	}
}

// Check reads the whole input and checks it against box as ReadInput
// does: one *InputError lists every malformed line, repeated id, tool box
// does not offer (with the names nearest to a misspelt one) and argument
// that does not match its tool's input schema, before any call is made.
// It holds one job at a time and a hash of each id (ids.go).
func (in *Input) Check(box *tools.Toolbox) error {
	if box == nil {
		return errors.New("batch: Input.Check needs a toolbox")
	}
	_, err := checkSource(in, true, inputChecker(box), true)
	return err
}

// lightSource is a Source that can also yield its jobs without their
// arguments, for the readings of a run that need only ids and tools: a
// file's lines are then decoded without building the arguments.
type lightSource interface {
	withoutArgs() iter.Seq2[Job, error]
}

// withArgs decodes j's arguments when the reading that yielded j left
// them encoded; a job read with its arguments is left as it is.
func (j *Job) withArgs() error {
	if j.Args != nil || len(j.rawArgs) == 0 {
		return nil
	}
	args, msg := decodeArgs(j.rawArgs)
	if msg != "" {
		return errors.New(msg)
	}
	j.Args, j.rawArgs = args, nil
	return nil
}

// lastArgs is the tool and encoded arguments of a reading's last job: a
// job written exactly as it (the same tool, the same argument bytes)
// makes the same call, so what was worked out for that job holds for
// this one without decoding its arguments. The zero value matches no job.
type lastArgs struct {
	tool string
	raw  json.RawMessage
}

// lastArgsOf is j's tool and encoded arguments; the zero value when the
// reading decoded j's arguments (or j was built in code).
func lastArgsOf(j *Job) lastArgs {
	if len(j.rawArgs) == 0 {
		return lastArgs{}
	}
	return lastArgs{j.Tool, j.rawArgs}
}

// repeatedBy reports whether j is written as the job l was taken from.
func (l lastArgs) repeatedBy(j *Job) bool {
	return l.raw != nil && j.Args == nil && j.Tool == l.tool && bytes.Equal(j.rawArgs, l.raw)
}

// idsAndTools yields src's jobs, without their arguments when src can.
func idsAndTools(src Source) iter.Seq2[Job, error] {
	if l, ok := src.(lightSource); ok {
		return l.withoutArgs()
	}
	return src.All()
}

// eachLine calls fn with each line of r (1-based number, the line with
// its newline), a byte order mark cut off the first. The line is valid
// only until fn returns: a line that fits the reader's buffer is that
// buffer, and only a longer one is copied out.
func eachLine(r io.Reader, fn func(n int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			if n == 1 {
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			}
			if ferr := fn(n, line); ferr != nil {
				return ferr
			}
		}
		if cap(long) > 1<<20 {
			long = nil // a rare huge line is not held for the rest of the reading
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// inputChecker is what ReadInput asks about each job that parses: the
// tool exists in box, and the arguments match its schema.
func inputChecker(box *tools.Toolbox) func(*Job) string {
	unknown := map[string]bool{}
	return func(j *Job) string {
		if _, ok := box.Catalogue().Lookup(j.Tool); !ok {
			msg := unknownTool(box.Catalogue(), j.Tool, !unknown[j.Tool])
			unknown[j.Tool] = true
			return msg
		}
		if err := box.Validate(j.Tool, j.Args); err != nil {
			var ae *tools.ArgumentError
			if errors.As(err, &ae) {
				return argumentProblems(ae)
			}
			return err.Error()
		}
		return ""
	}
}

// toolChecker is what CheckJobs asks about each job: the tool exists.
func toolChecker(cat *tools.Catalogue) func(*Job) string {
	unknown := map[string]bool{}
	return func(j *Job) string {
		if _, ok := cat.Lookup(j.Tool); ok {
			return ""
		}
		msg := unknownTool(cat, j.Tool, !unknown[j.Tool])
		unknown[j.Tool] = true
		return msg
	}
}

// seenID is the first job of an id's hash: its place in the source and
// its input line.
type seenID struct {
	ord, line int32
}

// checkSource checks every job of src: its id is valid and unique, and
// check (when not nil) finds nothing wrong with it. With lines, problems
// are reported as ReadInput reports them, by input line, and a job whose
// id is repeated is not checked further; without, as CheckJobs reports
// them, by job. It reads src once, and once more when two ids share a
// hash, to tell a repeated id from a collision. It returns how many jobs
// src yielded, for the readings after it to size what they keep.
func checkSource(src Source, lines bool, check func(*Job) string, needArgs bool) (jobs int, err error) {
	c := &checking{lines: lines, check: check, needArgs: needArgs}
	ord := -1
	for j, err := range idsAndTools(src) { // arguments are decoded by checkJob, when check needs them
		if err != nil {
			var le *lineError
			if !errors.As(err, &le) {
				return 0, err
			}
			c.bad.addAt(LineError{Line: le.line, Job: -1, Msg: le.msg}, int64(le.line)*2+1)
			continue
		}
		ord++
		key, err := idKey(j.ID)
		if err != nil {
			c.report(&j, ord, err.Error(), 1)
			continue
		}
		h := idHash(key)
		if c.seen.add(h) {
			// The same id again, or another whose hash collides: the
			// second reading tells.
			if c.suspects == nil {
				c.suspects = map[uint64]bool{}
			}
			c.suspects[h] = true
			if lines {
				continue
			}
		}
		if check != nil {
			if msg := c.checkJob(&j); msg != "" {
				c.report(&j, ord, msg, 1)
			}
		}
	}
	c.seen = hashSet{} // not needed any more: free it before the second reading
	if len(c.suspects) > 0 {
		if err := c.confirmRepeats(src); err != nil {
			return 0, err
		}
	}
	return ord + 1, c.bad.orNil()
}

// checking is the state of checkSource.
type checking struct {
	lines    bool
	needArgs bool // check reads the jobs' arguments
	check    func(*Job) string
	bad      InputError
	seen     hashSet         // the hash of every id (ids.go)
	passed   lastArgs        // the last job checked, when it passed (checkJob)
	suspects map[uint64]bool // hashes seen more than once
}

// checkJob asks check about j, with j's arguments decoded when check
// needs them. A job whose tool and argument bytes are those of the job
// before it, which passed, passes without being decoded or checked again:
// check's answer depends on the tool and the arguments alone, and a batch
// of repeated lines is then checked for a few bytes a line.
func (c *checking) checkJob(j *Job) string {
	if c.passed.repeatedBy(j) {
		return ""
	}
	last := lastArgsOf(j)
	if c.needArgs {
		if err := j.withArgs(); err != nil {
			c.passed = lastArgs{}
			return err.Error()
		}
	}
	msg := c.check(j)
	if msg != "" {
		last = lastArgs{}
	}
	c.passed = last
	return msg
}

// report adds a problem of the ord-th job; rank orders the problems of
// one job (a repeated id, 0, before the rest, 1).
func (c *checking) report(j *Job, ord int, msg string, rank int64) {
	if c.lines {
		c.bad.addAt(LineError{Line: j.Line, Job: -1, Msg: msg}, int64(j.Line)*2+rank)
		return
	}
	c.bad.addAt(LineError{Line: j.Line, Job: ord, Msg: msg}, int64(ord)*2+rank)
}

// confirmRepeats reads src again for the ids whose hash was seen more
// than once: a repeat of an earlier id is reported, and (with lines) a
// job whose id only shares its hash is checked as the first reading would
// have checked it.
func (c *checking) confirmRepeats(src Source) error {
	byKey := map[string]seenID{}
	firstOfHash := map[uint64]bool{}
	ord := -1
	for j, err := range idsAndTools(src) {
		if err != nil {
			var le *lineError
			if errors.As(err, &le) {
				continue // reported by the first reading
			}
			return err
		}
		ord++
		key, err := idKey(j.ID)
		if err != nil {
			continue
		}
		h := idHash(key)
		if !c.suspects[h] {
			continue
		}
		if f, ok := byKey[key]; ok {
			if c.lines {
				c.report(&j, ord, fmt.Sprintf("id %s is already used on line %d; ids must be unique", j.ID, f.line), 0)
			} else {
				c.report(&j, ord, fmt.Sprintf("id %s is already used by %s; ids must be unique", j.ID, ref(f)), 0)
			}
			continue
		}
		byKey[key] = seenID{ord: int32(ord), line: int32(j.Line)}
		first := !firstOfHash[h]
		firstOfHash[h] = true
		if !c.lines || c.check == nil || first {
			continue // checked by the first reading
		}
		if msg := c.checkJob(&j); msg != "" {
			c.report(&j, ord, msg, 1)
		}
	}
	return nil
}

func ref(f seenID) string {
	if f.line > 0 {
		return fmt.Sprintf("line %d", f.line)
	}
	return fmt.Sprintf("job %d", f.ord)
}

// lineError is a line of an Input that does not parse.
type lineError struct {
	path string
	line int
	msg  string
}

func (e *lineError) Error() string {
	return fmt.Sprintf("batch: %s: line %d: %s", e.path, e.line, e.msg)
}
