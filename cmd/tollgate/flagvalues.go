package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// The flag value types below check a value when it is parsed, so a bad
// value exits 2 with one line naming the flag and what it takes
// (flagError formats it) before anything starts.

// intValue is an integer flag with bounds and, optionally, a word that
// stands for a special value ("none" for no cap, say).
type intValue[T ~int | ~int64] struct {
	p        *T
	min, max int64 // max 0: no upper bound
	word     string
	wordVal  T
	want     string // what the flag takes, for the error
	typ      string // the placeholder in help, e.g. "N" or "N|none"
	// why, when set, may explain an out-of-range number better than
	// want ("" means: say want).
	why func(n int64) string
}

func (v *intValue[T]) Set(s string) error {
	s = strings.TrimSpace(s)
	if v.word != "" && strings.EqualFold(s, v.word) {
		*v.p = v.wordVal
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && (n < v.min || (v.max != 0 && n > v.max)) && v.why != nil {
		if msg := v.why(n); msg != "" {
			return errors.New(msg)
		}
	}
	if err != nil || n < v.min || (v.max != 0 && n > v.max) {
		return errors.New("want " + v.want)
	}
	*v.p = T(n)
	return nil
}

func (v *intValue[T]) String() string {
	if v.p == nil {
		return ""
	}
	if v.word != "" && *v.p == v.wordVal {
		return v.word
	}
	return strconv.FormatInt(int64(*v.p), 10)
}

func (v *intValue[T]) Type() string { return v.typ }

// floatValue is a number flag in a range whose ends may be open.
type floatValue struct {
	p                *float64
	min, max         float64
	minOpen, maxOpen bool // the end itself is not allowed
	want, typ        string
}

func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) ||
		f < v.min || v.minOpen && f == v.min || f > v.max || v.maxOpen && f == v.max {
		return errors.New("want " + v.want)
	}
	*v.p = f
	return nil
}

func (v *floatValue) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.FormatFloat(*v.p, 'g', -1, 64)
}

func (v *floatValue) Type() string { return v.typ }

// durationValue is a duration flag that must not be negative.
type durationValue struct {
	p    *time.Duration
	want string
}

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return errors.New("want " + v.want)
	}
	*v.p = d
	return nil
}

func (v *durationValue) String() string {
	if v.p == nil {
		return ""
	}
	return v.p.String()
}

func (v *durationValue) Type() string { return "DURATION" }

// choiceValue is a string flag that takes one of a few words.
type choiceValue struct {
	p       *string
	choices []string
}

func (v *choiceValue) Set(s string) error {
	for _, c := range v.choices {
		if strings.EqualFold(s, c) {
			*v.p = c
			return nil
		}
	}
	return fmt.Errorf("want %s", orList(v.choices))
}

func (v *choiceValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v *choiceValue) Type() string { return strings.Join(v.choices, "|") }

// listenValue is an --http address: host:port, :port or a bare port,
// checked when parsed so that a typo exits 2 instead of failing to
// listen later.
type listenValue struct{ p *string }

func (v *listenValue) Set(s string) error {
	if err := checkListenAddr(s); err != nil {
		return err
	}
	*v.p = s
	return nil
}

func (v *listenValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v *listenValue) Type() string { return "ADDR" }

// checkListenAddr accepts a port (8080), :port, or host:port whose port
// is a number from 0 to 65535 (0 picks a free one).
func checkListenAddr(s string) error {
	const want = "want host:port or a port, e.g. 127.0.0.1:8080 or 8080"
	port := s
	if _, err := strconv.Atoi(s); err != nil {
		host, p, err := net.SplitHostPort(s)
		if err != nil {
			return errors.New(want)
		}
		if strings.ContainsAny(host, " /?#@") {
			return fmt.Errorf("host %q is not a host name or an IP address; %s", host, want)
		}
		port = p
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535; %s", port, want)
	}
	return nil
}

func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// plural is "1 credit", "2 credits".
func plural(n int64, unit string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
