package main

import (
	"context"
	"strings"
	"testing"
)

func TestBenchRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--sessions", "1,x"},
		{"bench", "--batch-lines", "0"},
		{"bench", "--only", "speed"},
		{"bench", "extra"},
	} {
		c, _, stderr := testCLI(nil)
		code := run(context.Background(), c, args)
		if code != exitUsage || !strings.Contains(stderr.String(), "tollgate bench") {
			t.Errorf("%q: exit %d, stderr %q; want %d and a message", args, code, stderr.String(), exitUsage)
		}
	}
}
