package batch

import (
	"bytes"
	"encoding/json"
)

// A run reads its input several times (check, plan, calls, followers),
// and a fresh json.Decoder for each line and for each line's arguments
// cost about 2 KB of garbage a line (the decoder, its scanner and its
// read buffer), most of what made a large batch's heap grow between
// collections. A lineDecoder keeps one decoder per reading and feeds it a
// line at a time: what a line then allocates is only what it yields (its
// id, tool and arguments).

// lineDecoder decodes the lines of one reading of an input, one at a
// time; not safe for concurrent use.
type lineDecoder struct {
	line, args feed           // a line, and its arguments (json.Number for numbers)
	in         inputLine      // what line decodes into
	out        map[string]any // what args decodes into
}

// feed is a json.Decoder reused for one value after another. Each value
// is handed to it whole; a value that is not exactly one JSON value (an
// error, text after it, a value cut short) makes decode report false,
// and the caller decodes that line afresh to say what is wrong with it.
type feed struct {
	r   bytes.Reader
	dec *json.Decoder
	fed int64 // bytes given to dec so far
}

// decode decodes b, which must be exactly one JSON value (leading and
// trailing space trimmed), into v; ok is false when it is not, or when
// v's type refuses it.
func (f *feed) decode(b []byte, v any, line bool) (ok bool) {
	f.r.Reset(b)
	if f.dec == nil {
		f.dec = json.NewDecoder(&f.r)
		if line {
			f.dec.DisallowUnknownFields()
		} else {
			f.dec.UseNumber()
		}
		f.fed = 0
	}
	f.fed += int64(len(b))
	// The decoder reads ahead no further than b, and stops at the end of
	// the value; anything it did not consume (text after the value) or
	// any error (a sticky one, like the end of its reader) retires it.
	if err := f.dec.Decode(v); err != nil || f.dec.InputOffset() != f.fed || f.r.Len() != 0 {
		f.dec = nil
		return false
	}
	return true
}
