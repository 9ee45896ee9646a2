package tools

import (
	"encoding/json"

	"github.com/tollgate-mcp/tollgate/budget"
)

// A successful call's result is encoded once, when it is shaped: the
// small fields are marshalled and the data, which is most of the bytes,
// is copied in as the API sent it. runtime says when that copy is what
// json.Marshal would write (Response.DataVerbatim: no whitespace between
// tokens, nothing it escapes); otherwise the data is compacted once
// first. fit measures the result by the length of that encoding, and
// Result.JSON returns it, so a face sends the bytes that were measured
// without encoding the result again.

// successTail is Success without its data: the same fields, so that a
// *Success converts to it, with data left out of the JSON. Adding a
// field to Success without adding it here does not compile.
type successTail struct {
	Data       json.RawMessage            `json:"-"`
	More       map[string]json.RawMessage `json:"more,omitempty"`
	Pagination *PageInfo                  `json:"pagination,omitempty"`
	NextPage   map[string]any             `json:"nextPage,omitempty"`
	Metering   *MeteringInfo              `json:"metering,omitempty"`
	RequestID  string                     `json:"requestId,omitempty"`
	Notes      []string                   `json:"notes,omitempty"`
	Truncated  *Truncation                `json:"truncated,omitempty"`
	Budget     *budget.Status             `json:"budget,omitempty"`
}

// dataPrefix opens an encoded Success: data is its first field.
const dataPrefix = `{"data":`

// encodeSuccess returns the JSON of s, byte for byte what json.Marshal(s)
// writes. s.Data must be verbatim (see canonicalData); it is copied, not
// encoded.
func encodeSuccess(s *Success) ([]byte, error) {
	rest, err := json.Marshal((*successTail)(s))
	if err != nil {
		return nil, err
	}
	data := s.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	out := make([]byte, 0, len(dataPrefix)+len(data)+len(rest))
	out = append(out, dataPrefix...)
	out = append(out, data...)
	if len(rest) > 2 { // more than {}
		out = append(out, ',')
		out = append(out, rest[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

// canonicalData returns data as json.Marshal writes it: data itself when
// verbatim says it already is, else compacted (and escaped) once.
func canonicalData(data json.RawMessage, verbatim bool) (json.RawMessage, error) {
	if verbatim || len(data) == 0 {
		return data, nil
	}
	return json.Marshal(data)
}
