package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/tollgate-mcp/tollgate/internal/bufpool"
)

// ErrLocked is returned by OpenOutput when another run holds the file.
var ErrLocked = errors.New("another tollgate batch is writing to this file")

// OutputError is an output file that does not fit the batch: a complete
// line that is not a result, an id written twice (Line is then set), or
// the results of another batch (Crawl). Such a file is never changed.
type OutputError struct {
	Path string
	Line int
	Msg  string
}

func (e *OutputError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s; is this the output of tollgate batch? (use another output file for a new batch)", e.Path, e.Line, e.Msg)
}

// Output is a batch's output file, open for appending. It knows the ids
// already written. Its methods are safe for concurrent use.
//
// It keeps no id itself, only where each id's line starts, by a 64-bit
// hash of the id (ids.go): a line's id is read back from the file to
// confirm a match, so two ids whose hashes collide are told apart, and
// the set costs 16 bytes an id, whatever the ids are.
type Output struct {
	path     string
	f        *os.File
	repaired int64

	mu       sync.Mutex
	ids      idLines
	size     int64
	unsynced bool
	broken   error
	closed   bool
}

// OpenOutput opens (creating if need be) the output file at path and
// scans it: every line already there is an id done. A torn last line (a
// run killed while writing it: no newline at the end) is cut off, so its
// id is not done and the file ends on a whole line; Repaired tells how
// many bytes were cut. A complete line that is not a result, or an id
// written twice, is an *OutputError. The file is locked against other
// runs until Close (ErrLocked).
func OpenOutput(path string) (*Output, error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	o := &Output{path: path, f: f}
	o.ids.f = f
	if err := o.scan(); err != nil {
		unlockFile(f)
		f.Close()
		return nil, err
	}
	if created {
		syncDir(filepath.Dir(path))
	}
	return o, nil
}

// scan reads the file, repairs a torn tail and leaves the offset at the
// end.
func (o *Output) scan() error {
	if _, err := o.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(o.f, 256<<10)
	var off int64
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				// Torn: the run died inside this line's write.
				if err := o.f.Truncate(off); err != nil {
					return fmt.Errorf("%s: cutting off the torn last line: %w", o.path, err)
				}
				if err := o.f.Sync(); err != nil {
					return fmt.Errorf("%s: %w", o.path, err)
				}
				o.repaired = int64(len(line))
			}
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.path, err)
		}
		body := bytes.TrimSpace(line)
		if len(body) > 0 {
			key, msg := lineKey(body)
			if msg != "" {
				return &OutputError{Path: o.path, Line: n, Msg: msg}
			}
			dup, first, err := o.ids.add(key, off)
			if err != nil {
				return fmt.Errorf("reading %s: %w", o.path, err)
			}
			if dup {
				return &OutputError{Path: o.path, Line: n, Msg: fmt.Sprintf("this id is already on line %d", lineNumber(o.f, first))}
			}
		}
		off += int64(len(line))
	}
	o.size = off
	_, err := o.f.Seek(off, io.SeekStart)
	return err
}

// lineKey checks that a complete line is a result and returns its id's
// key, or what is wrong with it.
func lineKey(line []byte) (string, string) {
	var rec struct {
		ID   json.RawMessage `json:"id"`
		Tool string          `json:"tool"`
		OK   *bool           `json:"ok"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return "", "not a result line (" + describeJSONError(err) + ")"
	}
	if rec.Tool == "" || rec.OK == nil {
		return "", "not a result line (no tool or ok)"
	}
	key, err := idKey(rec.ID)
	if err != nil {
		return "", err.Error()
	}
	return key, ""
}

// Path is the file's path.
func (o *Output) Path() string { return o.path }

// Repaired is how many bytes of a torn last line OpenOutput cut off.
func (o *Output) Repaired() int64 { return o.repaired }

// Len is the number of ids written.
func (o *Output) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ids.n
}

// Done reports whether id is written (done).
func (o *Output) Done(id json.RawMessage) bool {
	key, err := idKey(id)
	if err != nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok, _ := o.ids.find(key)
	return ok
}

// Record reads back the line of id; it returns nil and no error when id
// is not done.
func (o *Output) Record(id json.RawMessage) (*Record, error) {
	key, err := idKey(id)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	off, ok, err := o.ids.find(key)
	o.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.path, err)
	}
	if !ok {
		return nil, nil
	}
	buf, err := lineAt(o.f, off)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.UseNumber()
	var rec Record
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.path, err)
	}
	return &rec, nil
}

// Write appends rec as one line, with a single write call: a process
// killed during it leaves at most a torn last line, which the next
// OpenOutput cuts off. Call Sync to make the lines written so far
// durable. An id already written is an error, and after a failed write
// every later one fails too.
func (o *Output) Write(rec *Record) error {
	key, err := idKey(rec.ID)
	if err != nil {
		return err
	}
	buf := lineBufs.Get()
	defer lineBufs.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil { // Encode ends the line with \n
		return fmt.Errorf("batch: encoding the result of %s: %w", rec.ID, err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.broken != nil {
		return o.broken
	}
	if _, dup, err := o.ids.find(key); dup || err != nil {
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.path, err)
		}
		return fmt.Errorf("batch: id %s is already in %s", rec.ID, o.path)
	}
	n, err := o.f.Write(buf.Bytes())
	if err != nil {
		o.broken = fmt.Errorf("writing %s: %w", o.path, err)
		return o.broken
	}
	if _, _, err := o.ids.add(key, o.size); err != nil {
		o.broken = fmt.Errorf("reading %s: %w", o.path, err)
		return o.broken
	}
	o.size += int64(n)
	o.unsynced = true
	return nil
}

// reserve makes room in the set of ids for more ids to be written.
func (o *Output) reserve(more int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ids.reserve(more)
}

// lineBufs are the buffers Write encodes a line into, reused from line to
// line rather than grown afresh for each (a batch writes one line a job);
// one that a large result grew past 64 KiB is not kept.
var lineBufs = bufpool.Pool{Max: 64 << 10}

// Sync flushes the lines written so far to stable storage (fsync).
func (o *Output) Sync() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.unsynced || o.broken != nil {
		return o.broken
	}
	if err := o.f.Sync(); err != nil {
		o.broken = fmt.Errorf("syncing %s: %w", o.path, err)
		return o.broken
	}
	o.unsynced = false
	return nil
}

// Close syncs, unlocks and closes the file. Closing again does nothing.
func (o *Output) Close() error {
	err := o.Sync()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	if o.broken == nil {
		o.broken = fmt.Errorf("%s is closed", o.path)
	}
	unlockFile(o.f)
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Done scans the output file at path, repairing a torn last line like
// OpenOutput, and returns the keys of the ids done. A missing file has
// none. Use Output.Done to ask about one id.
func Done(path string) (map[string]bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}, nil
	}
	o, err := OpenOutput(path)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	done := make(map[string]bool, o.ids.n)
	err = o.ids.each(func(key string) { done[key] = true })
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return done, nil
}

// Key returns the key Done uses for id: the same for ids that are the
// same JSON value (10 and 10.0), different for a string and a number.
func Key(id json.RawMessage) (string, error) { return idKey(id) }

// syncDir makes a new file's directory entry durable; failures are
// ignored (some systems cannot sync a directory).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}
