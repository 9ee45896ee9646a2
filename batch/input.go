package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/suggest"
	"github.com/tollgate-mcp/tollgate/tools"
)

// maxProblems bounds the problems an InputError lists.
const maxProblems = 20

// InputError lists what is wrong with a batch's input, line by line. It
// is returned before any call is made.
type InputError struct {
	Problems []LineError
	// More counts problems left out of Problems.
	More int
	// order is where each problem sits in the input (see addAt).
	order []int64
}

// LineError is one problem of the input.
type LineError struct {
	// Line is the input line (1-based); 0 for a job built in code.
	Line int
	// Job is the index of the job among the jobs given (for jobs built
	// in code), or -1.
	Job int
	Msg string
}

func (e LineError) String() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	case e.Job >= 0:
		return fmt.Sprintf("job %d: %s", e.Job, e.Msg)
	}
	return e.Msg
}

func (e *InputError) Error() string {
	n := len(e.Problems) + e.More
	if n == 1 && len(e.Problems) == 1 {
		return e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the input:", n)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", e.More)
	}
	return b.String()
}

func (e *InputError) add(p LineError) {
	at := int64(0)
	if n := len(e.order); n > 0 {
		at = e.order[n-1]
	}
	e.addAt(p, at)
}

// addAt adds p at place at of the input: Problems keeps the first
// maxProblems of them in that order (problems found out of order, by a
// second reading of the input, go where they belong).
func (e *InputError) addAt(p LineError, at int64) {
	i := len(e.order)
	for i > 0 && e.order[i-1] > at {
		i--
	}
	if i >= maxProblems {
		e.More++
		return
	}
	e.Problems = append(e.Problems, LineError{})
	e.order = append(e.order, 0)
	copy(e.Problems[i+1:], e.Problems[i:])
	copy(e.order[i+1:], e.order[i:])
	e.Problems[i], e.order[i] = p, at
	if len(e.Problems) > maxProblems {
		e.Problems, e.order = e.Problems[:maxProblems], e.order[:maxProblems]
		e.More++
	}
}

func (e *InputError) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// inputLine is the shape of one input line.
type inputLine struct {
	ID   json.RawMessage `json:"id"`
	Tool *string         `json:"tool"`
	Args json.RawMessage `json:"args"`
}

// ReadJobs reads a batch's input: one JSON object per line,
//
//	{"id": "a1", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}
//
// id is a non-empty string or a number and must be unique; tool is a
// tool's name; args, an object, may be left out. Blank lines are skipped.
// Every malformed line and every repeated id is reported in one
// *InputError, by line number; the jobs are returned only when there is
// none. Numbers in args are kept as json.Number. ReadInput also checks
// the tools and their arguments.
func ReadJobs(r io.Reader) ([]Job, error) {
	return readJobs(r, nil)
}

// ReadInput reads a batch's input as ReadJobs does and checks it against
// box in the same pass, so that one report lists everything to fix
// before any call is made: malformed lines, repeated ids, tools box does
// not offer (with the names nearest to a misspelt one), and arguments
// that do not match their tool's input schema (Toolbox.Validate). It
// returns the jobs, or an *InputError.
func ReadInput(r io.Reader, box *tools.Toolbox) ([]Job, error) {
	if box == nil {
		return nil, errors.New("batch: ReadInput needs a toolbox")
	}
	return readJobs(r, inputChecker(box))
}

// readJobs reads the input line by line; check, when not nil, is asked
// about every line that parses and returns what is wrong with its job,
// or "".
func readJobs(r io.Reader, check func(*Job) string) ([]Job, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		jobs []Job
		bad  InputError
		seen = map[string]int{}
	)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if n == 1 {
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a byte order mark
			}
			if j, msg := parseLine(line, n); msg != "" {
				bad.add(LineError{Line: n, Job: -1, Msg: msg})
			} else if j != nil {
				key, _ := idKey(j.ID)
				if first, dup := seen[key]; dup {
					bad.add(LineError{Line: n, Job: -1, Msg: fmt.Sprintf("id %s is already used on line %d; ids must be unique", j.ID, first)})
				} else if seen[key] = n; check != nil {
					if msg := check(j); msg != "" {
						bad.add(LineError{Line: n, Job: -1, Msg: msg})
					} else {
						jobs = append(jobs, *j)
					}
				} else {
					jobs = append(jobs, *j)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("batch: reading the input: %w", err)
		}
	}
	if err := bad.orNil(); err != nil {
		return nil, err
	}
	return jobs, nil
}

// unknownTool says that cat offers no tool named name, with the nearest
// names when it looks misspelt, and the whole list when asked (once per
// name, so a report stays short).
func unknownTool(cat *tools.Catalogue, name string, list bool) string {
	msg := fmt.Sprintf("there is no tool named %q", name)
	var names []string
	for _, t := range cat.Tools() {
		names = append(names, t.Name)
	}
	if near := suggest.Nearest(name, names); len(near) > 0 {
		return msg + "; did you mean " + strings.Join(near, " or ") + "?"
	}
	if list {
		msg += "; tools are: " + strings.Join(names, ", ")
	}
	return msg
}

