package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/tollgate-mcp/tollgate/agent"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

const model = "fake-model"

// errorOf returns the "error" object of a decoded tool message, or nil.
func errorOf(m map[string]any) map[string]any {
	e, _ := m["error"].(map[string]any)
	return e
}

func roles(msgs []openai.ChatCompletionMessage) string {
	rs := make([]string, len(msgs))
	for i, m := range msgs {
		rs[i] = m.Role
	}
	return strings.Join(rs, ",")
}

// toolMessages decodes the tool messages of a transcript.
func toolMessages(t *testing.T, msgs []openai.ChatCompletionMessage) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range msgs {
		if m.Role != openai.ChatMessageRoleTool {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(m.Content), &v); err != nil {
			t.Fatalf("tool message is not JSON: %v: %s", err, m.Content)
		}
		out = append(out, v)
	}
	return out
}

func TestAgentAnswersAfterAToolCall(t *testing.T) {
	st := newStack(t, 100)
	ids := 0
	fm := newFakeModel(t, func(tn turn) reply {
		if !tn.Offered() {
			t.Errorf("turn %d offered no tools", tn.N)
		}
		if tn.Req.Model != model {
			t.Errorf("model %q, want %q", tn.Req.Model, model)
		}
		switch tn.N {
		case 1:
			if tn.Req.Messages[0].Role != openai.ChatMessageRoleSystem || tn.Req.Messages[0].Content != agent.DefaultSystem {
				t.Errorf("first message is not the default system prompt: %+v", tn.Req.Messages[0])
			}
			if tn.Last().Content != "Which coffee brands advertise?" {
				t.Errorf("question not sent: %+v", tn.Last())
			}
			return callTools(&ids, "lookup", `{"q":"coffee","limit":3}`)
		default:
			res := tn.ToolResults()
			if len(res) != 1 || res[0]["data"] == nil {
				t.Errorf("turn 2 sees %v, want the lookup data", res)
			}
			return say("Jade Coffee, Wren Coffee and Cedar Coffee.")
		}
	})
	var kinds []agent.EventKind
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box,
		OnEvent: func(e agent.Event) { kinds = append(kinds, e.Kind) }}
	out, err := r.Run(context.Background(), "Which coffee brands advertise?")
	if err != nil {
		t.Fatal(err)
	}
	if out.Reason != agent.StopAnswered || out.Answer != "Jade Coffee, Wren Coffee and Cedar Coffee." {
		t.Fatalf("reason %q answer %q", out.Reason, out.Answer)
	}
	if out.Turns != 2 || out.ToolCalls != 1 || out.Spent != 0 || out.Halt != nil {
		t.Fatalf("turns %d toolCalls %d spent %d halt %v; want 2 1 0 nil", out.Turns, out.ToolCalls, out.Spent, out.Halt)
	}
	if got := roles(out.Transcript); got != "system,user,assistant,tool,assistant" {
		t.Fatalf("transcript roles %s", got)
	}
	if out.Budget == nil || out.Budget.RunSpent != 0 {
		t.Fatalf("budget status %+v", out.Budget)
	}
	if got := len(fm.Turns()[0].Req.Tools); got != catalogue().Len() {
		t.Fatalf("%d tools offered, want the catalogue's %d", got, catalogue().Len())
	}
	want := []agent.EventKind{agent.EventAssistant, agent.EventToolResult, agent.EventAssistant}
	if strings.Join(eventNames(kinds), ",") != strings.Join(eventNames(want), ",") {
		t.Fatalf("events %v, want %v", kinds, want)
	}
}

