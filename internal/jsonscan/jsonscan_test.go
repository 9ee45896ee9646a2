package jsonscan

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestValueEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		at   int
		end  int
		ends bool
	}{
		{`"abc",`, 0, 5, true},
		{`"a\"b"}`, 0, 6, true},
		{`"cut`, 0, 0, false},
		{`{"a":"}]","b":[1,{"c":2}]} x`, 0, 26, true},
		{`[1,[2,3],"]"],`, 0, 13, true},
		{`{"a":1`, 0, 0, false},
		{`123,`, 0, 3, true},
		{`-1.5e3}`, 0, 6, true},
		{`true]`, 0, 4, true},
		{`null`, 0, 4, true}, // ends with b: the caller checks for a delimiter
		{`x: 12 `, 3, 5, true},
		{`,`, 0, 0, false},
		{``, 0, 0, false},
	} {
		end, ok := ValueEnd([]byte(c.in), c.at)
		if end != c.end || ok != c.ends {
			t.Errorf("ValueEnd(%q, %d) = %d, %v; want %d, %v", c.in, c.at, end, ok, c.end, c.ends)
		}
	}
}

func TestSkipSpace(t *testing.T) {
	for _, c := range []struct {
		in     string
		at, to int
	}{
		{" \t\r\n x", 0, 5},
		{"x", 0, 0},
		{"a  ", 1, 3},
		{"", 0, 0},
	} {
		if got := SkipSpace([]byte(c.in), c.at); got != c.to {
			t.Errorf("SkipSpace(%q, %d) = %d, want %d", c.in, c.at, got, c.to)
		}
	}
}
