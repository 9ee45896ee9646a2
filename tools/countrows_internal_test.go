package tools

import (
	"encoding/json"
	"testing"
)

func TestCountRowsMatchesDecoding(t *testing.T) {
	for _, in := range []string{
		`[]`, ` [ ] `, `[1]`, `[1,2,3]`, `[{"a":[1,2],"b":"x,y]"},{"c":"\"],"}]`, `["\\",","]`,
		`{"a":1}`, `null`, `"x"`, `[[],[[]],{}]`, "[\n 1 ,\n 2\n]",
	} {
		var rows []json.RawMessage
		want := 0
		if json.Unmarshal([]byte(in), &rows) == nil {
			want = len(rows)
		}
		if got := countRows(json.RawMessage(in)); got != want {
			t.Errorf("countRows(%s) = %d, want %d", in, got, want)
		}
	}
}

func FuzzCountRows(f *testing.F) {
	for _, s := range []string{`[]`, `[1,"a,b",{"x":[1,2]}]`, `["\\\"",","]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var rows []json.RawMessage
		if json.Unmarshal([]byte(in), &rows) != nil {
			return // countRows only sees valid JSON
		}
		if got := countRows(json.RawMessage(in)); got != len(rows) {
			t.Fatalf("countRows(%q) = %d, want %d", in, got, len(rows))
		}
	})
}
