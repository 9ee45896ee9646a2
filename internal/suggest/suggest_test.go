package suggest_test

import (
	"slices"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/suggest"
)

func TestNearest(t *testing.T) {
	tools := []string{"search_ads", "query_ads", "get_ad", "search_shops", "get_budget", "lookup"}
	flags := []string{"max-credits", "max-per-call", "max-result-bytes", "reserve", "rate", "http", "http-token"}
	for _, tc := range []struct {
		name       string
		candidates []string
		want       []string
	}{
		{"search_adz", tools, []string{"search_ads"}},
		{"serach_ads", tools, []string{"search_ads"}}, // a swap is one edit
		{"get_budjet", tools, []string{"get_budget"}},
		{"Search_Ads", tools, []string{"search_ads"}},
		{"search_ads", tools, nil}, // an exact name needs no suggestion
		{"frobnicate", tools, nil},
		{"max-credit", flags, []string{"max-credits"}},
		{"max-credits-per-run", flags, []string{"max-credits"}}, // a longer spelling of a flag
		{"reserv", flags, []string{"reserve"}},
		{"htp", flags, []string{"http"}},
		{"", flags, nil},
	} {
		if got := suggest.Nearest(tc.name, tc.candidates); !slices.Equal(got, tc.want) {
			t.Errorf("Nearest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestNearestReturnsAtMostThreeBestFirst(t *testing.T) {
	got := suggest.Nearest("cat", []string{"bat", "cart", "cab", "hat", "rat", "category"})
	if len(got) != 3 {
		t.Fatalf("got %q, want three", got)
	}
	if got[0] != "bat" && got[0] != "cab" && got[0] != "cart" {
		t.Errorf("best first: got %q", got)
	}
}
