package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
)

// decodeSuccess turns a 2xx answer into a *Response in one pass over the
// body: bodyScan.scan validates it exactly as json.Valid would and, on the
// way, notes where each top-level member of an envelope starts and ends
// and how many elements each array member holds. Only the envelope's
// small fields (requestId, pagination) are then decoded; data, meta and
// the other members are handed on as the body's own bytes.
func decodeSuccess(raw *rawResponse, m Metering, attempts int) (*Response, error) {
	resp := &Response{
		Status:    raw.status,
		Header:    raw.header,
		Body:      raw.body,
		Metering:  m,
		RequestID: m.RequestID,
		Attempts:  attempts,
	}
	malformed := func(why string) (*Response, error) {
		return nil, &APIError{
			Status: raw.status, Code: CodeMalformedResponse, Message: why,
			RequestID: m.RequestID, Metering: m, Attempts: attempts,
		}
	}
	if raw.status == http.StatusNoContent {
		return resp, nil
	}
	trimmed := bytes.TrimSpace(raw.body)
	if len(trimmed) == 0 {
		return malformed(fmt.Sprintf("HTTP %d with an empty or cut-off body", raw.status))
	}
	var sc bodyScan
	if !sc.scan(trimmed) {
		return malformed(fmt.Sprintf("HTTP %d with a body that is not valid JSON (%d bytes, possibly truncated)", raw.status, len(trimmed)))
	}
	resp.Data = trimmed[:len(trimmed):len(trimmed)]
	if trimmed[0] != '{' {
		if trimmed[0] == '[' {
			resp.Rows = sc.rootElems
		}
		return resp, nil
	}
	// The members, by name; a name given twice means its last value, as
	// when the object is decoded into a map.
	var data, requestID, pagination, meta *member
	for i := range sc.members {
		mb := &sc.members[i]
		mb.nameStr = mb.name(trimmed)
		switch mb.nameStr {
		case "data":
			data = mb
		case "requestId":
			requestID = mb
		case "pagination":
			pagination = mb
		case "meta":
			meta = mb
		}
	}
	if data == nil {
		if requestID != nil {
			var s string
			if json.Unmarshal(requestID.value(trimmed), &s) == nil && sanitizeID(s) != "" {
				resp.RequestID = sanitizeID(s)
			}
		}
		return resp, nil
	}
	var id string
	if requestID != nil {
		if err := json.Unmarshal(requestID.value(trimmed), &id); err != nil {
			return malformed("the envelope's pagination or requestId has the wrong type: " + err.Error())
		}
	}
	if pagination != nil {
		if err := json.Unmarshal(pagination.value(trimmed), &resp.Pagination); err != nil {
			return malformed("the envelope's pagination or requestId has the wrong type: " + err.Error())
		}
	}
	resp.Enveloped = true
	resp.Data = data.value(trimmed)
	if trimmed[data.val] == '[' {
		resp.Rows = data.elems
	}
	if meta != nil {
		resp.Meta = meta.value(trimmed)
	}
	for i := range sc.members {
		mb := &sc.members[i]
		switch mb.nameStr {
		case "data", "requestId", "pagination", "meta":
		default:
			if resp.Extra == nil {
				resp.Extra = map[string]json.RawMessage{}
			}
			resp.Extra[mb.nameStr] = mb.value(trimmed)
		}
	}
	if id := sanitizeID(id); id != "" {
		resp.RequestID = id
	}
	return resp, nil
}

// member is where one member of the body's top-level object lies: its
// name (with the quotes) at [key, keyEnd), its value at [val, valEnd).
// elems counts the value's elements when it is an array.
type member struct {
	key, keyEnd int
	val, valEnd int
	elems       int
	escaped     bool   // the name holds a backslash or a non-ASCII byte
	nameStr     string // the name, once decodeSuccess has read it
}

