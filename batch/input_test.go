package batch_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/batch"
	"github.com/tollgate-mcp/tollgate/tools"
)

func TestReadJobsKeepsIDsAsGivenAndNumbersExact(t *testing.T) {
	in := "\xef\xbb\xbf" + `{"id": "a1", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}

{"id":7,"tool":"get_ad","args":{"adId":"facebook_1"}}
  {"id": 12345678901234567890, "tool": "get_budget"}
{"id": 1.50, "tool": "get_budget", "args": null}` // no final newline
	jobs, err := batch.ReadJobs(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, tool string
		line     int
	}{{`"a1"`, "search_ads", 1}, {`7`, "get_ad", 3}, {`12345678901234567890`, "get_budget", 4}, {`1.50`, "get_budget", 5}}
	if len(jobs) != len(want) {
		t.Fatalf("got %d jobs, want %d", len(jobs), len(want))
	}
	for i, w := range want {
		j := jobs[i]
		if string(j.ID) != w.id || j.Tool != w.tool || j.Line != w.line {
			t.Errorf("job %d = {%s %s line %d}, want {%s %s line %d}", i, j.ID, j.Tool, j.Line, w.id, w.tool, w.line)
		}
	}
	if n, ok := jobs[0].Args["limit"].(json.Number); !ok || n != "20" {
		t.Errorf("limit = %#v, want json.Number 20", jobs[0].Args["limit"])
	}
	if jobs[3].Args != nil {
		t.Errorf("args null: got %v, want nil", jobs[3].Args)
	}
}

func TestReadJobsReportsEveryMalformedLineByNumber(t *testing.T) {
	lines := []struct {
		text, want string
	}{
		{`{"id": "ok", "tool": "get_budget"}`, ""},
		{`{"id": "x", "tool": "get_budget"`, "line 2: "},
		{`[1, 2]`, "line 3: not a JSON object"},
		{`{"tool": "get_budget"}`, "line 4: id is missing"},
		{`{"id": true, "tool": "get_budget"}`, "line 5: id true must be a string or a number"},
		{`{"id": "", "tool": "get_budget"}`, "line 6: id is an empty string"},
		{`{"id": "t"}`, "line 7: tool is missing"},
		{`{"id": "u", "tool": "get_ad", "args": [1]}`, "line 8: args must be a JSON object"},
		{`{"id": "v", "tool": "get_ad", "arguments": {}}`, `line 9: unknown field "arguments"`},
		{`{"id": "w", "tool": "get_ad"} {"id": "w2"}`, "line 10: extra text after the JSON object"},
		{`{"id": {"a": 1}, "tool": "get_ad"}`, "line 11: id {"},
		{`{"id": "y", "tool": 3}`, "line 12: tool must not be a JSON number"},
	}
	var in strings.Builder
	for _, l := range lines {
		in.WriteString(l.text + "\n")
	}
	_, err := batch.ReadJobs(strings.NewReader(in.String()))
	var ie *batch.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an *InputError", err)
	}
	if len(ie.Problems) != len(lines)-1 {
		t.Errorf("got %d problems, want %d:\n%v", len(ie.Problems), len(lines)-1, err)
	}
	msg := err.Error()
	for _, l := range lines {
		if l.want != "" && !strings.Contains(msg, l.want) {
			t.Errorf("the error does not say %q:\n%s", l.want, msg)
		}
	}
}

