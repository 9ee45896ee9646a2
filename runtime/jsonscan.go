package runtime

import (
	"encoding/binary"
	"encoding/json"

	"github.com/tollgate-mcp/tollgate/internal/jsonscan"
)

// member is where one member of the body's top-level object lies: its
// name (with the quotes) at [key, keyEnd), its value at [val, valEnd).
// elems counts the value's elements when it is an array.
type member struct {
	key, keyEnd int
	val, valEnd int
	elems       int
	escaped     bool // the name holds a backslash or a non-ASCII byte
	// recoded: json.Marshal would not copy the value as it is, since it
	// holds whitespace between tokens or bytes it escapes.
	recoded bool
	extra   bool // not one of the envelope's own members (decodeSuccess)
}

// name is the member's name, unescaped as encoding/json unescapes it: the
// body's own bytes unless it holds an escape or non-ASCII bytes.
func (mb *member) name(body []byte) []byte {
	raw := body[mb.key:mb.keyEnd]
	if !mb.escaped {
		return raw[1 : len(raw)-1]
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid: the scan said so
	return []byte(s)
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
	members    []member // the members of a top-level object
	rootElems  int      // the elements of a top-level array
	rootObject bool
	// recoded is member.recoded for the whole text.
	recoded bool
	buf     [8]member
}

// recode notes that json.Marshal would not copy the text as it is, nor
// the member's value when d, the depth of the point that says so (the
// containers open around it), puts it inside one.
func (sc *bodyScan) recode(d int) {
	sc.recoded = true
	if sc.rootObject && d >= 2 {
		sc.members[len(sc.members)-1].recoded = true
	}
}

// space skips whitespace at i, at depth d, and notes it when it lies
// inside the text (not around it).
func (sc *bodyScan) space(b []byte, i, d int) int {
	j := jsonscan.SkipSpace(b, i)
	if j != i && d >= 1 {
		sc.recode(d)
	}
	return j
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
	i := jsonscan.SkipSpace(b, 0)
	rootObject := i < n && b[i] == '{'
	sc.rootObject = rootObject
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
				i = sc.space(b, i+1, len(stack))
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
				var escape bool
				if i, escape = scanString(b, i); i < 0 {
					return false
				}
				if escape {
					sc.recode(len(stack) + 1) // a member's value is inside it
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
			if d == 0 {
				return jsonscan.SkipSpace(b, i) == n
			}
			i = sc.space(b, i, d)
			if i >= n {
				return false
			}
			top := stack[d-1]
			switch c := b[i]; {
			case c == ',':
				i = sc.space(b, i+1, d)
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
			var escape bool
			if i, escape = scanString(b, i); i < 0 {
				return false
			}
			d := len(stack)
			if d == 1 && rootObject {
				sc.members = append(sc.members, member{key: start, keyEnd: i, escaped: needsUnquote(b[start+1 : i-1])})
			}
			if escape {
				sc.recode(d)
			}
			i = sc.space(b, i, d)
			if i >= n || b[i] != ':' {
				return false
			}
			i = sc.space(b, i+1, d)
			if len(stack) == 1 && rootObject {
				sc.members[len(sc.members)-1].val = i
			}
			state = stValue
		}
	}
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

// zero8 has the high bit set in each byte of its result where the byte
// of t is zero, and possibly in bytes above such a byte: exact for "is
// any byte zero".
func zero8(t uint64) uint64 { return (t - ones) &^ t & highs }

// plain8 reports whether all eight bytes of w are plain string bytes:
// none is a quote, a backslash, a control byte (below 0x20), or one that
// encoding/json escapes when it writes JSON (<, >, & and 0xE2, the first
// byte of U+2028 and U+2029). A quote and an ampersand differ in one bit,
// as do < and >, so one test covers each pair.
func plain8(w uint64) bool {
	return zero8((w|ones*0x04)^ones*'&')|zero8((w|ones*0x02)^ones*'>')|zero8(w^ones*'\\')|
		zero8(w^ones*0xE2)|(w-ones*0x20)&^w&highs == 0
}

// scanString returns the index after the string that starts at b[i] (a
// quote), or -1 when it is not a valid JSON string. escape reports that
// json.Marshal would not write the string as it is: it holds <, >, &,
// U+2028 or U+2029, which encoding/json escapes.
func scanString(b []byte, i int) (end int, escape bool) {
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
			return -1, false
		}
		switch b[i] {
		case '"':
			return i + 1, escape
		case '\\':
			i++
			if i >= len(b) {
				return -1, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) {
					return -1, false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return -1, false
					}
				}
				i += 5
			default:
				return -1, false
			}
		case '<', '>', '&':
			escape = true
			i++
		case 0xE2:
			if i+2 < len(b) && b[i+1] == 0x80 && b[i+2]&^1 == 0xA8 {
				escape = true
			}
			i++
		default: // a control byte
			return -1, false
		}
	}
}

// plainByte marks the bytes plain8 lets through.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xE2
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