// name is the member's name, unescaped as encoding/json unescapes it.
func (mb *member) name(body []byte) string {
	raw := body[mb.key:mb.keyEnd]
	if !mb.escaped {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid: the scan said so
	return s
}

// value is the member's value, capped so that appending to it cannot
// overwrite the rest of the body.
func (mb *member) value(body []byte) json.RawMessage {
	return body[mb.val:mb.valEnd:mb.valEnd]
}

// maxDepth is encoding/json's nesting limit, which json.Valid enforces.
const maxDepth = 10000

// bodyScan validates a JSON text and notes its top-level structure.
type bodyScan struct {
	members   []member // the members of a top-level object
	rootElems int      // the elements of a top-level array
	buf       [8]member
}

// scan reports whether b (without surrounding whitespace) is one valid
// JSON value, accepting exactly what json.Valid accepts: RFC 8259
// grammar, nesting up to maxDepth, and any byte of 0x20 and above inside
// strings (like json.Valid, it does not check UTF-8).
func (sc *bodyScan) scan(b []byte) bool {
	sc.members = sc.buf[:0]
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	n := len(b)
	i := skipSpace(b, 0)
	rootObject := i < n && b[i] == '{'
	const (
		stValue = iota // a value starts at i
		stAfter        // a value ended at i
		stKey          // a member's name starts at i
	)
	state := stValue
	for {
		switch state {
		case stValue:
			if i >= n {
				return false
			}
			if d := len(stack); d > 0 && stack[d-1] == '[' {
				switch {
				case d == 1:
					sc.rootElems++
				case d == 2 && rootObject:
					sc.members[len(sc.members)-1].elems++
				}
			}
			switch c := b[i]; {
			case c == '{' || c == '[':
				if len(stack) == maxDepth {
					return false
				}
				stack = append(stack, c)
				i = skipSpace(b, i+1)
				if i >= n {
					return false
				}
				switch {
				case c == '{' && b[i] == '}', c == '[' && b[i] == ']':
					stack = stack[:len(stack)-1]
					i++
					state = stAfter
				case c == '{':
					state = stKey
				}
				continue
			case c == '"':
				if i = scanString(b, i); i < 0 {
					return false
				}
			case c == 't':
				if string(b[i:min(i+4, n)]) != "true" {
					return false
				}
				i += 4
			case c == 'f':
				if string(b[i:min(i+5, n)]) != "false" {
					return false
				}
				i += 5
			case c == 'n':
				if string(b[i:min(i+4, n)]) != "null" {
					return false
				}
				i += 4
			case c == '-' || c >= '0' && c <= '9':
				if i = scanNumber(b, i); i < 0 {
					return false
				}
			default:
				return false
			}
			state = stAfter
		case stAfter:
			d := len(stack)
			if d == 1 && rootObject {
				sc.members[len(sc.members)-1].valEnd = i
			}
			i = skipSpace(b, i)
			if d == 0 {
				return i == n
			}
			if i >= n {
				return false
			}
			top := stack[d-1]
			switch c := b[i]; {
			case c == ',':
				i = skipSpace(b, i+1)
				if top == '{' {
					state = stKey
				} else {
					state = stValue
				}
			case c == '}' && top == '{', c == ']' && top == '[':
				stack = stack[:d-1]
				i++
			default:
				return false
			}
		case stKey:
			if i >= n || b[i] != '"' {
				return false
			}
			start := i
			if i = scanString(b, i); i < 0 {
				return false
			}
			if len(stack) == 1 && rootObject {
				sc.members = append(sc.members, member{key: start, keyEnd: i, escaped: needsUnquote(b[start+1 : i-1])})
			}
			i = skipSpace(b, i)
			if i >= n || b[i] != ':' {
				return false
			}
			i = skipSpace(b, i+1)
			if len(stack) == 1 && rootObject {
				sc.members[len(sc.members)-1].val = i
			}
			state = stValue
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// needsUnquote reports whether a name holds an escape or a non-ASCII
// byte (which encoding/json checks as UTF-8).
func needsUnquote(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= 0x80 {
			return true
		}
	}
	return false
}

// Bytes of eight copies, for scanning a string eight bytes at a time.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether none of the eight bytes of w ends a run of
// plain string bytes: none is a quote, a backslash or a control byte
// (below 0x20). Each test is the classic "has a zero byte" trick, which
// is exact for "any".
func plain8(w uint64) bool {
	q := w ^ (ones * '"')
	s := w ^ (ones * '\\')
	return ((q-ones)&^q|(s-ones)&^s|(w-ones*0x20)&^w)&highs == 0
}

// scanString returns the index after the string that starts at b[i]
// (a quote), or -1 when it is not a valid JSON string.
func scanString(b []byte, i int) int {
	i++
	for {
		for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		// The next eight bytes hold the end of the run: find it byte by
		// byte rather than testing the same word again.
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return -1
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			i++
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) {
					return -1
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return -1
					}
				}
				i += 5
			default:
				return -1
			}
		default: // a control byte
			return -1
		}
	}
}

// plainByte marks the bytes a string holds as they are: all but the
// quote, the backslash and the control bytes.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber returns the index after the number that starts at b[i], or
// -1 when it is not a valid JSON number. What follows it is the
// caller's to check.
func scanNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
		if i >= len(b) {
			return -1
		}
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
