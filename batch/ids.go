package batch

import (
	"bytes"
	"errors"
	"hash/maphash"
	"io"
)

// A batch of a million lines must not hold a million ids: the sets of ids
// it keeps (the ids of the input while it is checked, the ids of the
// output file) hold a 64-bit hash of each id's key (idKey) and where to
// read the id again. A hash found in a set is confirmed by reading that
// id back and comparing keys, so two ids whose hashes collide (a matter
// of luck with a 64-bit hash: about 1 in 10^8 for a million ids) are
// still told apart, and the set is exact.

// hashSeed seeds idHash for the life of the process.
var hashSeed = maphash.MakeSeed()

// idHash is the hash of an id's key; a variable so that a test can make
// ids collide.
var idHash = func(key string) uint64 { return maphash.String(hashSeed, key) }

// idLines is the set of ids of an output file: the offset of each id's
// line, by the hash of its key, and by the key itself for an id whose
// hash another id of the file has (clash). 16 bytes an id.
type idLines struct {
	f     io.ReaderAt
	byKey map[uint64]int64
	clash map[string]int64
	n     int
}

// find returns the offset of key's line.
func (s *idLines) find(key string) (int64, bool, error) {
	off, ok := s.byKey[idHash(key)]
	if !ok {
		return 0, false, nil
	}
	k, err := s.keyAt(off)
	if err != nil {
		return 0, false, err
	}
	if k == key {
		return off, true, nil
	}
	off, ok = s.clash[key]
	return off, ok, nil
}

// add records that key's line starts at off. When key is already in the
// set it records nothing and returns the offset of the line it is on.
func (s *idLines) add(key string, off int64) (dup bool, first int64, err error) {
	if s.byKey == nil {
		s.byKey = map[uint64]int64{}
	}
	h := idHash(key)
	old, taken := s.byKey[h]
	if !taken {
		s.byKey[h] = off
		s.n++
		return false, 0, nil
	}
	k, err := s.keyAt(old)
	if err != nil {
		return false, 0, err
	}
	if k != key {
		old, taken = s.clash[key]
	}
	if taken {
		return true, old, nil
	}
	if s.clash == nil {
		s.clash = map[string]int64{}
	}
	s.clash[key] = off
	s.n++
	return false, 0, nil
}

// each calls fn with the key of every id of the set.
func (s *idLines) each(fn func(key string)) error {
	for _, off := range s.byKey {
		k, err := s.keyAt(off)
		if err != nil {
			return err
		}
		fn(k)
	}
	for k := range s.clash {
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
		i := skipSpace(head, len(idPrefix))
		if end, ok := valueEnd(head, i); ok {
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

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// valueEnd returns where the JSON string or number at b[i:] ends, and
// whether it ends within b followed by a delimiter.
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	if b[i] == '"' {
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1, true
			}
		}
		return 0, false
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ' ', '\t', '\r', '\n':
			return j, j > i
		}
	}
	return 0, false
}
