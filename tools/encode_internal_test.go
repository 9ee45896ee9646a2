package tools

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
)

// marshalled is what json.Marshal writes for s: the encoding that
// encodeSuccess must reproduce byte for byte.
func marshalled(t testing.TB, s *Success) []byte {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return want
}

func TestEncodeSuccessWritesWhatJSONMarshalWrites(t *testing.T) {
	one, cap := 1, int64(100)
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	cost := int64(20)
	for _, tc := range []struct {
		name string
		data string
		s    Success
	}{
		{name: "data only", data: `[{"id":"a"},{"id":"b"}]`},
		{name: "no data", data: ``},
		{name: "null data", data: `null`},
		{name: "an object", data: `{"id":"x","n":1.5e3,"ok":true}`},
		{name: "whitespace between tokens", data: "[ {\"id\" : \"a\" },\n {\"id\":\"b\"} ]"},
		{name: "bytes json.Marshal escapes", data: `{"t":"<b>&amp;</b>","u":"\u2028 \u2029 ` + "\u2028" + `"}`},
		{name: "escapes it keeps", data: `{"t":"a\"b\\c\/d\u00e9"}`},
		{name: "every field", data: `[1,2,3]`, s: Success{
			More:       map[string]json.RawMessage{"meta": json.RawMessage(`{"partial": false}`), "created": json.RawMessage(`true`)},
			Pagination: &PageInfo{Page: 2, Offset: &one, Limit: 3, Total: 10, TotalPages: 4, Returned: 3, HasMore: true},
			NextPage:   map[string]any{"search": "a<b", "page": 3, "fields": []any{"*"}},
			Metering:   &MeteringInfo{Cost: &cost, Source: "header", Cached: true, CachedAt: &at, Shared: true},
			RequestID:  "req_1",
			Notes:      []string{"one & two", "three <four>"},
			Truncated:  &Truncation{RowsReturned: 3, RowsShown: 2, Note: "cut", ShowRest: map[string]any{"offset": 3}},
			Budget:     &budget.Status{RunCap: &cap, RunSpent: 20},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if tc.data != "" {
				s.Data = json.RawMessage(tc.data)
			}
			want := marshalled(t, &s)
			verbatim := bytes.Equal(marshalled(t, &Success{Data: s.Data}), []byte(`{"data":`+string(orNull(s.Data))+`}`))
			data, err := canonicalData(s.Data, verbatim)
			if err != nil {
				t.Fatal(err)
			}
			s.Data = data
			got, err := encodeSuccess(&s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encodeSuccess:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func orNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// FuzzCanonicalData checks the splice on any JSON value as data: not
// verbatim, it is compacted once; when compacting changes nothing, the
// value is copied as it is. Either way the encoding is json.Marshal's.
func FuzzCanonicalData(f *testing.F) {
	for _, s := range []string{`[]`, `[1,"a,b",{"x":[1,2]}]`, `{"a" : "<>&"}`, "\"\u2028\"", `[ true , null ]`, `"\u00e9"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return // runtime hands on only valid JSON
		}
		s := &Success{Data: json.RawMessage(in), Notes: []string{"n"}}
		want := marshalled(t, s)
		compact, err := json.Marshal(json.RawMessage(in))
		if err != nil {
			t.Fatal(err)
		}
		for _, verbatim := range []bool{false, bytes.Equal(compact, []byte(in))} {
			data, err := canonicalData(s.Data, verbatim)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeSuccess(&Success{Data: data, Notes: s.Notes})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("verbatim %t: got %s, want %s", verbatim, got, want)
			}
		}
	})
}

func TestJoinRowsIsJSONMarshalOfTheRows(t *testing.T) {
	for _, in := range []string{`[]`, `[1]`, `[{"a":[1,2]},"x,y",null]`} {
		rows := splitRows(json.RawMessage(in))
		var decoded []json.RawMessage
		if err := json.Unmarshal([]byte(in), &decoded); err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(decoded) {
			t.Errorf("splitRows(%s): %d rows, want %d", in, len(rows), len(decoded))
		}
		want, _ := json.Marshal(decoded)
		if got := joinRows(rows); !bytes.Equal(got, want) {
			t.Errorf("joinRows(splitRows(%s)) = %s, want %s", in, got, want)
		}
	}
}
