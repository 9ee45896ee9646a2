package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
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

// scriptedSession runs the -fake session (the question and its three
// follow-ups) with an unbounded budget and returns what it gave.
func scriptedSession(tb testing.TB, noCache bool) *session {
	tb.Helper()
	cfg := config{questions: []string{defaultQuestion, followUpTopAd, followUpAdvertiser, followUpCompare},
		fake: true, maxCredits: -1, maxTurns: 10, sandbox: true, noCache: noCache}
	s, err := ask(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestTheCacheGivesTheSameAnswersForFewerCredits replays the scripted
// session with the cache and without: the answers are the same, and
// the repeats (the same first page, the same ads) cost nothing.
func TestTheCacheGivesTheSameAnswersForFewerCredits(t *testing.T) {
	off, on := scriptedSession(t, true), scriptedSession(t, false)
	if len(on.answers) != 4 || !slices.Equal(on.answers, off.answers) {
		t.Fatalf("answers differ:\nwith the cache: %q\nwithout: %q", on.answers, off.answers)
	}
	for _, a := range on.answers {
		if strings.Contains(a, "could not") {
			t.Errorf("a question went unanswered: %s", a)
		}
	}
	if off.spent != 135 || on.spent != 73 || on.cached != 5 {
		t.Errorf("credits without the cache %d, with it %d (%d hits); want 135, 73 and 5", off.spent, on.spent, on.cached)
	}
}

// BenchmarkScriptedSession measures the credits of the scripted session
// with the cache and without, each iteration running both (README's
// Measured section records the saving). The counts do not depend on the
// machine; the time per session is reported as usual.
func BenchmarkScriptedSession(b *testing.B) {
	var off, on, hits int64
	for b.Loop() {
		o, c := scriptedSession(b, true), scriptedSession(b, false)
		if !slices.Equal(o.answers, c.answers) {
			b.Fatal("the cache changed an answer")
		}
		off, on, hits = o.spent, c.spent, c.cached
	}
	b.ReportMetric(float64(off), "credits-no-cache")
	b.ReportMetric(float64(on), "credits-cache")
	b.ReportMetric(float64(hits), "cache-hits")
	b.ReportMetric(100*float64(off-on)/float64(off), "%saved")
}
