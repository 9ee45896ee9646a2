package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// hashModes runs f with the real id hash, then with one under which every
// id collides with every other: the sets of ids must tell them apart by
// reading them back, so that nothing a batch does changes.
func hashModes(t *testing.T, f func(t *testing.T) string) {
	t.Helper()
	real := idHash
	defer func() { idHash = real }()
	var got [2]string
	for i, name := range []string{"real hash", "every id colliding"} {
		if i == 1 {
			idHash = func(string) uint64 { return 42 }
		}
		t.Run(name, func(t *testing.T) { got[i] = f(t) })
	}
	if got[0] != got[1] {
		t.Errorf("colliding hashes changed the outcome:\n real: %s\n colliding: %s", got[0], got[1])
	}
}

// localBox is a toolbox whose local tools (estimate_cost) answer without
// any API.
func localBox(t *testing.T) *tools.Toolbox {
	t.Helper()
	c, err := runtime.New(runtime.WithBaseURL("http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := tools.NewToolbox(tools.Config{Catalogue: tools.BuiltIn(), Client: c, NoDedupe: true})
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func writeInput(t *testing.T, lines ...string) *Input {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return NewInput(path)
}

func estimate(id string, limit int) string {
	return fmt.Sprintf(`{"id":%s,"tool":"estimate_cost","args":{"tool":"search_ads","arguments":{"search":"coffee","limit":%d}}}`, id, limit)
}

// outcome summarises an output file: each id with whether it is ok and
// which id's answer it holds.
func outcome(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var rec Record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		key, _ := idKey(rec.ID)
		out = append(out, fmt.Sprintf("%s ok=%t sameAs=%s", key, rec.OK, rec.SameAs))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func TestCollidingIDHashesChangeNoRun(t *testing.T) {
	box := localBox(t)
	ctx := context.Background()
	hashModes(t, func(t *testing.T) string {
		in := writeInput(t, estimate(`1`, 5), estimate(`"a"`, 6), estimate(`2`, 5), estimate(`"b"`, 7),
			estimate(`3`, 6), estimate(`"c"`, 5), estimate(`4.0e0`, 8))
		if err := in.Check(box); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "out.jsonl")
		// Run the first three ids, then resume: the rest follow the
		// lines already there.
		out, err := OpenOutput(path)
		if err != nil {
			t.Fatal(err)
		}
		first := Jobs{}
		for j, err := range in.All() {
			if err != nil {
				t.Fatal(err)
			}
			if len(first) < 3 {
				first = append(first, j)
			}
		}
		if _, err := RunSource(ctx, box, first, out, Options{}); err != nil {
			t.Fatal(err)
		}
		out.Close()
		out, err = OpenOutput(path)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		sum, err := RunSource(ctx, box, in, out, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Complete || sum.Skipped != 3 || sum.Done != 4 || out.Len() != 7 {
			t.Errorf("resumed run: %+v, %d lines; want 3 skipped, 4 done, 7 lines", sum, out.Len())
		}
		for _, id := range []string{`4`, `"a"`, `1.0`} {
			if !out.Done(json.RawMessage(id)) {
				t.Errorf("id %s is not done", id)
			}
		}
		for _, id := range []string{`5`, `"d"`, `"1"`} {
			if out.Done(json.RawMessage(id)) {
				t.Errorf("id %s is done, but no line holds it", id)
			}
		}
		if rec, err := out.Record(json.RawMessage(`"c"`)); err != nil || rec == nil || string(rec.SameAs) != `1` {
			t.Errorf(`Record("c") = %+v, %v; want the line that follows id 1`, rec, err)
		}
		if err := out.Write(&Record{ID: json.RawMessage(`"b"`), Tool: "x", OK: true}); err == nil {
			t.Error(`writing id "b" again: no error`)
		}
		return fmt.Sprintf("%+v | %s", sum.Deduplicated, outcome(t, path))
	})
}

func TestCollidingIDHashesChangeNoReport(t *testing.T) {
	box := localBox(t)
	hashModes(t, func(t *testing.T) string {
		var report []string
		in := writeInput(t, estimate(`1`, 5), estimate(`"a"`, 5), `{"id":2,"tool":"serch_ads"}`, estimate(`1.0`, 5),
			`not json`, estimate(`"a"`, 5), `{"id":"b","tool":"estimate_cost","args":{"tool":1}}`, estimate(`3`, 5))
		err := in.Check(box)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Fatalf("Check: %v, want an *InputError", err)
		}
		report = append(report, err.Error())
		err = CheckJobs(box.Catalogue(), []Job{
			{ID: json.RawMessage(`7`), Tool: "estimate_cost"},
			{ID: json.RawMessage(`"x"`), Tool: "nope", Line: 4},
			{ID: json.RawMessage(`7.0`), Tool: "nope"},
			{ID: json.RawMessage(`"y"`), Tool: "estimate_cost"},
			{ID: json.RawMessage(`"x"`), Tool: "estimate_cost"},
		})
		if err == nil {
			t.Fatal("CheckJobs: no error")
		}
		report = append(report, err.Error())
		// An output file with an id twice is refused, naming both lines.
		path := filepath.Join(t.TempDir(), "out.jsonl")
		lines := `{"id":1,"tool":"t","ok":true}` + "\n" + `{"id":"z","tool":"t","ok":true}` + "\n" + `{"id":1.0,"tool":"t","ok":true}` + "\n"
		if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = OpenOutput(path)
		var oe *OutputError
		if !errors.As(err, &oe) || oe.Line != 3 || !strings.Contains(oe.Msg, "line 1") {
			t.Errorf("OpenOutput: %v, want line 3 naming line 1", err)
		}
		if oe != nil {
			report = append(report, fmt.Sprintf("line %d: %s", oe.Line, oe.Msg))
		}
		return strings.Join(report, "\n")
	})
}

// TestACheckReportsInInputOrder checks that the problems found by the
// second reading (repeated ids) take their place among the others, and
// that only the first ones are listed.
func TestACheckReportsInInputOrder(t *testing.T) {
	var lines []string
	for i := range 30 {
		lines = append(lines, estimate(fmt.Sprint(i%15), 5)) // ids 0-14 twice
	}
	lines[2] = `{"id":99,"tool":"nope"}`
	err := writeInput(t, lines...).Check(localBox(t))
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("Check: %v", err)
	}
	var got []int
	for _, p := range ie.Problems {
		got = append(got, p.Line)
	}
	want := []int{3}
	for n := 16; n <= 30; n++ {
		if n != 18 { // id 2's first line is line 3, which names another id
			want = append(want, n)
		}
	}
	if len(want) > maxProblems {
		want = want[:maxProblems]
	}
	if !reflect.DeepEqual(got, want) || ie.More != 15-len(want) {
		t.Errorf("problems on lines %v (and %d more), want %v", got, ie.More, want)
	}
}
