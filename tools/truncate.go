package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Results larger than Config.MaxResultBytes are cut to fit (fit), by
// whole rows where the data is a list, with a note saying what was cut
// and, for a list that pages, the arguments that fetch the rest
// (restArgs).

// countRows counts the elements of a JSON array (0 for anything else)
// without decoding them: data is valid JSON, checked by runtime.
func countRows(data json.RawMessage) int {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '[' {
		return 0
	}
	n, depth, inString, escaped, empty := 0, 0, false, false, true
	for _, c := range data[1 : len(data)-1] {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			n++
		}
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			empty = false
		}
	}
	if empty {
		return 0
	}
	return n + 1
}

// fit cuts s down to the result size limit and returns its encoding
// (encodeSuccess; s.Data must be verbatim): whole rows are dropped from
// the end of a list, long strings are shortened in a single object, and a
// note says what was cut and how to ask for less. A result within the
// limit is encoded once and measured by that encoding's length; only one
// over it is encoded again, for each candidate cut.
func (b *Toolbox) fit(s *Success) ([]byte, error) {
	enc, err := encodeSuccess(s)
	if err != nil || len(enc) <= b.max {
		return enc, err
	}
	if rows := splitRows(s.Data); len(rows) > 0 {
		all := s.Data
		// Each candidate is measured with its note in place, since the
		// note counts towards the limit too.
		cut := func(n int) {
			s.Data = joinRows(rows[:n])
			s.Truncated = &Truncation{RowsReturned: len(rows), RowsShown: n,
				Note: fmt.Sprintf("The result was too large: only the first %d of %d returned rows are shown (all %d were charged). Ask for fewer rows (limit=%d), fewer fields (fields, dotted paths) or narrow the query to see the rest.", n, len(rows), len(rows), max(n, 1))}
		}
		size := func() int {
			e, err := encodeSuccess(s)
			if err != nil {
				return math.MaxInt
			}
			return len(e)
		}
		lo, hi := 0, len(rows) // the most rows that fit is in [lo, hi)
		for lo+1 < hi {
			mid := (lo + hi) / 2
			cut(mid)
			if size() <= b.max {
				lo = mid
			} else {
				hi = mid
			}
		}
		cut(lo)
		if lo == 0 {
			// Not even one whole row fits: show every row with its long
			// strings cut, and say so.
			s.Data = all
			shortenStrings(s, 200)
			s.Truncated = &Truncation{RowsReturned: len(rows), RowsShown: countRows(s.Data),
				Note: "The result was too large even for one whole row: long text fields were shortened (marked with …). Ask for fewer rows (limit=1), or only the fields you need (fields, dotted paths), to see them in full."}
		}
		return encodeSuccess(s)
	}
	before := len(s.Data)
	shortenStrings(s, 500)
	if len(s.Data) != before {
		s.Truncated = &Truncation{Note: "The result was too large: long text fields were shortened (marked with …). Ask for only the fields you need (fields, dotted paths) to see them in full."}
	}
	return encodeSuccess(s)
}

// splitRows returns the elements of a JSON array as they are written
// (nil for anything else, or an empty array).
func splitRows(data json.RawMessage) []json.RawMessage {
	var rows []json.RawMessage
	if err := elements(bytes.TrimSpace(data), func(it []byte) error {
		rows = append(rows, it)
		return nil
	}); err != nil {
		return nil
	}
	return rows
}

// joinRows writes rows as a JSON array: what json.Marshal writes for
// them when each is verbatim.
func joinRows(rows []json.RawMessage) json.RawMessage {
	n := 2
	for _, r := range rows {
		n += len(r) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, r := range rows {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, r...)
	}
	return append(out, ']')
}

// restArgs returns the arguments that fetch exactly the rows of a list
// page that a truncated result did not show: rows [shown, returned) of the
// page sent. Page-based operations get a smaller limit that divides the
// first missing row's offset, so a page boundary falls on it.
func restArgs(t *Tool, sent map[string]any, shown, returned int) map[string]any {
	if shown <= 0 || shown >= returned {
		return nil
	}
	rest := cloneArgs(sent)
	missing := int64(returned - shown)
	switch t.Paging {
	case PagingOffset:
		off, _ := asInt(sent["offset"])
		rest["offset"] = off + int64(shown)
		rest["limit"] = missing
	case PagingPage:
		limit, ok := asInt(sent["limit"])
		if !ok {
			limit = t.DefaultLimit
		}
		rest["page"], rest["limit"] = alignedPage((pageOf(sent)-1)*limit+int64(shown), missing)
	default:
		return nil
	}
	return rest
}

func shortenStrings(s *Success, limit int) {
	var v any
	if json.Unmarshal(s.Data, &v) != nil {
		return
	}
	v = shorten(v, limit)
	s.Data, _ = json.Marshal(v)
}

func shorten(v any, limit int) any {
	switch x := v.(type) {
	case string:
		r := []rune(x)
		if len(r) > limit {
			return string(r[:limit]) + fmt.Sprintf("…[%d more characters]", len(r)-limit)
		}
	case []any:
		for i := range x {
			x[i] = shorten(x[i], limit)
		}
	case map[string]any:
		for k := range x {
			x[k] = shorten(x[k], limit)
		}
	}
	return v
}
