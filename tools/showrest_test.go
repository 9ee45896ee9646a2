package tools_test

import (
	"encoding/json"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestTruncatedPageSaysHowToFetchTheRest checks that rows cut from a
// result are not silently lost: showRest fetches exactly the rows that
// were returned but not shown, for both pagination styles.
func TestTruncatedPageSaysHowToFetchTheRest(t *testing.T) {
	for _, tc := range []struct {
		tool string
		args map[string]any
		// key of the row's identity
	}{
		{"search_ads", map[string]any{"search": "coffee", "limit": 20, "page": 2}},
		{"search_advertisers", map[string]any{"search": []any{"co"}, "limit": 40, "offset": 5}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			full := testenv.New(t, testenv.Config{Budget: nil})
			_, all := full.Call(t, tc.tool, tc.args)
			want := testenv.Rows(t, all)
			if len(want) < 10 {
				t.Fatalf("%d rows; want a full page", len(want))
			}
			small := testenv.New(t, testenv.Config{Box: tools.Config{MaxResultBytes: 8 << 10}})
			_, cut := small.Call(t, tc.tool, tc.args)
			tr := testenv.Obj(t, cut, "truncated")
			shown := int(testenv.Num(t, tr, "rowsShown"))
			if shown == 0 || shown >= len(want) {
				t.Fatalf("rowsShown %d of %d; want a cut", shown, len(want))
			}
			restArgs, ok := tr["showRest"].(map[string]any)
			if !ok {
				t.Fatalf("no showRest in %v", tr)
			}
			_, rest := full.Call(t, tc.tool, restArgs)
			got := testenv.Rows(t, rest)
			if len(got) == 0 {
				t.Fatalf("showRest %v fetched nothing", restArgs)
			}
			// The first row of the rest is the first row not shown.
			a, _ := json.Marshal(got[0])
			b, _ := json.Marshal(want[shown])
			if string(a) != string(b) {
				t.Fatalf("showRest %v starts at the wrong row:\n got %s\nwant %s", restArgs, a[:80], b[:80])
			}
		})
	}
}
