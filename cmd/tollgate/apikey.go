package main

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// checkAPIKey refuses a key that cannot be sent in an Authorization
// header: one with whitespace or control characters, as a key pasted
// with its line break or read from a CRLF file has. Go's HTTP client
// would refuse every request, which looks like a network failure and
// is retried; this says what is wrong at start, without showing the
// key.
func checkAPIKey(key string) error {
	if !utf8.ValidString(key) {
		return usageErrorf("%s is not valid UTF-8 text: set it to the key alone (tt_live_...); the value is not shown", envAPIKey)
	}
	n := utf8.RuneCountInString(key)
	i := 0
	for _, r := range key {
		i++
		if !unicode.IsSpace(r) && !unicode.IsControl(r) {
			continue
		}
		where := fmt.Sprintf("at character %d of %d", i, n)
		switch i {
		case 1:
			where = "at its start"
		case n:
			where = "at its end"
		}
		return usageErrorf("%s holds %s %s; an API key has no spaces or control characters: set it to the key alone, e.g. export %s=\"$(tr -d '[:space:]' < keyfile)\" (the value is not shown)",
			envAPIKey, runeName(r), where, envAPIKey)
	}
	return nil
}

// runeName names a whitespace or control character for a message.
func runeName(r rune) string {
	switch r {
	case '\n':
		return "a line break (\\n)"
	case '\r':
		return "a carriage return (\\r)"
	case '\t':
		return "a tab"
	case ' ':
		return "a space"
	case '\u00a0':
		return "a non-breaking space"
	}
	return fmt.Sprintf("the character U+%04X", r)
}
