package tools_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/tools"
)

// TestExactCallsAreNeverFitted checks that tools.Exact turns fit-to-budget
// off: a call that does not fit in full halts instead of shrinking.
func TestExactCallsAreNeverFitted(t *testing.T) {
	e := testenv.New(t, testenv.Config{Budget: &budget.Config{MaxCredits: 30}})
	args := map[string]any{"search": "coffee", "limit": 50}
	before := e.SB.Requests()
	r := e.Box.Call(tools.Exact(context.Background()), "search_ads", args)
	if !r.IsError || r.Advice.Code != budget.CodeCapReached {
		t.Fatalf("exact call of 50 rows under a 30-credit cap: %s", r.JSON())
	}
	if e.SB.Requests() != before {
		t.Fatal("a halted call reached the API")
	}
	r = e.Box.Call(context.Background(), "search_ads", args)
	s, ok := r.Structured.(*tools.Success)
	if r.IsError || !ok || s.Pagination.Limit != 30 {
		t.Fatalf("the same call without Exact should be fitted to 30 rows: %s", r.JSON())
	}
}

func TestValidateNamesTheProblem(t *testing.T) {
	e := testenv.New(t, testenv.Config{})
	if err := e.Box.Validate("search_ads", map[string]any{"search": "x", "limit": 20}); err != nil {
		t.Fatalf("valid args: %v", err)
	}
	var ae *tools.ArgumentError
	if err := e.Box.Validate("search_ads", map[string]any{"limit": 500}); !errors.As(err, &ae) || len(ae.Problems) == 0 {
		t.Fatalf("limit 500 without search: %v", err)
	}
	var te *tools.ToolError
	if err := e.Box.Validate("nope", nil); !errors.As(err, &te) || te.Code != tools.CodeUnknownTool {
		t.Fatalf("unknown tool: %v", err)
	}
}

// TestValidationMessagesDoNotDependOnMapOrder validates arguments with
// several unknown properties many times: the message names them in one
// order, sorted, whatever order the map iterates in.
func TestValidationMessagesDoNotDependOnMapOrder(t *testing.T) {
	e := testenv.New(t, testenv.Config{})
	args := map[string]any{"zeta": 1, "alpha": 2, "mid": 3, "beta": 4, "search": "x"}
	var first string
	for i := range 50 {
		err := e.Box.Validate("get_ad", args)
		if err == nil {
			t.Fatal("get_ad with unknown arguments passed")
		}
		if i == 0 {
			first = err.Error()
			if !strings.Contains(first, "'alpha', 'beta', 'mid', 'search', 'zeta'") {
				t.Fatalf("the unknown arguments are not named in sorted order: %s", first)
			}
		} else if err.Error() != first {
			t.Fatalf("the same arguments read two ways:\n%s\n%s", first, err.Error())
		}
	}
}

func TestListenAddrDefaultsToLoopback(t *testing.T) {
	for in, want := range map[string]string{
		"8080": "127.0.0.1:8080", ":8080": "127.0.0.1:8080", "0.0.0.0:9": "0.0.0.0:9",
		"localhost:7": "localhost:7", "[::1]:5": "[::1]:5",
	} {
		got, err := gateway.ListenAddr(in)
		if err != nil || got != want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := gateway.ListenAddr("nope"); err == nil {
		t.Error("ListenAddr(\"nope\") accepted")
	}
}
