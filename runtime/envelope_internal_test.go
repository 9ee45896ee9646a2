package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

// decodeSuccessBefore is decodeSuccess as it was before the one-pass
// scan (json.Valid, then json.Unmarshal into a map): the reference the
// fuzzers hold the new one to.
func decodeSuccessBefore(raw *rawResponse, m Metering, attempts int) (*Response, error) {
	resp := &Response{
		Status:    raw.status,
		Header:    raw.header,
		Body:      raw.body,
		Metering:  m,
		RequestID: m.RequestID,
		Attempts:  attempts,
	}
	malformed := func(why string) (*Response, error) {
		return nil, &APIError{
			Status: raw.status, Code: CodeMalformedResponse, Message: why,
			RequestID: m.RequestID, Metering: m, Attempts: attempts,
		}
	}
	if raw.status == http.StatusNoContent {
		return resp, nil
	}
	trimmed := bytes.TrimSpace(raw.body)
	if len(trimmed) == 0 {
		return malformed(fmt.Sprintf("HTTP %d with an empty or cut-off body", raw.status))
	}
	if !json.Valid(trimmed) {
		return malformed(fmt.Sprintf("HTTP %d with a body that is not valid JSON (%d bytes, possibly truncated)", raw.status, len(trimmed)))
	}
	resp.Data = trimmed
	if trimmed[0] != '{' {
		return resp, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return malformed("HTTP body is not a JSON object")
	}
	if _, ok := probe["data"]; !ok {
		if id, ok := probe["requestId"]; ok {
			var s string
			if json.Unmarshal(id, &s) == nil && sanitizeID(s) != "" {
				resp.RequestID = sanitizeID(s)
			}
		}
		return resp, nil
	}
	var requestID string
	// In this order: the map it replaced was ranged over in random order,
	// so a body with both wrong could fail either way.
	for _, f := range []struct {
		name string
		dst  any
	}{{"requestId", &requestID}, {"pagination", &resp.Pagination}} {
		if raw, ok := probe[f.name]; ok {
			if err := json.Unmarshal(raw, f.dst); err != nil {
				return malformed("the envelope's pagination or requestId has the wrong type: " + err.Error())
			}
		}
	}
	resp.Enveloped = true
	resp.Data = probe["data"]
	resp.Meta = probe["meta"]
	for k, v := range probe {
		switch k {
		case "data", "requestId", "pagination", "meta":
		default:
			if resp.Extra == nil {
				resp.Extra = map[string]json.RawMessage{}
			}
			resp.Extra[k] = v
		}
	}
	if id := sanitizeID(requestID); id != "" {
		resp.RequestID = id
	}
	return resp, nil
}

// countElems is the reference row count: the elements of a JSON array.
func countElems(v json.RawMessage) int {
	var rows []json.RawMessage
	if json.Unmarshal(v, &rows) != nil {
		return 0
	}
	return len(rows)
}

