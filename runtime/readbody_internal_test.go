package runtime

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readBody reads what io.ReadAll would, whatever the announced size says
// and however the reader hands the bytes over.
func TestReadBodyReadsWhatReadAllReads(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 2048) // 32 KB
	for _, tc := range []struct {
		name string
		size int64
	}{
		{"announced exactly", int64(len(body))},
		{"size unknown", -1},
		{"empty, announced", 0},
		{"announced shorter than sent", 100},
		{"announced longer than sent", int64(len(body)) + 500},
	} {
		for _, wrap := range []struct {
			name string
			f    func(io.Reader) io.Reader
		}{
			{"plain", func(r io.Reader) io.Reader { return r }},
			{"one byte at a time", iotest.OneByteReader},
			{"EOF with the last bytes", iotest.DataErrReader},
			{"half reads", iotest.HalfReader},
		} {
			got, err := readBody(wrap.f(strings.NewReader(body)), tc.size)
			if err != nil || string(got) != body {
				t.Errorf("%s, %s: got %d bytes, %v; want all %d", tc.name, wrap.name, len(got), err, len(body))
			}
		}
	}
	for _, size := range []int64{-1, 0, 10} {
		got, err := readBody(strings.NewReader(""), size)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("an empty body, size %d: got %#v, %v; want an empty, non-nil slice as ReadAll's", size, got, err)
		}
	}
	// A pooled buffer is never handed out twice: each body is its own.
	a, _ := readBody(strings.NewReader("first body"), -1)
	b, _ := readBody(strings.NewReader("second"), -1)
	if string(a) != "first body" || string(b) != "second" {
		t.Errorf("two bodies of unknown size: %q and %q", a, b)
	}
	boom := errors.New("connection reset")
	for _, size := range []int64{1000, -1} {
		got, err := readBody(io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom)), size)
		if !errors.Is(err, boom) || !bytes.Equal(got, []byte("partial")) {
			t.Errorf("a body cut short, size %d: got %q, %v; want the bytes read and the error", size, got, err)
		}
	}
}
