package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/tollgate-mcp/tollgate/agent"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/argschema"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// newOAIStack is the tollgate side (stack) with a budget that has not
// read the balance: a call that must not reach the API makes no request.
func newOAIStack(t *testing.T, maxCredits int64) *stack {
	t.Helper()
	return newStackWith(t, maxCredits, nil, false)
}

// failureOf decodes a tool message's content as the advice object.
func failureOf(t *testing.T, content string) map[string]any {
	t.Helper()
	var f struct {
		Error  map[string]any `json:"error"`
		Budget map[string]any `json:"budget"`
	}
	if err := json.Unmarshal([]byte(content), &f); err != nil {
		t.Fatalf("tool message is not JSON: %v\n%s", err, content)
	}
	if f.Error == nil {
		t.Fatalf("tool message has no error object: %s", content)
	}
	return f.Error
}

var openAIName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func TestToolsOffersEveryToolWithAValidSchema(t *testing.T) {
	s := newOAIStack(t, 100)
	got := agent.Tools(s.Box)
	want := s.Box.Catalogue().Tools()
	if len(got) != len(want) {
		t.Fatalf("Tools has %d tools, the catalogue %d", len(got), len(want))
	}
	for i, ot := range got {
		ct := want[i]
		if ot.Type != openai.ToolTypeFunction || ot.Function == nil {
			t.Fatalf("tool %d: type %q, function %v; want a function tool", i, ot.Type, ot.Function)
		}
		f := ot.Function
		if f.Name != ct.Name {
			t.Errorf("tool %d is %q, want %q (catalogue order)", i, f.Name, ct.Name)
		}
		if !openAIName.MatchString(f.Name) {
			t.Errorf("%q is not a valid OpenAI function name", f.Name)
		}
		if f.Description != ct.Description || f.Description == "" {
			t.Errorf("%s: description %q, want the catalogue's", f.Name, f.Description)
		}
		if f.Strict {
			t.Errorf("%s: Strict is on; the schemas are not of the strict subset", f.Name)
		}
		raw, ok := f.Parameters.(json.RawMessage)
		if !ok {
			t.Fatalf("%s: Parameters is %T, want json.RawMessage", f.Name, f.Parameters)
		}
		var schema map[string]any
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatalf("%s: parameters are not a JSON object: %v", f.Name, err)
		}
		if schema["type"] != "object" {
			t.Errorf("%s: parameters type is %v, want object", f.Name, schema["type"])
		}
		if _, ok := schema["properties"].(map[string]any); !ok {
			t.Errorf("%s: parameters have no properties object", f.Name)
		}
		if _, err := argschema.Compile(raw); err != nil {
			t.Errorf("%s: parameters are not a valid JSON Schema: %v", f.Name, err)
		}
		// The wire form is what an endpoint receives.
		wire, err := json.Marshal(ot)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		var back struct {
			Type     string `json:"type"`
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		}
		if err := json.Unmarshal(wire, &back); err != nil || back.Type != "function" || back.Function.Name != f.Name ||
			!bytes.Equal(back.Function.Parameters, ct.InputSchema) {
			t.Errorf("%s: wire form %s does not carry the tool's schema (err %v)", f.Name, wire, err)
		}
	}
}

