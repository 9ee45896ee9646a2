package tools_test

import (
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

func TestLargeResultsAreCutToMaxResultBytes(t *testing.T) {
	t.Parallel()
	const limit = 4096
	e := testenv.New(t, testenv.Config{Box: tools.Config{MaxResultBytes: limit}})

	t.Run("a list loses whole rows from its end", func(t *testing.T) {
		res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 20})
		if res.IsError {
			t.Fatalf("search_ads failed: %s", testenv.MustJSON(sc))
		}
		if n := len(testenv.TextOf(t, res)); n > limit {
			t.Errorf("result JSON is %d bytes, over MaxResultBytes %d", n, limit)
		}
		tr := testenv.Obj(t, sc, "truncated")
		shown, returned := testenv.Num(t, tr, "rowsShown"), testenv.Num(t, tr, "rowsReturned")
		if returned != 20 || shown >= returned || shown < 1 {
			t.Errorf("truncated: rowsShown %d of rowsReturned %d, want 1 <= shown < 20", shown, returned)
		}
		if got := int64(len(testenv.Rows(t, sc))); got != shown {
			t.Errorf("data holds %d rows, truncated.rowsShown says %d", got, shown)
		}
		if note, _ := tr["note"].(string); !strings.Contains(note, "limit=") {
			t.Errorf("truncated.note %q does not say how to ask for less", note)
		}
		// The pagination and the next page still describe what the API returned.
		if testenv.Num(t, testenv.Obj(t, sc, "pagination"), "returned") != 20 || testenv.Num(t, testenv.Obj(t, sc, "metering"), "cost") != 20 {
			t.Errorf("pagination or metering changed by the cut: %s %s", testenv.MustJSON(sc["pagination"]), testenv.MustJSON(sc["metering"]))
		}
	})
	t.Run("rows too large even one by one have their strings shortened", func(t *testing.T) {
		e := testenv.New(t, testenv.Config{Box: tools.Config{MaxResultBytes: 1024}})
		res, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 3})
		if res.IsError {
			t.Fatalf("search_ads failed: %s", testenv.MustJSON(sc))
		}
		tr := testenv.Obj(t, sc, "truncated")
		if shown := testenv.Num(t, tr, "rowsShown"); shown != int64(len(testenv.Rows(t, sc))) {
			t.Errorf("truncated.rowsShown = %d, data holds %d rows", shown, len(testenv.Rows(t, sc)))
		}
		if note, _ := tr["note"].(string); !strings.Contains(note, "shortened") || strings.Contains(note, "first 0") {
			t.Errorf("truncated.note %q does not say what was cut", note)
		}
	})
	t.Run("a small result is left alone", func(t *testing.T) {
		_, sc := e.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 1})
		if _, ok := sc["truncated"]; ok {
			t.Errorf("a one-row result was truncated: %s", testenv.MustJSON(sc["truncated"]))
		}
	})
}

func TestTinyResultLimitIsRefused(t *testing.T) {
	t.Parallel()
	c, err := runtime.New()
	if err != nil {
		t.Fatal(err)
	}
	_, err = tools.NewToolbox(tools.Config{Catalogue: testenv.BuiltIn(), Client: c, MaxResultBytes: 100})
	if err == nil || !strings.Contains(err.Error(), "1024") {
		t.Errorf("NewToolbox with MaxResultBytes 100: err = %v, want one naming the minimum 1024", err)
	}
	if _, err := tools.NewToolbox(tools.Config{Client: c}); err == nil {
		t.Errorf("NewToolbox without a catalogue: no error")
	}
	if _, err := tools.NewToolbox(tools.Config{Catalogue: testenv.BuiltIn()}); err == nil {
		t.Errorf("NewToolbox without a client: no error")
	}
}
