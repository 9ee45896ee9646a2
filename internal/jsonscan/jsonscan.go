// Package jsonscan finds where JSON values end in bytes that are not
// decoded: the few steps that tollgate's readers of raw JSON (the
// runtime's envelope scan, the tools' projection of rows, the batch
// output's ids) share.
package jsonscan

// SkipSpace returns the index of the first byte at or after i that is
// not JSON whitespace (len(b) when there is none).
func SkipSpace(b []byte, i int) int {
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

// ValueEnd returns the index just past the JSON value that starts at
// b[i], and false when b holds no whole value there. A string, object or
// array ends at its closing byte; any other value (a number, true,
// false, null) at the next delimiter or at the end of b, so a caller
// reading a prefix of a document must check that a delimiter follows.
// It finds the end without validating what lies inside.
func ValueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1, true
			}
		}
		return 0, false
	case '{', '[':
		depth, inString := 0, false
		for j := i; j < len(b); j++ {
			c := b[j]
			switch {
			case inString:
				if c == '\\' {
					j++
				} else if c == '"' {
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for ; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j, j > i
		}
	}
	return j, j > i
}
