package tools

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// slowProjection is the projection done the slow, obvious way: decode, keep,
// encode. The byte walk of projectValue must agree with it.
func slowProjection(v any, s *shape, sel *selection) any {
	if sel == nil || sel.all || s == nil || s.scalar {
		return v
	}
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = slowProjection(it, s, sel)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for name, val := range x {
			kid, asked := s.kids[name], sel.kids[name]
			if asked == nil && !(isIDName(name) && (kid == nil || kid.scalar)) {
				continue
			}
			if asked == nil || asked.all || kid == nil || kid.scalar {
				out[name] = val
			} else {
				out[name] = slowProjection(val, kid, asked)
			}
		}
		return out
	}
	return v
}

func TestTheByteWalkProjectsAsDecodingWould(t *testing.T) {
	tool, _ := BuiltIn().Lookup("search_ads")
	page := []byte(` [ {"id":"a","collationId":null,"platform":"facebook",
		"advertiser":{"id":"1","name":"N \"q\" \\ \u00e9","logoUrl":"u","reach30d":5},
		"content":{"title":"t, with } and ] inside","body":"b"},
		"metrics":{"reach":1.5e3,"duplicates":-2},"audience":{"targetedCountries":["DK","SE"]},
		"unknownNested":{"id":"x","k":[1,{"a":2}]}, "flags" : {"isEuAd":true} } , {"id":"b","advertiser":null,"metrics":{}} ] `)
	for _, paths := range [][]string{
		tool.compact,
		{"advertiser.name", "content"},
		{"metrics.reach", "audience.targetedCountries", "flags"},
		{"id"},
	} {
		sel := newSelection(paths)
		got := tool.project(page, map[string]any{ArgFields: toAny(paths)})
		var gotV, pageV any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("%v: the projection is not JSON: %v\n%s", paths, err, got)
		}
		_ = json.Unmarshal(page, &pageV)
		if want := slowProjection(pageV, tool.fieldTree(), sel); !reflect.DeepEqual(gotV, want) {
			t.Errorf("%v:\n got %s\nwant %s", paths, got, mustMarshal(want))
		}
	}
	for _, bad := range []string{`[{"id":"a"`, `{"id" "a"}`, `[1,]`, `[{"id":true}]x`} {
		if got := tool.project([]byte(bad), nil); string(got) != bad {
			t.Errorf("malformed %q came out as %q; want it untouched", bad, got)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func mustMarshal(v any) string { b, _ := json.Marshal(v); return string(b) }

// BenchmarkProjectPage projects a 20-row search_ads page of the sandbox
// to its compact default (128 µs and 64 allocations on the CI machine;
// 1.5 ms and 16,000 with json.Decoder).
func BenchmarkProjectPage(b *testing.B) {
	sb := sandbox.New(sandbox.Config{RateLimit: sandbox.RateLimit{Disabled: true}})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	c, _ := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(sandbox.DemoKey))
	t, _ := BuiltIn().Lookup("search_ads")
	req, _ := t.Request(map[string]any{"search": "coffee", "limit": 20})
	resp, err := c.Do(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = t.project(resp.Data, nil)
	}
}
