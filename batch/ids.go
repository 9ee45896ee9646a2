package batch

import (
	"bytes"
	"errors"
	"hash/maphash"
	"io"

	"github.com/tollgate-mcp/tollgate/internal/jsonscan"
)

// A batch of a million lines must not hold a million ids: the sets of ids
// it keeps (the ids of the input while it is checked, the ids of the
// output file) hold a hash of each id's key (idKey), and for the output
// where to read the id again. A hash found in a set is confirmed by
// reading that id back and comparing keys (or, for the input, by a second
// reading), so two ids whose hashes collide are still told apart, and the
// set is exact.

// hashSeed seeds idHash for the life of the process.
var hashSeed = maphash.MakeSeed()

// idHash is the hash of an id's key; a variable so that a test can make
// ids collide.
var idHash = func(key string) uint64 { return maphash.String(hashSeed, key) }

// idLines is the set of ids of an output file: an open-addressing table
// of 8-byte slots, each the offset of an id's line (40 bits: output files
// up to a terabyte) and the top 24 bits of the hash of its key, which
// also place it in the table. A slot whose bits match is confirmed by
// reading the key back (keyAt); ids whose hashes collide simply take
// slots of their own. It costs about 11 bytes an id.
type idLines struct {
	f         io.ReaderAt
	slotTable // 0: empty; else tag<<40 | (offset+1)
}

const (
	offBits = 40
	offMask = 1<<offBits - 1
	tagBits = 64 - offBits
)

// slotTable is the storage of idLines and hashSet: an open-addressing
// table of nonzero 8-byte values, each placed by its top tagBits (so
// that a grown table places the values again from them alone), probed
// linearly, at most three quarters full.
type slotTable struct {
	slots []uint64 // 0: empty
	n     int
}

// home is where the probe of a value with these top bits starts.
func (t *slotTable) home(v uint64) int { return int((v >> offBits) * uint64(len(t.slots)) >> tagBits) }

// next is the slot after i in a probe.
func (t *slotTable) next(i int) int { return (i + 1) % len(t.slots) }

// full reports whether one more value would pass three quarters.
func (t *slotTable) full() bool { return 4*(t.n+1) > 3*len(t.slots) }

// put stores v in the first free slot of its probe (n is the caller's).
func (t *slotTable) put(v uint64) {
	i := t.home(v)
	for t.slots[i] != 0 {
		i = t.next(i)
	}
	t.slots[i] = v
}

// grow makes the table half as large again.
func (t *slotTable) grow() { t.resize(max(64, len(t.slots)*3/2)) }

// reserve makes room for more values, so that a run that knows how many
// it will add does not grow the table (and hold the old one and the new
// one at once) while it adds them.
func (t *slotTable) reserve(more int) {
	size := (t.n+more)*4/3 + 1
	if more <= 0 || size <= len(t.slots) {
		return
	}
	t.resize(max(64, size))
}

// resize places the values anew in a table of size slots.
func (t *slotTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	for _, v := range old {
		if v != 0 {
			t.put(v)
		}
	}
}

// find returns the offset of key's line.
func (s *idLines) find(key string) (int64, bool, error) {
	if len(s.slots) == 0 {
		return 0, false, nil
	}
	h := idHash(key)
	tag := h >> offBits
	for i := s.home(h); ; i = s.next(i) {
		v := s.slots[i]
		if v == 0 {
			return 0, false, nil
		}
		if v>>offBits != tag {
			continue
		}
		off := int64(v&offMask) - 1
		k, err := s.keyAt(off)
		if err != nil {
			return 0, false, err
		}
		if k == key {
			return off, true, nil
		}
	}
}

// add records that key's line starts at off. When key is already in the
// set it records nothing and returns the offset of the line it is on.
func (s *idLines) add(key string, off int64) (dup bool, first int64, err error) {
	if off < 0 || off >= offMask {
		return false, 0, errors.New("the output file is larger than a terabyte")
	}
	if have, found, err := s.find(key); err != nil || found {
		return found, have, err
	}
	if s.full() {
		s.grow()
	}
	s.put(idHash(key)>>offBits<<offBits | uint64(off+1))
	s.n++
	return false, 0, nil
}

// each calls fn with the key of every id of the set.
func (s *idLines) each(fn func(key string)) error {
	for _, v := range s.slots {
		if v == 0 {
			continue
		}
		k, err := s.keyAt(int64(v&offMask) - 1)
		if err != nil {
			return err
		}
		fn(k)
	}
	return nil
}

// idPrefix opens every line Output.Write writes: the id comes first.
var idPrefix = []byte(`{"id":`)

// keyAt reads back the key of the id on the line at off: from the first
// bytes of the line when it starts with the id, as the lines Output
// writes do, else by decoding the whole line.
func (s *idLines) keyAt(off int64) (string, error) {
	var buf [256]byte
	n, err := s.f.ReadAt(buf[:], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	head := buf[:n]
	if bytes.HasPrefix(head, idPrefix) {
		// The id ends before the bytes read do, or it may be cut short.
		i := jsonscan.SkipSpace(head, len(idPrefix))
		if end, ok := jsonscan.ValueEnd(head, i); ok && end < len(head) {
			if k, err := idKey(head[i:end]); err == nil {
				return k, nil
			}
		}
	}
	line, err := lineAt(s.f, off)
	if err != nil {
		return "", err
	}
	k, msg := lineKey(line)
	if msg != "" {
		return "", errors.New("the line at offset changed: " + msg)
	}
	return k, nil
}

// lineAt reads the line starting at off, without its newline.
func lineAt(f io.ReaderAt, off int64) ([]byte, error) {
	buf := make([]byte, 0, 4096)
	for {
		chunk := buf[len(buf):cap(buf)]
		n, err := f.ReadAt(chunk, off+int64(len(buf)))
		if i := bytes.IndexByte(chunk[:n], '\n'); i >= 0 {
			return buf[:len(buf)+i], nil
		}
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			return nil, err
		}
		buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
	}
}

// lineNumber is the number (1-based) of the line starting at off.
func lineNumber(f io.ReaderAt, off int64) int {
	n := 1
	buf := make([]byte, 64<<10)
	for pos := int64(0); pos < off; {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), off-pos)], pos)
		n += bytes.Count(buf[:k], []byte{'\n'})
		pos += int64(k)
		if err != nil || k == 0 {
			break
		}
	}
	return n
}

// hashSet is a set of 64-bit hashes (the ids of an input while it is
// checked), in a slotTable: about 11–16 bytes a hash (a Go map of them
// takes 23).
type hashSet struct {
	slotTable
	zero bool // 0 is in the set (it cannot be a slot's value)
}

// add adds h and reports whether it was in the set already.
func (s *hashSet) add(h uint64) (had bool) {
	if h == 0 {
		had, s.zero = s.zero, true
		return had
	}
	if s.full() {
		s.grow()
	}
	i := s.home(h)
	for ; s.slots[i] != 0; i = s.next(i) {
		if s.slots[i] == h {
			return true
		}
	}
	s.slots[i] = h
	s.n++
	return false
}
