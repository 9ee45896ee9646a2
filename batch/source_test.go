package batch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/batch"
)

// inputFile writes jobs as a JSONL input file.
func inputFile(t *testing.T, jobs []batch.Job) *batch.Input {
	t.Helper()
	var b strings.Builder
	for _, j := range jobs {
		line, err := json.Marshal(map[string]any{"id": j.ID, "tool": j.Tool, "args": j.Args})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return batch.NewInput(path)
}

// summaryOf is what two runs of the same batch must agree on.
func summaryOf(s batch.Summary) string {
	return fmt.Sprintf("total %d done %d failed %d skipped %d dedup %d left %d complete %t spent %d",
		s.Total, s.Done, s.Failed, s.Skipped, s.Deduplicated, s.Left, s.Complete, s.Spent)
}

// An input file run as a Source does what its jobs run from memory do:
// the same calls, identical calls made once, the same lines.
func TestAnInputFileRunsAsItsJobsDo(t *testing.T) {
	ctx := context.Background()
	jobs := dupJobs()
	var got [2]string
	var requests [2]int
	for i := range 2 {
		e := newEnv(t, envConfig{noCache: true})
		path := outPath(t)
		out := openOut(t, path)
		var sum batch.Summary
		var err error
		if i == 0 {
			sum, err = batch.Run(ctx, e.box, jobs, out, batch.Options{Concurrency: 1})
		} else {
			in := inputFile(t, jobs)
			if err := in.Check(e.box); err != nil {
				t.Fatal(err)
			}
			sum, err = batch.RunSource(ctx, e.box, in, out, batch.Options{Concurrency: 1})
		}
		if err != nil {
			t.Fatal(err)
		}
		lines := readLines(t, path)
		checkExactlyOnce(t, lines, jobIDs(jobs))
		var shape []string
		for _, l := range lines {
			data := rawLine(t, path, string(l.ID))
			var raw map[string]json.RawMessage
			_ = json.Unmarshal(data, &raw)
			shape = append(shape, fmt.Sprintf("%s ok=%t sameAs=%s", l.ID, l.OK, raw["sameAs"]))
		}
		got[i] = summaryOf(sum) + "\n" + strings.Join(sortedCopy(shape), "\n")
		requests[i] = e.requests()
	}
	if got[0] != got[1] || requests[0] != requests[1] {
		t.Errorf("from memory (%d requests):\n%s\nfrom the file (%d requests):\n%s", requests[0], got[0], requests[1], got[1])
	}
}

func TestAnInputFileIsCheckedAsReadInputChecksIt(t *testing.T) {
	e := newEnv(t, envConfig{})
	text := strings.Join([]string{
		`{"id": "ok", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}`,
		`{"id": "broken", "tool": "search_ads"`,
		`{"id": "typo", "tool": "serach_ads", "args": {"search": "coffee"}}`,
		`{"id": "nonsense", "tool": "frobnicate"}`,
		`{"id": "big", "tool": "search_ads", "args": {"search": "coffee", "limit": 500}}`,
		`{"id": "ok", "tool": "get_budget"}`,
		`{"id": "nonsense2", "tool": "frobnicate"}`,
		// Repeated lines: a repeat of a line that passed passes unchecked
		// (the same tool and argument bytes), a repeat of one that did not
		// is reported again.
		`{"id": "ok2", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}`,
		`{"id": "ok3", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}`,
		`{"id": "big2", "tool": "search_ads", "args": {"search": "coffee", "limit": 500}}`,
		`{"id": "big3", "tool": "search_ads", "args": {"search": "coffee", "limit": 500}}`,
		`{"id": "ok4", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}`,
		`{"id": "bad4", "tool": "get_ad", "args": {"search": "coffee", "limit": 20}}`,
		`{"id": "ok5", "tool": "search_ads", "args": {"search": "coffee",  "limit": 20}}`,
		`{"id": "big5", "tool": "search_ads", "args": {"search": "coffee", "limit": 501}}`,
	}, "\n")
	path := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(path, []byte("\xef\xbb\xbf"+text+"\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, want := batch.ReadInput(strings.NewReader("\xef\xbb\xbf"+text+"\n\n"), e.box)
	got := batch.NewInput(path).Check(e.box)
	if got == nil || want == nil || got.Error() != want.Error() {
		t.Errorf("Input.Check:\n%v\nReadInput:\n%v", got, want)
	}
}

func TestAnInputThatChangesDuringTheRunStopsIt(t *testing.T) {
	e := newEnv(t, envConfig{})
	jobs := []batch.Job{
		{ID: json.RawMessage(`1`), Tool: "get_budget"},
		{ID: json.RawMessage(`2`), Tool: "get_budget"},
	}
	in := inputFile(t, jobs)
	changed := 0
	src := changing{in: in, after: func() {
		if changed++; changed == 2 { // after the check and the plan
			if err := os.WriteFile(in.Path(), []byte(`{"id":3,"tool":"get_budget"}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}}
	_, err := batch.RunSource(context.Background(), e.box, src, openOut(t, outPath(t)), batch.Options{})
	if err == nil || !strings.Contains(err.Error(), "the input changed") {
		t.Errorf("err = %v, want one saying the input changed", err)
	}
}

// changing is an Input that calls after once each reading is over.
type changing struct {
	in    *batch.Input
	after func()
}

func (c changing) All() iter.Seq2[batch.Job, error] {
	return func(yield func(batch.Job, error) bool) {
		defer c.after()
		for j, err := range c.in.All() {
			if !yield(j, err) {
				return
			}
		}
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