func eventNames(ks []agent.EventKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// The model pages forever; the budget ends the run at the cap with no
// 402, and the model is asked for an answer without tools.
func TestAgentStopsAtTheBudgetCapWithoutA402(t *testing.T) {
	const capCredits = 50
	st := newStack(t, capCredits)
	ids := 0
	var afterHalt []map[string]any
	fm := newFakeModel(t, func(tn turn) reply {
		if !tn.Offered() {
			if tn.Last().Role != openai.ChatMessageRoleUser || tn.Last().Content != agent.BudgetWrapUp {
				t.Errorf("the turn without tools does not end with the wrap-up instruction: %+v", tn.Last())
			}
			afterHalt = tn.ToolResults() // what the model read last (before the instruction: none)
			return say("Coffee advertisers found so far: see above. The budget ran out.")
		}
		if tn.N == 1 {
			return callTools(&ids, "search_ads", `{"search":"coffee","limit":20}`)
		}
		res := tn.ToolResults()
		next, _ := res[0]["nextPage"].(map[string]any)
		if next == nil { // stubborn: ask for the same page again
			next = map[string]any{"search": "coffee", "limit": 20, "page": 99}
		}
		raw, _ := json.Marshal(next)
		return callTools(&ids, "search_ads", string(raw))
	})
	requestsAtHalt := -1
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box, MaxTurns: 50,
		OnEvent: func(e agent.Event) {
			if e.Kind == agent.EventHalt {
				requestsAtHalt = st.Requests()
			}
		}}
	out, err := r.Run(context.Background(), "List every coffee ad.")
	if err != nil {
		t.Fatal(err)
	}
	if out.Reason != agent.StopBudget {
		t.Fatalf("reason %q, want budget", out.Reason)
	}
	if n := st.Status(402); n != 0 {
		t.Fatalf("%d 402 responses; the budget must stop the run before the API refuses", n)
	}
	ctrlSt, err := st.Ctrl.Status(context.Background())
	if err != nil || out.Spent > capCredits || out.Spent != ctrlSt.RunSpent || out.Spent == 0 {
		t.Fatalf("spent %d (controller %d, %v), want 0 < spent <= %d", out.Spent, ctrlSt.RunSpent, err, capCredits)
	}
	if out.Halt == nil || out.Halt.Source != budget.SourceBudget || out.Halt.Code != budget.CodeCapReached {
		t.Fatalf("halt %+v, want budget_cap_reached from the budget", out.Halt)
	}
	if out.Answer == "" || !strings.Contains(out.Answer, "budget") {
		t.Fatalf("answer %q", out.Answer)
	}
	if st.Requests() != requestsAtHalt {
		t.Fatalf("%d API requests after the halt", st.Requests()-requestsAtHalt)
	}
	// The model saw the halt advice.
	tms := toolMessages(t, out.Transcript)
	last := errorOf(tms[len(tms)-1])
	if last == nil || last["source"] != "budget" || last["action"] == "" {
		t.Fatalf("the last tool message is not the budget's advice: %v", tms[len(tms)-1])
	}
	if len(afterHalt) != 0 {
		t.Fatalf("the final turn should end with the instruction, not tool results")
	}
	turns := fm.Turns()
	final := turns[len(turns)-1]
	if final.Offered() || final.Raw["tool_choice"] != nil {
		t.Fatalf("the final turn offered tools")
	}
	if out.Turns != len(turns) || out.ToolCalls != len(turns)-1 {
		t.Fatalf("turns %d toolCalls %d, the model saw %d requests", out.Turns, out.ToolCalls, len(turns))
	}
	// 20 + 20 + 10 (fitted to the cap), then the halt.
	if st.Paid() != 3 || out.ToolCalls != 4 {
		t.Fatalf("%d paid calls and %d tool calls, want 3 and 4", st.Paid(), out.ToolCalls)
	}
	if got := roles(out.Transcript[len(out.Transcript)-2:]); got != "user,assistant" {
		t.Fatalf("transcript ends with %s", got)
	}
}

