package argschema

import (
	"fmt"
	"regexp"
	"strings"
)

// JSON Schema patterns are ECMA-262 regular expressions (with the u
// flag, as validators use them); Compile runs them with Go's regexp
// (RE2). Most patterns mean the same in both. Where they do not,
// compilePattern makes them agree or refuses:
//
//   - \s and \S are ECMA's (\v, no-break and Unicode spaces, the BOM),
//     and . does not match \r, U+2028 or U+2029, as in ECMA;
//   - syntax Go reads and ECMA reads otherwise or refuses is an error:
//     \A, \z, \Q...\E, \C, \pL without braces, \x{...}, (?i) and other
//     flags, (?P<name>...), [[:alpha:]];
//   - what Go cannot compile (lookaround, backreferences) is an error.

// ecmaSpace is what ECMA-262's \s matches, as a Go class body.
const ecmaSpace = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

// compilePattern compiles the ECMA-262 pattern p with Go's regexp, or
// says why it cannot be enforced as ECMA reads it.
func compilePattern(p string) (*regexp.Regexp, error) {
	goPattern, err := fromECMA(p)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(goPattern)
	if err != nil {
		return nil, fmt.Errorf("%q is not a regular expression Go can compile: %v", p, err)
	}
	return re, nil
}

// fromECMA rewrites the ECMA-262 pattern p into Go syntax of the same
// meaning (see above).
func fromECMA(p string) (string, error) {
	differs := func(what string) error {
		return fmt.Errorf("%q uses %s, which Go's regexp and ECMA-262 (the dialect of JSON Schema patterns) read differently", p, what)
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			i++
			switch e := p[i]; e {
			case 'A', 'z', 'Q', 'E', 'C':
				return "", differs(`\` + string(e))
			case 'p', 'P':
				if i+1 >= len(p) || p[i+1] != '{' {
					return "", differs(`\` + string(e) + " without braces")
				}
				b.WriteByte('\\')
				b.WriteByte(e)
			case 'x':
				if i+1 < len(p) && p[i+1] == '{' {
					return "", differs(`\x{...}`)
				}
				b.WriteString(`\x`)
			case 's':
				if inClass {
					b.WriteString(ecmaSpace)
				} else {
					b.WriteString("[" + ecmaSpace + "]")
				}
			case 'S':
				if inClass {
					return "", differs(`\S inside a class`)
				}
				b.WriteString("[^" + ecmaSpace + "]")
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case inClass:
			if c == '[' && i+1 < len(p) && p[i+1] == ':' {
				return "", differs("[: inside a class (a POSIX class in Go)")
			}
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ] first in the class (or after ^) is a literal in Go and
			// an empty class in ECMA.
			if j := i + 1; j < len(p) && p[j] == ']' || j+1 < len(p) && p[j] == '^' && p[j+1] == ']' {
				return "", differs("[] or [^]")
			}
		case c == '(' && i+1 < len(p) && p[i+1] == '?':
			rest := p[i+2:]
			switch {
			case strings.HasPrefix(rest, "P<"):
				return "", differs("(?P<name>...)")
			case rest == "" || !strings.ContainsRune(":=!<", rune(rest[0])):
				return "", differs("a (?flags) group")
			}
			// (?:...) and (?<name>...) mean the same in both; Go's
			// compile refuses lookarounds.
			b.WriteByte(c)
		case c == '.':
			b.WriteString(`[^\n\r\x{2028}\x{2029}]`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