func TestToolsCannotChangeTheCatalogue(t *testing.T) {
	s := newOAIStack(t, 100)
	first := agent.Tools(s.Box)
	raw := first[0].Function.Parameters.(json.RawMessage)
	for i := range raw {
		raw[i] = 'x'
	}
	again := agent.Tools(s.Box)[0].Function.Parameters.(json.RawMessage)
	if !json.Valid(again) {
		t.Fatalf("editing a returned schema changed the catalogue: %s", again)
	}
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		name      string
		tool      string
		args      string
		isError   bool
		code      string
		source    string
		field     string // a validationErrors field that must be named
		apiCalled bool   // whether an HTTP request may reach the API
	}{
		{name: "free call answers data", tool: "lookup", args: `{"q":"coffee","limit":2}`, apiCalled: true},
		{name: "paid call answers data", tool: "search_ads", args: `{"search":"coffee","limit":3}`, apiCalled: true},
		{name: "empty arguments mean none", tool: "get_budget", args: ``, apiCalled: true},
		{name: "null arguments mean none", tool: "get_budget", args: ` null `, apiCalled: true},
		{name: "truncated JSON is invalid_arguments", tool: "search_ads", args: `{"search":"cof`,
			isError: true, code: tools.CodeInvalidArguments, source: tools.SourceTool, field: "(arguments)"},
		{name: "a JSON array is invalid_arguments", tool: "search_ads", args: `[{"search":"coffee"}]`,
			isError: true, code: tools.CodeInvalidArguments, source: tools.SourceTool, field: "(arguments)"},
		{name: "a JSON string is invalid_arguments", tool: "search_ads", args: `"coffee"`,
			isError: true, code: tools.CodeInvalidArguments, source: tools.SourceTool, field: "(arguments)"},
		{name: "text after the object is invalid_arguments", tool: "search_ads", args: `{"search":"coffee"} {"limit":2}`,
			isError: true, code: tools.CodeInvalidArguments, source: tools.SourceTool, field: "(arguments)"},
		{name: "schema violation is invalid_arguments", tool: "search_ads", args: `{"search":"coffee","limit":500}`,
			isError: true, code: tools.CodeInvalidArguments, source: tools.SourceTool, field: "limit"},
		{name: "unknown tool", tool: "search_the_web", args: `{}`,
			isError: true, code: tools.CodeUnknownTool, source: tools.SourceTool},
		{name: "API error reaches the model", tool: "get_ad", args: `{"adId":"facebook_0000000000000000"}`,
			isError: true, code: runtime.CodeNotFound, source: runtime.SourceAPI, apiCalled: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAIStack(t, 100)
			call := openai.ToolCall{ID: "call_42", Type: openai.ToolTypeFunction,
				Function: openai.FunctionCall{Name: tc.tool, Arguments: tc.args}}
			msg, res := agent.Dispatch(context.Background(), s.Box, call)
			if res == nil {
				t.Fatal("nil Result")
			}
			if msg.Role != openai.ChatMessageRoleTool || msg.ToolCallID != "call_42" {
				t.Fatalf("message role %q, tool call id %q; want tool, call_42", msg.Role, msg.ToolCallID)
			}
			if msg.Content != string(res.JSON()) {
				t.Fatalf("content is not the Result's JSON:\n%s\n%s", msg.Content, res.JSON())
			}
			if res.IsError != tc.isError {
				t.Fatalf("IsError = %v, want %v: %s", res.IsError, tc.isError, msg.Content)
			}
			if !tc.apiCalled && s.Requests() != 0 {
				t.Errorf("%d requests reached the API; want none", s.Requests())
			}
			if !tc.isError {
				if !json.Valid([]byte(msg.Content)) || strings.Contains(msg.Content, `"error"`) {
					t.Fatalf("want a success object, got %s", msg.Content)
				}
				return
			}
			e := failureOf(t, msg.Content)
			if e["code"] != tc.code || e["source"] != tc.source {
				t.Fatalf("error code %v source %v, want %s %s: %s", e["code"], e["source"], tc.code, tc.source, msg.Content)
			}
			if res.Advice == nil || res.Advice.Code != tc.code {
				t.Fatalf("Result.Advice = %+v, want code %s", res.Advice, tc.code)
			}
			if a, _ := e["action"].(string); a == "" {
				t.Errorf("advice has no action: %s", msg.Content)
			}
			if tc.field != "" {
				found := false
				for _, ve := range res.Advice.ValidationErrors {
					found = found || ve.Field == tc.field
				}
				if !found {
					t.Errorf("validationErrors %+v do not name %q", res.Advice.ValidationErrors, tc.field)
				}
			}
		})
	}
}

func TestDispatchBudgetHaltIsAdviceNot402(t *testing.T) {
	s := newOAIStack(t, 5)
	call := func(args string) map[string]any {
		msg, _ := agent.Dispatch(context.Background(), s.Box, openai.ToolCall{ID: "c", Type: openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: "search_ads", Arguments: args}})
		var m map[string]any
		if err := json.Unmarshal([]byte(msg.Content), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := call(`{"search":"coffee","limit":20}`) // fitted down to the 5 credits left
	if _, isErr := first["error"]; isErr {
		t.Fatalf("first call failed: %v", first)
	}
	second := call(`{"search":"coffee","limit":20,"page":2}`)
	e, _ := second["error"].(map[string]any)
	if e == nil || e["source"] != budget.SourceBudget || e["code"] != budget.CodeCapReached {
		t.Fatalf("want a budget_cap_reached halt with source budget, got %v", second)
	}
	if s.Status(402) != 0 {
		t.Fatalf("%d 402s reached the client", s.Status(402))
	}
	if st, err := s.Ctrl.Status(context.Background()); err != nil || st.RunSpent > 5 {
		t.Fatalf("spent %d over a cap of 5 (%v)", st.RunSpent, err)
	}
}

func TestDispatchRecoversFromAPanic(t *testing.T) {
	// A Toolbox without a catalogue panics inside Call.
	box := &tools.Toolbox{}
	msg, res := agent.Dispatch(context.Background(), box, openai.ToolCall{ID: "c1",
		Function: openai.FunctionCall{Name: "lookup", Arguments: `{}`}})
	if !res.IsError || res.Advice.Code != tools.CodeToolPanic || res.Advice.Source != tools.SourceTool {
		t.Fatalf("want a tool_panic advice, got %+v", res.Advice)
	}
	if msg.ToolCallID != "c1" || msg.Role != openai.ChatMessageRoleTool || msg.Content != string(res.JSON()) {
		t.Fatalf("bad tool message %+v", msg)
	}
}
