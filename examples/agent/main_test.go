package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestFakeRunStopsAtTheCapAndAnswers is the example's smoke test: the
// scripted model pages until the budget halts it, then answers.
func TestFakeRunStopsAtTheCapAndAnswers(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-fake", "-max-credits", "50"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "biggest are") || !strings.Contains(out.String(), "budget_cap_reached") {
		t.Fatalf("answer:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "50 credits spent of a 50-credit cap") {
		t.Fatalf("summary:\n%s", errb.String())
	}
}