// Another client drained the workspace: the API's own 402 ends the run
// the same way, and the model reads the API's advice.
func TestAgentStopsOnInsufficientCreditsFromTheAPI(t *testing.T) {
	// The budget has not learnt the balance, so only the API knows.
	st := newStackWith(t, 100, &sandbox.Credits{Recurring: 3}, false)
	ids := 0
	fm := newFakeModel(t, func(tn turn) reply {
		if !tn.Offered() {
			return say("out of credits")
		}
		return callTools(&ids, "search_ads", `{"search":"coffee","limit":20}`)
	})
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box}
	out, err := r.Run(context.Background(), "q")
	if err != nil {
		t.Fatal(err)
	}
	if out.Reason != agent.StopBudget || out.Halt == nil || out.Halt.Code != runtime.CodeInsufficientCredits {
		t.Fatalf("reason %q halt %+v", out.Reason, out.Halt)
	}
	if out.Turns != 2 || out.ToolCalls != 1 || st.Status(402) != 1 || out.Spent != 0 {
		t.Fatalf("turns %d toolCalls %d 402s %d spent %d", out.Turns, out.ToolCalls, st.Status(402), out.Spent)
	}
	tms := toolMessages(t, out.Transcript)
	if e := errorOf(tms[0]); e["code"] != runtime.CodeInsufficientCredits {
		t.Fatalf("the model saw %v", tms[0])
	}
}

func TestAgentMaxTurns(t *testing.T) {
	st := newStack(t, 100)
	ids := 0
	fm := newFakeModel(t, func(tn turn) reply {
		if !tn.Offered() {
			if tn.Last().Content != agent.TurnsWrapUp {
				t.Errorf("the last turn does not carry the turn-limit instruction: %+v", tn.Last())
			}
			// A confused endpoint calls a tool anyway: it must be ignored.
			rep := callTools(&ids, "get_budget", `{}`)
			rep.Msg.Content = "Here is what I have."
			return rep
		}
		return callTools(&ids, "get_budget", `{}`)
	})
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box, MaxTurns: 3}
	out, err := r.Run(context.Background(), "How much budget is left?")
	if err != nil {
		t.Fatal(err)
	}
	if out.Reason != agent.StopMaxTurns || out.Answer != "Here is what I have." {
		t.Fatalf("reason %q answer %q", out.Reason, out.Answer)
	}
	if out.Turns != 4 || len(fm.Turns()) != 4 || out.ToolCalls != 3 {
		t.Fatalf("turns %d (model saw %d), tool calls %d; want 4, 4, 3", out.Turns, len(fm.Turns()), out.ToolCalls)
	}
	if last := out.Transcript[len(out.Transcript)-1]; len(last.ToolCalls) != 0 || last.Role != openai.ChatMessageRoleAssistant {
		t.Fatalf("the final message keeps tool calls nothing answered: %+v", last)
	}
	checkHistory(t, out.Transcript)
}

// A tool failure is advice the model reads, and the loop goes on.
func TestAgentToolFailuresReachTheModel(t *testing.T) {
	tests := []struct {
		name    string
		tool    string
		args    string
		code    string
		source  string
		noCalls bool // the API must not be called
	}{
		{name: "malformed arguments", tool: "search_ads", args: `{"search":"coffee","limit":`,
			code: tools.CodeInvalidArguments, source: tools.SourceTool, noCalls: true},
		{name: "arguments against the schema", tool: "search_ads", args: `{"search":"coffee","limit":1000}`,
			code: tools.CodeInvalidArguments, source: tools.SourceTool, noCalls: true},
		{name: "unknown tool", tool: "browse_web", args: `{"url":"https://example.com"}`,
			code: tools.CodeUnknownTool, source: tools.SourceTool, noCalls: true},
		{name: "API error advice", tool: "get_ad", args: `{"adId":"facebook_0000000000000001"}`,
			code: runtime.CodeNotFound, source: runtime.SourceAPI},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStack(t, 100)
			before := st.Requests()
			ids := 0
			var seen map[string]any
			fm := newFakeModel(t, func(tn turn) reply {
				if tn.N == 1 {
					return callTools(&ids, tc.tool, tc.args)
				}
				seen = errorOf(tn.ToolResults()[0])
				return say("I could not get that: " + tn.Last().Content)
			})
			r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box}
			out, err := r.Run(context.Background(), "q")
			if err != nil {
				t.Fatal(err)
			}
			if out.Reason != agent.StopAnswered || out.Turns != 2 || out.ToolCalls != 1 || out.Halt != nil {
				t.Fatalf("reason %q turns %d toolCalls %d halt %v", out.Reason, out.Turns, out.ToolCalls, out.Halt)
			}
			if seen == nil || seen["code"] != tc.code || seen["source"] != tc.source || seen["action"] == "" {
				t.Fatalf("the model saw %v, want code %s source %s with an action", seen, tc.code, tc.source)
			}
			if tc.noCalls && st.Requests() != before {
				t.Fatalf("%d API requests for a call that must not reach the API", st.Requests()-before)
			}
			if out.Spent != 0 {
				t.Fatalf("spent %d", out.Spent)
			}
		})
	}
}