func TestReadJobsRejectsDuplicateIDs(t *testing.T) {
	for name, in := range map[string]string{
		"same string":         `{"id":"a","tool":"get_budget"}` + "\n" + `{"id":"a","tool":"get_usage"}`,
		"same string escaped": `{"id":"a","tool":"get_budget"}` + "\n" + `{"id":"\u0061","tool":"get_usage"}`,
		"same number":         `{"id":10,"tool":"get_budget"}` + "\n" + `{"id":10.0,"tool":"get_usage"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := batch.ReadJobs(strings.NewReader(in))
			if err == nil || !strings.Contains(err.Error(), "line 2: id") || !strings.Contains(err.Error(), "already used on line 1") {
				t.Fatalf("err = %v, want line 2 named as a duplicate of line 1", err)
			}
		})
	}
	// A string and a number are different ids.
	jobs, err := batch.ReadJobs(strings.NewReader(`{"id":"1","tool":"get_budget"}` + "\n" + `{"id":1,"tool":"get_budget"}`))
	if err != nil || len(jobs) != 2 {
		t.Fatalf(`"1" and 1: got %d jobs, err %v; want 2 distinct ids`, len(jobs), err)
	}
}

func TestCheckJobsNamesUnknownToolsAndRepeatedIDs(t *testing.T) {
	jobs := []batch.Job{
		{ID: json.RawMessage(`"a"`), Tool: "search_ads", Line: 1},
		{ID: json.RawMessage(`"b"`), Tool: "search_adz", Line: 2},
		{ID: json.RawMessage(`"a"`), Tool: "get_ad"},
	}
	err := batch.CheckJobs(tools.BuiltIn(), jobs)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`line 2: there is no tool named "search_adz"; did you mean search_ads?`, `job 2: id "a" is already used by line 1`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
}

func TestKeyMatchesTheSameJSONValue(t *testing.T) {
	same := [][2]string{{`"a"`, `"\u0061"`}, {`10`, `10.0`}, {`10`, `1e1`}, {`-3`, `-3.0`}}
	for _, p := range same {
		a, _ := batch.Key(json.RawMessage(p[0]))
		b, _ := batch.Key(json.RawMessage(p[1]))
		if a != b {
			t.Errorf("Key(%s) = %q, Key(%s) = %q; want equal", p[0], a, p[1], b)
		}
	}
	a, _ := batch.Key(json.RawMessage(`"1"`))
	b, _ := batch.Key(json.RawMessage(`1`))
	if a == b {
		t.Errorf(`Key("1") == Key(1)`)
	}
}

func TestReadInputReportsEverythingInOnePass(t *testing.T) {
	e := newEnv(t, envConfig{})
	lines := []struct{ text, want string }{
		{`{"id": "ok", "tool": "search_ads", "args": {"search": "coffee", "limit": 20}}`, ""},
		{`{"id": "broken", "tool": "search_ads"`, "line 2: the JSON object is cut short"},
		{`{"id": "typo", "tool": "serach_ads", "args": {"search": "coffee"}}`, `line 3: there is no tool named "serach_ads"; did you mean search_ads?`},
		{`{"id": "nonsense", "tool": "frobnicate"}`, `line 4: there is no tool named "frobnicate"; tools are: lookup, `},
		{`{"id": "big", "tool": "search_ads", "args": {"search": "coffee", "limit": 500}}`, "line 5: invalid arguments for search_ads: limit: "},
		{`{"id": "extra", "tool": "get_ad", "args": {"adId": "facebook_1", "colour": "red"}}`, "line 6: invalid arguments for get_ad: "},
		{`{"id": "ok", "tool": "get_budget"}`, "line 7: id \"ok\" is already used on line 1"},
		{`{"id": "nonsense2", "tool": "frobnicate"}`, `line 8: there is no tool named "frobnicate"`},
	}
	var in strings.Builder
	for _, l := range lines {
		in.WriteString(l.text + "\n")
	}
	jobs, err := batch.ReadInput(strings.NewReader(in.String()), e.box)
	var ie *batch.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v (%d jobs), want an *InputError", err, len(jobs))
	}
	if len(ie.Problems) != len(lines)-1 {
		t.Errorf("got %d problems, want %d:\n%v", len(ie.Problems), len(lines)-1, err)
	}
	msg := err.Error()
	for _, l := range lines {
		if l.want != "" && !strings.Contains(msg, l.want) {
			t.Errorf("the report does not say %q:\n%s", l.want, msg)
		}
	}
	// The list of tools is given once, not for every line naming the
	// same unknown tool.
	if n := strings.Count(msg, "tools are:"); n != 1 {
		t.Errorf("the tool list appears %d times, want once:\n%s", n, msg)
	}

	jobs, err = batch.ReadInput(strings.NewReader(lines[0].text+"\n"+`{"id": 2, "tool": "get_budget"}`), e.box)
	if err != nil || len(jobs) != 2 || jobs[1].Tool != "get_budget" {
		t.Fatalf("good input: %d jobs, err %v", len(jobs), err)
	}
}
