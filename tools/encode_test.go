package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

// A result is encoded once, when it is shaped; Result.JSON must still be
// exactly what json.Marshal writes for its structured content, on every
// path: whole, projected, cut to the size limit, and from the cache.
func TestResultJSONIsTheEncodingOfItsStructuredContent(t *testing.T) {
	t.Parallel()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := testenv.New(t, testenv.Config{Box: tools.Config{MaxResultBytes: 8192, Cache: c}, NoClient: true})
	ctx := context.Background()
	first := e.Box.Call(ctx, "search_ads", map[string]any{"search": "coffee", "limit": 1})
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(first.JSON(), &page); err != nil || len(page.Data) != 1 {
		t.Fatalf("search_ads: %v: %s", err, first.JSON())
	}
	for _, tc := range []struct {
		name string
		tool string
		args map[string]any
		cut  bool
		hit  bool
	}{
		{name: "every field", tool: "search_ads", args: map[string]any{"search": "coffee", "limit": 3, "fields": []any{"*"}}},
		{name: "compact rows", tool: "search_ads", args: map[string]any{"search": "coffee", "limit": 5}},
		{name: "cut to the limit", tool: "search_ads", args: map[string]any{"search": "tea", "limit": 20, "fields": []any{"*"}}, cut: true},
		{name: "from the cache", tool: "search_ads", args: map[string]any{"search": "coffee", "limit": 3, "fields": []any{"*"}}, hit: true},
		{name: "one item", tool: "get_ad", args: map[string]any{"adId": page.Data[0].ID}},
		{name: "a free answer at the root", tool: "get_usage"},
	} {
		r := e.Box.Call(ctx, tc.tool, tc.args)
		want, err := json.Marshal(r.Structured)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := r.JSON(); !bytes.Equal(got, want) {
			t.Errorf("%s: Result.JSON differs from json.Marshal(Structured):\n got %.300s\nwant %.300s", tc.name, got, want)
		}
		s, ok := r.Structured.(*tools.Success)
		if r.IsError || !ok {
			t.Errorf("%s: not a success: %s", tc.name, r.JSON())
			continue
		}
		if hit := s.Metering != nil && s.Metering.Cached; hit != tc.hit {
			t.Errorf("%s: metering.cached = %t, want %t", tc.name, hit, tc.hit)
		}
		if tc.cut && (s.Truncated == nil || len(r.JSON()) > 8192+512) {
			t.Errorf("%s: %d bytes, truncated %v: want a cut result", tc.name, len(r.JSON()), s.Truncated)
		}
	}
}
