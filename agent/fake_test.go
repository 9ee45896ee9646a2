package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// turn is what the scripted model sees of one request.
type turn struct {
	N   int // 1-based
	Req openai.ChatCompletionRequest
	Raw map[string]json.RawMessage // the request body's top-level fields
}

// Offered reports whether the request offered tools.
func (t turn) Offered() bool {
	_, ok := t.Raw["tools"]
	return ok && len(t.Req.Tools) > 0
}

// Last is the last message of the request.
func (t turn) Last() openai.ChatCompletionMessage { return t.Req.Messages[len(t.Req.Messages)-1] }

// ToolResults returns the tool messages after the last assistant message,
// decoded.
func (t turn) ToolResults() []map[string]any {
	var out []map[string]any
	for i := len(t.Req.Messages) - 1; i >= 0 && t.Req.Messages[i].Role == openai.ChatMessageRoleTool; i-- {
		var m map[string]any
		_ = json.Unmarshal([]byte(t.Req.Messages[i].Content), &m)
		out = append([]map[string]any{m}, out...)
	}
	return out
}

// reply is the scripted model's answer: a message, or an HTTP error.
type reply struct {
	Msg    openai.ChatCompletionMessage
	Status int    // non-zero: answer this status with an OpenAI error body
	Block  bool   // wait until the client goes away, then fail
	Finish string // finish_reason; default from the message
}

func say(content string) reply {
	return reply{Msg: openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content}}
}

// callTools answers with tool calls; each pair is name, JSON arguments.
func callTools(ids *int, pairs ...string) reply {
	msg := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant}
	for i := 0; i+1 < len(pairs); i += 2 {
		*ids++
		msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{ID: fmt.Sprintf("call_%d", *ids), Type: openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: pairs[i], Arguments: pairs[i+1]}})
	}
	return reply{Msg: msg}
}

// fakeModel is a chat completions endpoint in the OpenAI wire format,
// driven by a script.
type fakeModel struct {
	t      *testing.T
	srv    *httptest.Server
	script func(turn) reply

	mu    sync.Mutex
	turns []turn
	auth  []string
}

func newFakeModel(t *testing.T, script func(turn) reply) *fakeModel {
	t.Helper()
	f := &fakeModel{t: t, script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", f.serve)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// Client is a real go-openai client pointed at the fake.
func (f *fakeModel) Client() *openai.Client {
	cfg := openai.DefaultConfig("sk-test")
	cfg.BaseURL = f.srv.URL + "/v1"
	return openai.NewClientWithConfig(cfg)
}

func (f *fakeModel) Turns() []turn {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]turn(nil), f.turns...)
}

func (f *fakeModel) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req openai.ChatCompletionRequest
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("fake model: request does not decode: %v", err)
	}
	_ = json.Unmarshal(body, &raw)
	checkHistory(f.t, req.Messages)
	f.mu.Lock()
	tn := turn{N: len(f.turns) + 1, Req: req, Raw: raw}
	f.turns = append(f.turns, tn)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	// Scripts keep state; requests may arrive on different goroutines.
	rep := f.script(tn)
	f.mu.Unlock()

	if rep.Block {
		<-r.Context().Done()
		return
	}
	if rep.Status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.Status)
		_, _ = fmt.Fprintf(w, `{"error":{"message":"scripted failure","type":"server_error","code":"scripted"}}`)
		return
	}
	finish := openai.FinishReasonStop
	if len(rep.Msg.ToolCalls) > 0 {
		finish = openai.FinishReasonToolCalls
	}
	if rep.Finish != "" {
		finish = openai.FinishReason(rep.Finish)
	}
	resp := openai.ChatCompletionResponse{ID: fmt.Sprintf("chatcmpl-%d", tn.N), Object: "chat.completion", Model: req.Model,
		Choices: []openai.ChatCompletionChoice{{Index: 0, Message: rep.Msg, FinishReason: finish}}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// checkHistory fails the test if an assistant message's tool calls are not
// answered right after it, in order, by tool messages with their ids, as
// the OpenAI API requires.
func checkHistory(t *testing.T, msgs []openai.ChatCompletionMessage) {
	t.Helper()
	for i, m := range msgs {
		if m.Role != openai.ChatMessageRoleAssistant || len(m.ToolCalls) == 0 {
			continue
		}
		for k, c := range m.ToolCalls {
			j := i + 1 + k
			if j >= len(msgs) || msgs[j].Role != openai.ChatMessageRoleTool || msgs[j].ToolCallID != c.ID || c.ID == "" {
				t.Errorf("history: tool call %d (%q) of message %d is not answered in order", k, c.ID, i)
				return
			}
		}
	}
}

// stack is the tollgate side: the sandbox over httptest, a runtime client
// wired to a budget controller, a Toolbox, and a count of the API's
// responses by status.
type stack struct {
	Box  *tools.Toolbox
	Ctrl *budget.Controller

	mu       sync.Mutex
	statuses map[int]int
	paid     int // responses that carried a non-zero X-Usage-Cost
}

// catalogue is parsed once: it is immutable, and parsing is slow under
// the race detector.
var catalogue = sync.OnceValue(tools.BuiltIn)

func newStack(t *testing.T, maxCredits int64) *stack {
	t.Helper()
	return newStackWith(t, maxCredits, nil, true)
}

// newStackWith sets the workspace's credits when credits is not nil, and
// lets the budget learn the balance first when refresh is true.
func newStackWith(t *testing.T, maxCredits int64, credits *sandbox.Credits, refresh bool) *stack {
	t.Helper()
	sb := sandbox.New(sandbox.Config{})
	if credits != nil {
		sb.SetCredits(sandbox.DemoKey, *credits)
	}
	ts := httptest.NewServer(sb)
	t.Cleanup(ts.Close)
	s := &stack{statuses: map[int]int{}}
	count := runtime.ObserverFuncs{Response: func(_ context.Context, _ *runtime.Request, status int, m runtime.Metering) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.statuses[status]++
		if c := m.Cost(); c.Present && c.Value > 0 {
			s.paid++
		}
	}}
	client, err := runtime.New(runtime.WithBaseURL(ts.URL), runtime.WithAPIKey(sandbox.DemoKey), runtime.WithObserver(count))
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := budget.New(budget.Config{MaxCredits: maxCredits, Usage: client})
	if err != nil {
		t.Fatal(err)
	}
	if refresh {
		if _, err := ctrl.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	box, err := tools.NewToolbox(tools.Config{Catalogue: catalogue(), Client: client, Budget: ctrl})
	if err != nil {
		t.Fatal(err)
	}
	s.Box, s.Ctrl = box, ctrl
	return s
}

// Requests is the number of API responses (the usage refresh included).
func (s *stack) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.statuses {
		n += c
	}
	return n
}

func (s *stack) Status(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statuses[code]
}

func (s *stack) Paid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paid
}