func TestAgentParallelToolCallsAnsweredInOrder(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		name := "sequential"
		if parallel {
			name = "concurrent"
		}
		t.Run(name, func(t *testing.T) {
			st := newStack(t, 100)
			ids := 0
			fm := newFakeModel(t, func(tn turn) reply {
				if tn.N == 1 {
					rep := callTools(&ids,
						"lookup", `{"q":"coffee","limit":2}`,
						"get_ad", `{"adId":"nope"}`,
						"search_ads", `{"search":"coffee","limit":2}`,
						"get_budget", ``)
					rep.Msg.ToolCalls[3].ID = "" // some endpoints send no id
					return rep
				}
				return say("done")
			})
			r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box, Parallel: parallel}
			out, err := r.Run(context.Background(), "q")
			if err != nil {
				t.Fatal(err)
			}
			if out.Reason != agent.StopAnswered || out.ToolCalls != 4 {
				t.Fatalf("reason %q toolCalls %d", out.Reason, out.ToolCalls)
			}
			// system, user, assistant(4 calls), 4 tools, assistant
			calls := out.Transcript[2].ToolCalls
			if len(calls) != 4 || calls[3].ID == "" {
				t.Fatalf("assistant message %+v", out.Transcript[2])
			}
			for i, c := range calls {
				m := out.Transcript[3+i]
				if m.Role != openai.ChatMessageRoleTool || m.ToolCallID != c.ID {
					t.Fatalf("message %d answers %q, want %q", 3+i, m.ToolCallID, c.ID)
				}
			}
			tms := toolMessages(t, out.Transcript)
			if tms[0]["data"] == nil || errorOf(tms[1])["code"] != runtime.CodeNotFound || tms[2]["data"] == nil || tms[3]["budget"] == nil {
				t.Fatalf("tool results out of order: %v", tms)
			}
			if out.Spent != 2 {
				t.Fatalf("spent %d, want 2 (two ads)", out.Spent)
			}
		})
	}
}

// After a halt, the other calls of the same message are not run.
func TestAgentSkipsTheRestOfATurnAfterAHalt(t *testing.T) {
	st := newStack(t, 5)
	ids := 0
	fm := newFakeModel(t, func(tn turn) reply {
		if tn.N == 1 {
			return callTools(&ids,
				"search_ads", `{"search":"coffee","limit":5}`,
				"search_ads", `{"search":"coffee","limit":5,"page":2}`,
				"lookup", `{"q":"coffee"}`)
		}
		if tn.Offered() {
			t.Errorf("turn %d after a halt offered tools", tn.N)
		}
		return say("partial answer")
	})
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box}
	before := st.Requests()
	out, err := r.Run(context.Background(), "q")
	if err != nil {
		t.Fatal(err)
	}
	if out.Reason != agent.StopBudget || out.ToolCalls != 2 || out.Turns != 2 {
		t.Fatalf("reason %q toolCalls %d turns %d", out.Reason, out.ToolCalls, out.Turns)
	}
	if got := st.Requests() - before; got != 1 {
		t.Fatalf("%d API requests, want 1 (the first search)", got)
	}
	tms := toolMessages(t, out.Transcript)
	if e := errorOf(tms[1]); e["code"] != budget.CodeCapReached {
		t.Fatalf("second call: %v", tms[1])
	}
	if e := errorOf(tms[2]); e["code"] != agent.CodeNotRun || e["source"] != "budget" || e["action"] == "" {
		t.Fatalf("third call: %v", tms[2])
	}
	if out.Spent != 5 || st.Status(402) != 0 {
		t.Fatalf("spent %d, 402s %d", out.Spent, st.Status(402))
	}
}

