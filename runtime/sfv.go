package runtime

import (
	"errors"
	"strconv"
	"strings"
)

// This file is a small reader of HTTP structured fields (RFC 9651), just
// enough for RateLimit and RateLimit-Policy: lists and dictionaries of
// items with parameters. Inner lists are parsed and kept without their
// members. It is lenient where servers are sloppy (spaces around "=" and
// ";", decimals with more than three fraction digits) and strict enough
// never to misread a value: anything else is an error, and the caller
// ignores the field.

var errSF = errors.New("runtime: malformed structured field")

// sfToken is a bare token (as opposed to a string with the same text).
type sfToken string

// sfMember is one list member or dictionary value: value is int64,
// float64, string, sfToken, bool, []byte-less nil (a byte sequence or an
// inner list), with its parameters.
type sfMember struct {
	key    string // dictionary key; "" in a list
	value  any
	params sfParams
}

// name is the member's bare item as a name (a string or a token), or "".
func (m sfMember) name() string {
	switch v := m.value.(type) {
	case string:
		return v
	case sfToken:
		return string(v)
	}
	return ""
}

type sfParam struct {
	key   string
	value any
}

type sfParams []sfParam

func (ps sfParams) get(key string) (any, bool) {
	for i := len(ps) - 1; i >= 0; i-- { // the last one wins (RFC 9651 §4.2.3.2)
		if ps[i].key == key {
			return ps[i].value, true
		}
	}
	return nil, false
}

// int returns the parameter as a non-negative integer.
func (ps sfParams) int(key string) (int64, bool) {
	v, ok := ps.get(key)
	if n, isInt := v.(int64); ok && isInt && n >= 0 {
		return n, true
	}
	return 0, false
}

// number returns the parameter as a non-negative integer or decimal.
func (ps sfParams) number(key string) (float64, bool) {
	v, ok := ps.get(key)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return float64(n), n >= 0
	case float64:
		return n, n >= 0
	}
	return 0, false
}

// sfDict is a parsed dictionary, in order.
type sfDict []sfMember

func (d sfDict) params() sfParams {
	ps := make(sfParams, len(d))
	for i, m := range d {
		ps[i] = sfParam{key: m.key, value: m.value}
	}
	return ps
}

func (d sfDict) int(key string) (int64, bool)      { return d.params().int(key) }
func (d sfDict) number(key string) (float64, bool) { return d.params().number(key) }

type sfParser struct {
	s string
	i int
}

func (p *sfParser) ows() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) done() bool { return p.i >= len(p.s) }

func (p *sfParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

// parseSFList parses a List (RFC 9651 §4.2.1).
func parseSFList(s string) ([]sfMember, error) {
	p := &sfParser{s: s}
	var out []sfMember
	p.ows()
	if p.done() {
		return nil, nil
	}
	for {
		m, err := p.member()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.done() {
			return out, nil
		}
	}
}

// parseSFDictionary parses a Dictionary (RFC 9651 §4.2.2).
func parseSFDictionary(s string) (sfDict, error) {
	p := &sfParser{s: s}
	var out sfDict
	p.ows()
	if p.done() {
		return nil, nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.ows()
		m := sfMember{value: true}
		if p.peek() == '=' {
			p.i++
			p.ows()
			if m, err = p.member(); err != nil {
				return nil, err
			}
		} else if m.params, err = p.params(); err != nil {
			return nil, err
		}
		m.key = key
		out = append(out, m)
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.done() {
			return out, nil
		}
	}
}

// next consumes the separator after a member: OWS "," OWS, or the end.
func (p *sfParser) next() error {
	p.ows()
	if p.done() {
		return nil
	}
	if p.peek() != ',' {
		return errSF
	}
	p.i++
	p.ows()
	if p.done() {
		return errSF // a trailing comma
	}
	return nil
}

func (p *sfParser) member() (sfMember, error) {
	var m sfMember
	var err error
	if p.peek() == '(' {
		if err = p.innerList(); err != nil {
			return m, err
		}
	} else if m.value, err = p.bareItem(); err != nil {
		return m, err
	}
	m.params, err = p.params()
	return m, err
}

func (p *sfParser) innerList() error {
	p.i++ // (
	for {
		p.ows()
		if p.peek() == ')' {
			p.i++
			return nil
		}
		if p.done() {
			return errSF
		}
		if _, err := p.bareItem(); err != nil {
			return err
		}
		if _, err := p.params(); err != nil {
			return err
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return errSF
		}
	}
}

func (p *sfParser) params() (sfParams, error) {
	var ps sfParams
	for {
		save := p.i
		p.ows()
		if p.peek() != ';' {
			p.i = save
			return ps, nil
		}
		p.i++
		p.ows()
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		save = p.i
		p.ows()
		if p.peek() == '=' {
			p.i++
			p.ows()
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		} else {
			p.i = save
		}
		ps = append(ps, sfParam{key: key, value: v})
	}
}

func (p *sfParser) key() (string, error) {
	start := p.i
	c := p.peek()
	if !(c >= 'a' && c <= 'z' || c == '*') {
		return "", errSF
	}
	for !p.done() {
		c := p.s[p.i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) bareItem() (any, error) {
	c := p.peek()
	switch {
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == '"':
		return p.str()
	case c == '*' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		return p.token(), nil
	case c == ':':
		end := strings.IndexByte(p.s[p.i+1:], ':')
		if end < 0 {
			return nil, errSF
		}
		p.i += end + 2
		return nil, nil // a byte sequence: not needed, kept as nil
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			v := p.s[p.i+1] == '1'
			p.i += 2
			return v, nil
		}
	case c == '@': // a date (RFC 9651 §3.3.7): seconds since the epoch
		p.i++
		return p.number()
	}
	return nil, errSF
}

func (p *sfParser) number() (any, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits, dot := 0, false
	for !p.done() {
		c := p.s[p.i]
		if c >= '0' && c <= '9' {
			digits++
			p.i++
			continue
		}
		if c == '.' && !dot && digits > 0 {
			dot = true
			p.i++
			continue
		}
		break
	}
	text := p.s[start:p.i]
	if digits == 0 || digits > 18 || strings.HasSuffix(text, ".") {
		return nil, errSF
	}
	if dot {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, errSF
		}
		return f, nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, errSF
	}
	return n, nil
}

func (p *sfParser) str() (any, error) {
	p.i++ // "
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.done() || p.s[p.i] != '"' && p.s[p.i] != '\\' {
				return nil, errSF
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return b.String(), nil
		case c < 0x20 || c > 0x7e:
			return nil, errSF
		default:
			b.WriteByte(c)
		}
	}
	return nil, errSF
}

func (p *sfParser) token() sfToken {
	start := p.i
	p.i++
	for !p.done() {
		c := p.s[p.i]
		if c > 0x20 && c < 0x7f && !strings.ContainsRune(`"(),;<=>?@[\]{}`, rune(c)) || c == ':' || c == '/' {
			p.i++
			continue
		}
		break
	}
	return sfToken(p.s[start:p.i])
}