// scanSeeds are bodies that exercise the grammar's corners.
var scanSeeds = []string{
	``, ` `, `{}`, `[]`, `[ ]`, `{ }`, `null`, `true`, `false`, `nul`, `truex`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`,
	`1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e-3`, `123456789012345678901234567890`, `"x"`, `"\u00e9"`, `"\u00G0"`, `"\x"`,
	`"\/\b\f\n\r\t\"\\"`, "\"tab\there\"", "\"\xff\xfe\"", `"unterminated`, `"ab\`, `[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{"a":1,}`,
	`{"a":1 "b":2}`, `{1:2}`, `{"a":1}x`, `[1] [2]`, ` {"a" : [ 1 , 2 ] } `, `{"data":[{"id":"a"},{"id":"b"}],"requestId":"req_1"}`,
	`{"data":[],"pagination":{"page":1,"limit":5,"total":12,"totalPages":3}}`, `{"d\u0061ta":[1,2],"data":[3]}`,
	`{"data":1,"data":[1,2,3],"extra":{"x":[1,[2]]},"meta":null}`, `{"requestId":"req_x"}`, `{"requestId":5,"data":1}`,
	`{"data":1,"pagination":"x"}`, `{"data":1,"pagination":{"PAGE":2,"limit":1.5}}`, `{"data":1,"pagination":null}`,
	`{"data":1,"\u00e9":2,"` + "\xff" + `":3}`, `[[[[]]]]`, `[{"a":[1,2]},{"b":{}}]`, `{"a":"` + strings.Repeat("x", 40) + `\"` + strings.Repeat("y", 13) + `"}`,
	`"` + strings.Repeat("\\u0041", 9) + `"`, "{\"data\":[\"a\u2028b\"]}", "{\"data\":[\"a\u2029b\u2027\"]}",
	`{"data":["a&b"]}`, `{"data":{"<k>":1}}`, `{"data": [1]}`, `{"data":[1, 2]}`, `{"data":[1],"x":" & "}`, `{"a&":1, "data":{"b" :2}}`,
	`[1, 2]`, `["<"]`, `"&"`, `{"x": 1}`, `{"x":{"y":"<"}}`, `{"data":"` + strings.Repeat("abcdefg&", 5) + `"}`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
}

func FuzzScanMatchesValid(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var sc bodyScan
		ok := sc.scan(b)
		if want := json.Valid(b); ok != want {
			t.Fatalf("scan(%q) = %v; json.Valid says %v", b, ok, want)
		}
		if !ok {
			return
		}
		trimmed := bytes.TrimSpace(b)
		if len(trimmed) > 0 && trimmed[0] == '[' && len(trimmed) == len(b) {
			if got, want := sc.rootElems, countElems(b); got != want {
				t.Errorf("rootElems of %q = %d; want %d", b, got, want)
			}
		}
		if len(trimmed) == 0 || trimmed[0] != '{' || len(trimmed) != len(b) {
			return
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			t.Fatalf("a valid object did not decode: %v", err)
		}
		got := map[string]json.RawMessage{}
		elems := map[string]int{}
		for i := range sc.members {
			mb := &sc.members[i]
			got[string(mb.name(b))] = mb.value(b)
			elems[string(mb.name(b))] = mb.elems
		}
		if !reflect.DeepEqual(got, probe) && !(len(got) == 0 && len(probe) == 0) {
			t.Fatalf("members of %q = %q; the map decode says %q", b, got, probe)
		}
		for k, v := range probe {
			if len(v) > 0 && v[0] == '[' && elems[k] != countElems(v) {
				t.Errorf("member %q of %q has %d elements; want %d", k, b, elems[k], countElems(v))
			}
		}
	})
}

// checkSameDecode fails t unless decodeSuccess and the reference agree
// on body.
func checkSameDecode(t *testing.T, status int, body []byte) {
	t.Helper()
	m := Metering{RequestID: "req_header"}
	raw := func() *rawResponse {
		return &rawResponse{status: status, header: http.Header{}, body: bytes.Clone(body)}
	}
	got, gotErr := decodeSuccess(raw(), m, 1)
	want, wantErr := decodeSuccessBefore(raw(), m, 1)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("body %q: error %v; before: %v", body, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	if want.Data != nil || got.Data != nil {
		if !bytes.Equal(got.Data, want.Data) {
			t.Errorf("body %q: Data %q; before %q", body, got.Data, want.Data)
		}
		if got.Rows != countElems(got.Data) {
			t.Errorf("body %q: Rows %d; Data has %d elements", body, got.Rows, countElems(got.Data))
		}
		enc, err := json.Marshal(got.Data)
		if err != nil {
			t.Fatalf("body %q: Data %q does not encode: %v", body, got.Data, err)
		}
		if verbatim := bytes.Equal(enc, got.Data); got.DataVerbatim != verbatim {
			t.Errorf("body %q: DataVerbatim %v, but json.Marshal writes Data %q as %q", body, got.DataVerbatim, got.Data, enc)
		}
	}
	if got.Enveloped != want.Enveloped || got.RequestID != want.RequestID || !reflect.DeepEqual(got.Pagination, want.Pagination) {
		t.Errorf("body %q: enveloped %v, id %q, pagination %+v; before %v, %q, %+v", body,
			got.Enveloped, got.RequestID, got.Pagination, want.Enveloped, want.RequestID, want.Pagination)
	}
	if !bytes.Equal(got.Meta, want.Meta) || (got.Meta == nil) != (want.Meta == nil) {
		t.Errorf("body %q: Meta %q; before %q", body, got.Meta, want.Meta)
	}
	if !maps.EqualFunc(got.Extra, want.Extra, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) || (got.Extra == nil) != (want.Extra == nil) {
		t.Errorf("body %q: Extra %q; before %q", body, got.Extra, want.Extra)
	}
	if !bytes.Equal(got.Body, body) {
		t.Errorf("Body changed: %q", got.Body)
	}
}

func FuzzDecodeSuccessMatchesBefore(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add(200, []byte(s))
	}
	f.Add(204, []byte(""))
	f.Add(201, []byte(`{"data":{"id":"bt"},"created":true,"requestId":"req_3"}`))
	f.Add(200, []byte("\u00a0{\"data\":[1]}\n"))
	f.Add(200, []byte(`{"data":[1],"requestId":" req_\u0001 "}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 200 || status > 299 {
			return
		}
		checkSameDecode(t, status, body)
	})
}

// samplePage is one 20-row search_ads page of the sandbox, as the API
// sends it.
func samplePage(tb testing.TB) []byte {
	tb.Helper()
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/ads?search=coffee&limit=20", nil)
	req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		tb.Fatalf("HTTP %d, %v", resp.StatusCode, err)
	}
	return body
}

func TestDecodeASandboxPageAsBefore(t *testing.T) {
	page := samplePage(t)
	checkSameDecode(t, 200, page)
	got, err := decodeSuccess(&rawResponse{status: 200, body: page}, Metering{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 20 || !got.Enveloped || got.Pagination == nil || !got.DataVerbatim {
		t.Fatalf("page: %d rows, enveloped %v, pagination %+v, verbatim %v", got.Rows, got.Enveloped, got.Pagination, got.DataVerbatim)
	}
	// Appending to a member's bytes must not write over the body.
	before := bytes.Clone(page)
	_ = append(got.Data, "overwrite"...)
	if !bytes.Equal(page, before) {
		t.Fatal("appending to Data changed the body")
	}
}

// BenchmarkDecodeSuccess compares the one-pass decode of a 20-row page
// with the two passes it replaced.
func BenchmarkDecodeSuccess(b *testing.B) {
	page := samplePage(b)
	for _, v := range []struct {
		name string
		f    func(*rawResponse, Metering, int) (*Response, error)
	}{{"onepass", decodeSuccess}, {"before", decodeSuccessBefore}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.f(&rawResponse{status: 200, body: page}, Metering{}, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