func TestAgentStopsWhenTheContextIsCancelled(t *testing.T) {
	t.Run("while the model thinks", func(t *testing.T) {
		st := newStack(t, 100)
		ids := 0
		started := make(chan struct{})
		fm := newFakeModel(t, func(tn turn) reply {
			if tn.N == 1 {
				return callTools(&ids, "get_budget", `{}`)
			}
			close(started)
			return reply{Block: true}
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { <-started; cancel() }()
		r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box}
		start := time.Now()
		out, err := r.Run(ctx, "q")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if out == nil || out.Reason != agent.StopError || out.ToolCalls != 1 {
			t.Fatalf("outcome %+v", out)
		}
		if got := roles(out.Transcript); got != "system,user,assistant,tool" {
			t.Fatalf("transcript %s", got)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("Run took %v to notice the cancellation", time.Since(start))
		}
	})
	t.Run("during a tool call", func(t *testing.T) {
		st := newStack(t, 100)
		ids := 0
		fm := newFakeModel(t, func(tn turn) reply {
			if tn.N > 1 {
				t.Errorf("the model was asked again after the cancellation")
			}
			return callTools(&ids, "get_budget", `{}`, "lookup", `{"q":"coffee"}`)
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box,
			OnEvent: func(e agent.Event) {
				if e.Kind == agent.EventAssistant {
					cancel()
				}
			}}
		out, err := r.Run(ctx, "q")
		if !errors.Is(err, context.Canceled) || out.Reason != agent.StopError {
			t.Fatalf("err %v reason %q", err, out.Reason)
		}
		// Both calls are still answered, so the transcript stays valid.
		checkHistory(t, out.Transcript)
		tms := toolMessages(t, out.Transcript)
		if len(tms) != 2 || errorOf(tms[1])["code"] != runtime.CodeCanceled {
			t.Fatalf("tool messages %v", tms)
		}
	})
}

func TestAgentReportsAChatEndpointFailure(t *testing.T) {
	st := newStack(t, 100)
	fm := newFakeModel(t, func(turn) reply { return reply{Status: 500} })
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box}
	out, err := r.Run(context.Background(), "q")
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 500 {
		t.Fatalf("err %v, want the endpoint's *openai.APIError", err)
	}
	if out.Reason != agent.StopError || out.Turns != 1 || len(out.Transcript) != 2 {
		t.Fatalf("outcome %+v", out)
	}
}

func TestAgentRunnerNeedsItsFields(t *testing.T) {
	st := newStack(t, 100)
	fm := newFakeModel(t, func(turn) reply { return say("x") })
	tests := []struct {
		name string
		r    agent.Runner
		want string
	}{
		{"no client", agent.Runner{Model: model, Box: st.Box}, "Client"},
		{"no model", agent.Runner{Client: fm.Client(), Box: st.Box}, "Model"},
		{"no box", agent.Runner{Client: fm.Client(), Model: model}, "Box"},
		{"negative turns", agent.Runner{Client: fm.Client(), Model: model, Box: st.Box, MaxTurns: -1}, "MaxTurns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.r.Run(context.Background(), "q")
			if err == nil || !strings.Contains(err.Error(), tc.want) || out == nil {
				t.Fatalf("err %v, want one naming %s", err, tc.want)
			}
		})
	}
	if n := len(fm.Turns()); n != 0 {
		t.Fatalf("a misconfigured Runner sent %d requests", n)
	}
}

