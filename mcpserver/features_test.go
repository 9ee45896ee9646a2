package mcpserver_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/buildinfo"
	"github.com/tollgate-mcp/tollgate/internal/mcppeer"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// events lists the event field of log messages at level.
func events(logs []mcppeer.LogMsg, level string) []string {
	var out []string
	for _, l := range logs {
		if level == "" || l.Level == level {
			ev, _ := l.Data["event"].(string)
			out = append(out, ev)
		}
	}
	return out
}

// TestLogMessagesTellWaitsHaltsAndWarnings asks for every log message and
// checks the ones a rate limit, the 80% warning, a fitted page and a halt
// produce, and that none holds the API key.
func TestLogMessagesTellWaitsHaltsAndWarnings(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 30}})
		p := connect(t, e, k, mcppeer.Options{})
		p.SetLevel(t, "debug")
		e.SB.Inject(sandbox.Fault{Kind: sandbox.FaultRateLimited, PathPrefix: "/v1/ads", RetryAfter: "2"})
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25})
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25, "page": 2})
		r := p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 25, "page": 3})
		testenv.WantAdviceJSON(t, r.SC, budget.CodeCapReached, budget.SourceBudget)

		want := map[string]string{"retry_wait": "warning", "budget_warning": "warning", "fitted": "notice", "halt": "warning", "call": "debug"}
		p.WaitFor(t, "the log messages", func(s mcppeer.Seen) bool {
			seen := map[string]bool{}
			for _, l := range s.Logs {
				if ev, _ := l.Data["event"].(string); want[ev] == l.Level {
					seen[ev] = true
				}
			}
			return len(seen) == len(want)
		})
		for _, l := range p.Logs() {
			raw, _ := json.Marshal(l)
			if strings.Contains(string(raw), e.Key) {
				t.Errorf("a log message holds the API key: %s", raw)
			}
			if msg, _ := l.Data["message"].(string); msg == "" {
				t.Errorf("a log message without a message: %s", raw)
			}
		}
		// The 429's wait says so; the pace it teaches (the sandbox sends
		// no rate-limit headers here) may add pacing waits.
		limited := 0
		for _, l := range p.Logs() {
			if l.Data["event"] == "retry_wait" {
				msg := l.Data["message"].(string)
				switch {
				case strings.Contains(msg, "rate_limited") && strings.Contains(msg, "2s"):
					limited++
				case !strings.Contains(msg, "pacing"):
					t.Errorf("retry message %q says neither rate_limited and the 2s wait nor pacing", msg)
				}
			}
		}
		if limited == 0 {
			t.Error("no retry message says rate_limited and the 2s wait")
		}
	})
}

// TestNoLogMessagesBelowTheLevelAsked: warnings are not sent before the
// client asks for them (2025-11-25 sends errors only until
// logging/setLevel; 2026-07-28 sends nothing to a request without a
// level), and are once it does.
func TestNoLogMessagesBelowTheLevelAsked(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 1}})
		p := connect(t, e, k, mcppeer.Options{})
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 5, "page": 3}) // fitted to 1
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 5})            // halted
		p.SetLevel(t, "warning")
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 5, "page": 2}) // halted
		// Messages of one client arrive in order: once the last halt's
		// warning is here, the earlier ones would be too.
		p.WaitFor(t, "the halt warning", func(s mcppeer.Seen) bool { return slices.Contains(events(s.Logs, "warning"), "halt") })
		if got := events(p.Logs(), ""); !slices.Equal(got, []string{"halt"}) {
			t.Errorf("log events = %v, want only the one halt after the level was set", got)
		}
	})
}

func TestBudgetSubscriptionIsToldAfterAPaidCall(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true, Server: mcpserver.Options{BudgetNotifyEvery: 20 * time.Millisecond}})
		p := connect(t, e, k, mcppeer.Options{})
		p.Subscribe(t, mcpserver.BudgetURI)
		p.Call(t, "lookup", map[string]any{"q": "coffee"}) // free: the budget does not change
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 3})
		p.WaitFor(t, "notifications/resources/updated", func(s mcppeer.Seen) bool { return len(s.Updates) > 0 })
		if u := p.Updates(); u[0] != mcpserver.BudgetURI {
			t.Errorf("updated %v, want %s", u, mcpserver.BudgetURI)
		}
		var view map[string]any
		if err := json.Unmarshal([]byte(p.Read(t, mcpserver.BudgetURI)), &view); err != nil {
			t.Fatal(err)
		}
		if got := testenv.Num(t, testenv.Obj(t, view, "budget"), "runSpent"); got != 3 {
			t.Errorf("the budget resource says runSpent %d after a 3-row call, want 3", got)
		}
		// Two more calls in a row: one more update at once or at the end
		// of the interval, the two changes in at most two updates.
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 2, "page": 2})
		p.Call(t, "search_ads", map[string]any{"search": "coffee", "limit": 2, "page": 3})
		p.WaitFor(t, "the update after the last call", func(s mcppeer.Seen) bool { return len(s.Updates) >= 2 })
		if n := len(p.Updates()); n > 3 {
			t.Errorf("%d updates for three paid calls, want 2 or 3", n)
		}
		var after map[string]any
		_ = json.Unmarshal([]byte(p.Read(t, mcpserver.BudgetURI)), &after)
		if got := testenv.Num(t, testenv.Obj(t, after, "budget"), "runSpent"); got != 7 {
			t.Errorf("runSpent = %d after three calls, want 7", got)
		}
	})
}