// argumentProblems says, in one line, which arguments of a job do not
// match its tool's schema and what is allowed.
func argumentProblems(ae *tools.ArgumentError) string {
	parts := make([]string, len(ae.Problems))
	for i, p := range ae.Problems {
		parts[i] = p.Field + ": " + strings.Join(p.Expected, "; ")
	}
	return fmt.Sprintf("invalid arguments for %s: %s", ae.Tool, strings.Join(parts, " | "))
}

// parseLine parses one input line; it returns nil and "" for a blank
// line, or a message saying what is wrong.
func parseLine(line []byte, n int) (*Job, string) {
	j, ok, msg := parseJob(line, n, true, nil)
	if !ok {
		return nil, msg
	}
	return &j, ""
}

// parseJob is parseLine, returning the job by value (ok is false for a
// blank line or, with msg, a malformed one); without withArgs, the job's
// Args are left nil and kept encoded (they are still checked to be a
// JSON object), for the readings of a run that need only ids and tools.
// ld, when not nil, is the decoder of the reading the line belongs to
// (linedecoder.go); a line it does not take is decoded afresh, so the
// answer is the same either way.
func parseJob(line []byte, n int, withArgs bool, ld *lineDecoder) (j Job, ok bool, msg string) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Job{}, false, ""
	}
	if line[0] != '{' {
		return Job{}, false, "not a JSON object; each line is {\"id\": ..., \"tool\": ..., \"args\": {...}}"
	}
	// What a decoder fills in is the lineDecoder's (cleared first, so that
	// no job shares a byte with the next): a local would escape to the
	// heap through the decoder, once a line.
	var in inputLine
	if ld != nil {
		ld.in = inputLine{}
		if ld.line.decode(line, &ld.in, true) {
			in = ld.in
		} else {
			ld = nil // this line is decoded afresh
		}
	}
	if ld == nil {
		if in, msg = decodeLine(line); msg != "" {
			return Job{}, false, msg
		}
	}
	j = Job{ID: in.ID, Line: n}
	if len(in.ID) == 0 || string(in.ID) == "null" {
		return Job{}, false, "id is missing: give each call a unique string or number id"
	}
	if _, err := idKey(in.ID); err != nil {
		return Job{}, false, err.Error()
	}
	if in.Tool == nil || *in.Tool == "" {
		return Job{}, false, "tool is missing: name the tool to call, e.g. \"tool\": \"search_ads\""
	}
	j.Tool = *in.Tool
	if len(in.Args) > 0 && string(in.Args) != "null" {
		if in.Args[0] != '{' {
			return Job{}, false, "args must be a JSON object of the tool's arguments"
		}
		if !withArgs {
			j.rawArgs = in.Args
			return j, true, ""
		}
		if ld != nil {
			ld.out = nil
			if ld.args.decode(in.Args, &ld.out, false) {
				j.Args = ld.out
				return j, true, ""
			}
		}
		if j.Args, msg = decodeArgs(in.Args); msg != "" {
			return Job{}, false, msg
		}
	}
	return j, true, ""
}

// decodeLine decodes an input line afresh, or says what is wrong with it.
func decodeLine(line []byte) (in inputLine, msg string) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return inputLine{}, describeJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return inputLine{}, "extra text after the JSON object (one call per line)"
	}
	return in, ""
}

// decodeArgs decodes a line's arguments afresh, numbers as json.Number.
func decodeArgs(raw json.RawMessage) (args map[string]any, msg string) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&args); err != nil {
		return nil, "args: " + describeJSONError(err)
	}
	return args, ""
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON (at byte %d): %v", syn.Offset, err)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s must not be a JSON %s", typ.Field, typ.Value)
		}
		return fmt.Sprintf("not a JSON object but a JSON %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON object is cut short"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") + "; a line holds only id, tool and args"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// idKey is the identity of an id: ids that are the same JSON value have
// the same key ("a" and "\u0061"; 10, 10.0 and 1e1), a string and a
// number never do.
func idKey(id json.RawMessage) (string, error) {
	raw := bytes.TrimSpace(id)
	if len(raw) == 0 {
		return "", errors.New("id is missing")
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("id %s is not a valid JSON string", raw)
		}
		if s == "" {
			return "", errors.New("id is an empty string; give each call a unique non-empty id")
		}
		return "s:" + s, nil
	case c == '-' || c >= '0' && c <= '9':
		if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return "n:" + strconv.FormatInt(i, 10), nil
		}
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
			if f == float64(int64(f)) {
				return "n:" + strconv.FormatInt(int64(f), 10), nil
			}
			return "n:" + strconv.FormatFloat(f, 'g', -1, 64), nil
		}
		return "n:" + string(raw), nil // too large for a float64: compare as written
	}
	return "", fmt.Errorf("id %s must be a string or a number", raw)
}

// CheckJobs reports, before any call, what would stop jobs from running:
// invalid or repeated ids and tools that cat does not offer. It returns
// an *InputError or nil.
func CheckJobs(cat *tools.Catalogue, jobs []Job) error {
	var check func(*Job) string
	if cat != nil {
		check = toolChecker(cat)
	}
	_, err := checkSource(Jobs(jobs), false, check, false)
	return err
}

// toolNames lists the catalogue's tool names that keep accepts (all
// when keep is nil), for error messages.
func toolNames(cat *tools.Catalogue, keep func(*tools.Tool) bool) string {
	var names []string
	for _, t := range cat.Tools() {
		if keep == nil || keep(t) {
			names = append(names, t.Name)
		}
	}
	return strings.Join(names, ", ")
}