func TestAgentPrepareRequestCannotOfferToolsInTheLastTurn(t *testing.T) {
	st := newStack(t, 100)
	ids := 0
	fm := newFakeModel(t, func(tn turn) reply {
		if tn.Raw["temperature"] == nil {
			t.Errorf("turn %d: PrepareRequest's temperature was not sent", tn.N)
		}
		if !tn.Offered() {
			if tn.Raw["tool_choice"] != nil || tn.Raw["parallel_tool_calls"] != nil {
				t.Errorf("the last turn carries tool options: %s %s", tn.Raw["tool_choice"], tn.Raw["parallel_tool_calls"])
			}
			return say("ok")
		}
		return callTools(&ids, "get_budget", `{}`)
	})
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box, MaxTurns: 1,
		PrepareRequest: func(req *openai.ChatCompletionRequest) {
			req.Temperature = 0.2
			req.ToolChoice = "auto"
			req.ParallelToolCalls = false
		}}
	out, err := r.Run(context.Background(), "q")
	if err != nil || out.Reason != agent.StopMaxTurns {
		t.Fatalf("err %v reason %q", err, out.Reason)
	}
}

func TestAgentRunsConcurrently(t *testing.T) {
	st := newStack(t, 100)
	fm := newFakeModel(t, func(tn turn) reply {
		if tn.Last().Role == openai.ChatMessageRoleUser {
			n := 0
			return callTools(&n, "get_budget", `{}`)
		}
		return say("ok")
	})
	r := &agent.Runner{Client: fm.Client(), Model: model, Box: st.Box}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			out, err := r.Run(context.Background(), "q")
			if err != nil || out.Reason != agent.StopAnswered {
				t.Errorf("err %v reason %v", err, out.Reason)
			}
		})
	}
	wg.Wait()
}

func TestAgentIsHalt(t *testing.T) {
	tests := []struct {
		a    *runtime.Advice
		want bool
	}{
		{nil, false},
		{&runtime.Advice{Code: budget.CodeCapReached, Source: budget.SourceBudget}, true},
		{&runtime.Advice{Code: budget.CodeFloorReached, Source: budget.SourceBudget}, true},
		{&runtime.Advice{Code: budget.CodeExhausted, Source: budget.SourceBudget}, true},
		{&runtime.Advice{Code: runtime.CodeInsufficientCredits, Source: runtime.SourceAPI}, true},
		{&runtime.Advice{Code: budget.CodeCallLimit, Source: budget.SourceBudget}, false},
		{&runtime.Advice{Code: runtime.CodeRateLimited, Source: runtime.SourceAPI}, false},
		{&runtime.Advice{Code: tools.CodeInvalidArguments, Source: tools.SourceTool}, false},
	}
	for _, tc := range tests {
		if got := agent.IsHalt(tc.a); got != tc.want {
			t.Errorf("IsHalt(%+v) = %v, want %v", tc.a, got, tc.want)
		}
	}
}

func TestAgentClientFromEnv(t *testing.T) {
	fm := newFakeModel(t, func(turn) reply { return say("hello") })
	t.Run("neither variable", func(t *testing.T) {
		t.Setenv(agent.EnvAPIKey, "")
		t.Setenv(agent.EnvBaseURL, "")
		if _, err := agent.ClientFromEnv(); err == nil || !strings.Contains(err.Error(), agent.EnvAPIKey) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("bad base URL", func(t *testing.T) {
		t.Setenv(agent.EnvAPIKey, "k")
		t.Setenv(agent.EnvBaseURL, "localhost:8080/v1")
		if _, err := agent.ClientFromEnv(); err == nil || !strings.Contains(err.Error(), agent.EnvBaseURL) {
			t.Fatalf("err %v", err)
		}
	})
	for _, key := range []string{"sk-from-env", ""} {
		t.Run("base URL and key "+key, func(t *testing.T) {
			t.Setenv(agent.EnvAPIKey, key)
			t.Setenv(agent.EnvBaseURL, fm.srv.URL+"/v1/")
			c, err := agent.ClientFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: model,
				Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "hi"}}})
			if err != nil || resp.Choices[0].Message.Content != "hello" {
				t.Fatalf("err %v resp %+v", err, resp)
			}
			fm.mu.Lock()
			auth := fm.auth[len(fm.auth)-1]
			fm.mu.Unlock()
			want := ""
			if key != "" {
				want = "Bearer " + key
			}
			if auth != want {
				t.Fatalf("Authorization %q, want %q", auth, want)
			}
		})
	}
}