func TestResourcesAreTheBudgetAndTheOpenAPIDocumentWithoutAPICalls(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true, Load: true})
		p := connect(t, e, k, mcppeer.Options{})
		if got := p.Resources(t); !slices.Contains(got, mcpserver.BudgetURI) || !slices.Contains(got, mcpserver.OpenAPIURI) {
			t.Fatalf("resources/list = %v", got)
		}
		before := e.SB.Requests()
		var doc map[string]any
		if err := json.Unmarshal([]byte(p.Read(t, mcpserver.OpenAPIURI)), &doc); err != nil || doc["openapi"] == nil || doc["paths"] == nil {
			t.Errorf("the OpenAPI resource is not the document: %v", err)
		}
		var view map[string]any
		if err := json.Unmarshal([]byte(p.Read(t, mcpserver.BudgetURI)), &view); err != nil {
			t.Fatal(err)
		}
		if got := testenv.Num(t, testenv.WantBudget(t, view), "runCap"); got != 1000 {
			t.Errorf("budget.runCap = %d, want 1000", got)
		}
		if n := e.SB.Requests() - before; n != 0 {
			t.Errorf("reading the resources made %d API requests, want 0", n)
		}
	})
}

func TestPromptsRenderPlansSizedToTheBudget(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true, Budget: &budget.Config{MaxCredits: 40}})
		p := connect(t, e, k, mcppeer.Options{})
		subjects := map[string]string{mcpserver.PromptCompetitorBrief: "brand", mcpserver.PromptAdAngles: "topic", mcpserver.PromptShopTeardown: "shop"}
		list := p.Prompts(t)
		if len(list) != len(subjects) {
			t.Fatalf("prompts/list = %+v, want %d prompts", list, len(subjects))
		}
		for _, pr := range list {
			arg, ok := subjects[pr.Name]
			if !ok || !slices.Equal(pr.Required, []string{arg}) || !slices.Equal(pr.Optional, []string{"credits"}) {
				t.Errorf("prompt %+v: want %s with required %q and optional credits", pr, pr.Name, arg)
			}
		}
		for name, arg := range subjects {
			text, err := p.Prompt(name, map[string]string{arg: "Lark Coffee"})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, want := range []string{"Lark Coffee", "at most 40 credits", "the budget allows 40 now", "source \"budget\""} {
				if !strings.Contains(text, want) {
					t.Errorf("%s does not say %q:\n%s", name, want, text)
				}
			}
			if text, _ := p.Prompt(name, map[string]string{arg: "x", "credits": "12"}); !strings.Contains(text, "at most 12 credits") {
				t.Errorf("%s with credits 12:\n%s", name, text)
			}
			if text, _ := p.Prompt(name, map[string]string{arg: "x", "credits": "500"}); !strings.Contains(text, "at most 40 credits") || !strings.Contains(text, "allows only 40") {
				t.Errorf("%s with more credits than the budget allows:\n%s", name, text)
			}
			if _, err := p.Prompt(name, nil); err == nil {
				t.Errorf("%s without %s: no error", name, arg)
			}
			if _, err := p.Prompt(name, map[string]string{arg: "x", "credits": "lots"}); err == nil {
				t.Errorf("%s with credits 'lots': no error", name)
			}
		}
		text, _ := p.Prompt(mcpserver.PromptCompetitorBrief, map[string]string{"brand": "Lark Coffee"})
		for _, step := range []string{"1. lookup", "get_advertiser", "list_advertiser_ads", "search_tiktok_library", "query_google_ads", "get_shop"} {
			if !strings.Contains(text, step) {
				t.Errorf("the competitor brief's plan lacks %q", step)
			}
		}
	})
}

func TestServerInfoNamesTollgateAndItsBuild(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true})
		p := connect(t, e, k, mcppeer.Options{})
		want := struct{ Name, Title, Version, WebsiteURL string }{mcpserver.DefaultName, mcpserver.DefaultTitle, buildinfo.Version(), mcpserver.DefaultWebsiteURL}
		got := struct{ Name, Title, Version, WebsiteURL string }{p.Info.Name, p.Info.Title, p.Info.Version, p.Info.WebsiteURL}
		if got != want {
			t.Errorf("serverInfo = %+v, want %+v", got, want)
		}
	})
}

// TestAToolThatDoesNotExistIsAProtocolError: MCP says an unknown tool is
// a JSON-RPC error, not a tool result.
func TestAToolThatDoesNotExistIsAProtocolError(t *testing.T) {
	mcppeer.ForEach(t, func(t *testing.T, k mcppeer.Kind) {
		e := testenv.New(t, testenv.Config{NoClient: true})
		p := connect(t, e, k, mcppeer.Options{})
		r, err := p.CallErr(context.Background(), "search_the_web", map[string]any{"q": "x"})
		if err == nil {
			t.Fatalf("calling a tool that does not exist answered a result: %s", testenv.MustJSON(r.SC))
		}
		if !strings.Contains(err.Error(), "search_the_web") {
			t.Errorf("the error %q does not name the tool", err)
		}
	})
}
