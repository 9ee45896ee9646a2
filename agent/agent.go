// Package agent runs a go-openai tool-calling loop over a tollgate
// Toolbox, with the credit budget in charge of when it ends.
//
// A Runner asks the model a question with every tool of the Toolbox
// offered as a function ([Tools]), runs the tool calls the model makes
// through [Dispatch], appends the results (the same result
// and advice JSON the MCP face returns) and asks again, until one of:
//
//   - the model answers without calling a tool (StopAnswered);
//   - a tool call is halted by the budget, or refused by the API for lack
//     of credits (StopBudget). The model has read the halt advice in the
//     tool message; no other paid call is made. It is then asked, in one
//     more turn offered no tools at all, to answer with what it has
//     (BudgetWrapUp, or BudgetUnknownWrapUp when the budget could not be
//     read), and Outcome.Halt says which limit ended the run;
//   - the model has had MaxTurns turns and still calls tools
//     (StopMaxTurns). It gets the same last turn without tools
//     (TurnsWrapUp);
//   - the chat endpoint fails or ctx ends (StopError, and Run returns the
//     error).
//
// Tool failures never end the loop by themselves: invalid arguments, an
// unknown tool, rate limits or a not-found are advice the model reads
// and acts on.
//
// The Runner's Box is a tools.Toolbox with a budget controller;
// tollgate.New wires one (Kit.Tools) in one call.
//
// The Runner talks to any OpenAI-compatible chat completions endpoint
// through a ChatClient; *openai.Client is one, and ClientFromEnv builds it
// from OPENAI_API_KEY and OPENAI_BASE_URL.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// DefaultMaxTurns is Runner.MaxTurns when it is 0.
const DefaultMaxTurns = 12

// DefaultSystem is Runner.System when it is empty: what every tool costs
// and how to read the advice of a failed call.
const DefaultSystem = "You are a research assistant answering questions about online advertising with the TrendTrack tools. " +
	"Your credits are limited: plan the fewest calls that answer the question, ask for small pages, and stop when you can answer.\n" +
	tools.Instructions

// The user messages of the last turn, which offers the model no tools.
const (
	// BudgetWrapUp is sent after a budget halt.
	BudgetWrapUp = "The credit budget is exhausted: answer now with what you have. " +
		"No tools are available any more; say what the answer could not cover."
	// BudgetUnknownWrapUp is sent after a halt because the budget cannot
	// be read (budget_store_unavailable): nothing may be spent.
	BudgetUnknownWrapUp = "The credit budget cannot be read right now, so no more paid calls can be made: answer now with what you have. " +
		"No tools are available any more; say what the answer could not cover."
	// TurnsWrapUp is sent when MaxTurns is reached.
	TurnsWrapUp = "The turn limit is reached: answer now with what you have. " +
		"No tools are available any more; say what the answer could not cover."
)

// CodeNotRun is the advice code of a tool call the Runner did not run
// because an earlier call of the same assistant message was halted by the
// budget. Its source is "budget".
const CodeNotRun = "not_run_after_halt"

// ChatClient is the one method of a chat completions client the Runner
// needs. *openai.Client satisfies it; tests and scripted models may too.
type ChatClient interface {
	CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
}

var _ ChatClient = (*openai.Client)(nil)

// StopReason says why a run ended.
type StopReason string

// Why a run ended.
const (
	// StopAnswered: the model answered without calling a tool.
	StopAnswered StopReason = "answered"
	// StopBudget: the budget halted a paid call (or the API answered
	// insufficient_credits); the answer is the model's last turn without
	// tools.
	StopBudget StopReason = "budget"
	// StopMaxTurns: the model still called tools after MaxTurns turns; the
	// answer is its last turn without tools.
	StopMaxTurns StopReason = "max_turns"
	// StopError: the chat endpoint failed or the context ended; Run
	// returned the error.
	StopError StopReason = "error"
)

// Runner runs the loop. Set the fields, then call Run; a Runner may run
// several questions, one after another or at once (Box and Client must
// then be safe for concurrent use, as tollgate's and go-openai's are).
type Runner struct {
	// Client is the chat completions endpoint. Required.
	Client ChatClient
	// Model is the model name sent with every request. Required.
	Model string
	// Box runs the tool calls; its budget controller (Box.Budget()) is
	// what halts the loop. Required; tollgate.New's Kit.Tools is one.
	Box *tools.Toolbox
	// MaxTurns bounds the model turns that may call tools; 0 means
	// DefaultMaxTurns. A run makes at most MaxTurns+1 requests: the last
	// one, after a halt or at the limit, offers no tools.
	MaxTurns int
	// System is the system prompt; empty means DefaultSystem.
	System string
	// Parallel runs the tool calls of one assistant message concurrently.
	// The default runs them one after another, in order, and stops at the
	// first budget halt; concurrent calls are still safe (the budget
	// reserves each call's worst case before it starts) but which of them
	// a nearly spent budget halts is then a race.
	Parallel bool
	// PrepareRequest, when set, is called on every request before it is
	// sent: set Temperature, MaxCompletionTokens, ParallelToolCalls and
	// the like there. It must not remove Messages.
	PrepareRequest func(*openai.ChatCompletionRequest)
	// Logger receives Debug logs per turn and tool call and Info logs for
	// halts and wrap-ups; nil discards them.
	Logger *slog.Logger
	// OnEvent, when set, is called for each step of the run, in order, on
	// the goroutine that called Run.
	OnEvent func(Event)
}

// Outcome is the result of a run.
type Outcome struct {
	// Answer is the content of the model's last message (empty if it
	// gave none).
	Answer string
	// Reason says why the run ended.
	Reason StopReason
	// Halt is the advice of the call that the budget halted (source
	// "budget", or code insufficient_credits from the API); nil unless a
	// halt happened.
	Halt *runtime.Advice
	// Transcript is every message of the conversation: system, user,
	// assistant, tool, the wrap-up instruction and the final answer. It
	// is a valid history to continue the conversation with.
	Transcript []openai.ChatCompletionMessage
	// Turns is the number of chat completion requests made.
	Turns int
	// ToolCalls is the number of tool calls run (calls skipped after a
	// halt are not counted).
	ToolCalls int
	// Spent is the credits the budget charged while the run went on: the
	// growth of the budget's RunSpent (it includes the spending of other
	// runs sharing the budget at the same time, in this process or, with
	// a shared store, in others). 0 without a controller, or when the
	// budget could not be read.
	Spent int64
	// Budget is the budget's status at the end; nil without a
	// controller, or when it could not be read.
	Budget *budget.Status
}

// EventKind names a step of a run.
type EventKind string

// The steps a run reports to Runner.OnEvent.
const (
	// EventAssistant: the model answered a request (Message is its
	// message, Elapsed the request's duration).
	EventAssistant EventKind = "assistant"
	// EventToolResult: a tool call was answered (Call, Message is the tool
	// message, Result the tool's result, Elapsed the call's duration).
	// Calls not run after a halt are reported too, with NotRun set.
	EventToolResult EventKind = "tool_result"
	// EventHalt: the budget halted a call (Halt is its advice).
	EventHalt EventKind = "halt"
	// EventWrapUp: the model is asked for a final answer without tools
	// (Message is the instruction, Reason why).
	EventWrapUp EventKind = "wrap_up"
)

// Event is one step of a run, for progress display and tracing.
type Event struct {
	Kind EventKind
	// Turn is the 1-based number of the model request the step belongs
	// to.
	Turn int
	// Message is the model's message (EventAssistant), the tool message
	// (EventToolResult) or the wrap-up instruction (EventWrapUp).
	Message openai.ChatCompletionMessage
	// Call is the tool call answered (EventToolResult).
	Call *openai.ToolCall
	// Result is the tool's result (EventToolResult).
	Result *tools.Result
	// NotRun reports a call answered without being run, because an
	// earlier call of its turn was halted (EventToolResult).
	NotRun bool
	// Halt is the advice that ended the run (EventHalt).
	Halt *runtime.Advice
	// Reason is why the model is asked to wrap up (EventWrapUp).
	Reason StopReason
	// Elapsed is the duration of the request or the tool call.
	Elapsed time.Duration
}

// IsHalt reports whether a tool call's advice means the run must stop
// making paid calls: runtime.DispositionOf says Stop (the cap, the floor
// or the workspace's credits are spent, the API answered
// insufficient_credits, or the budget cannot be known). A
// budget_call_limit halt is not one: it asks for a smaller call, which
// the model can make.
func IsHalt(a *runtime.Advice) bool {
	return a != nil && runtime.DispositionOf(*a) == runtime.Stop
}

// Run asks the model question and runs the loop until it ends (see the
// package documentation). The Outcome is never nil: on an error it holds
// the transcript so far, with Reason StopError. The error is non-nil only
// when the Runner is misconfigured, the chat endpoint fails or ctx ends;
// tool failures are advice in the transcript, never an error.
func (r *Runner) Run(ctx context.Context, question string) (*Outcome, error) {
	out := &Outcome{Reason: StopError}
	if err := r.check(); err != nil {
		return out, err
	}
	maxTurns := r.MaxTurns
	if maxTurns == 0 {
		maxTurns = DefaultMaxTurns
	}
	system := r.System
	if system == "" {
		system = DefaultSystem
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctrl := r.Box.Budget()
	var (
		spentBefore int64
		before      error
	)
	if ctrl != nil {
		var st budget.Status
		st, before = ctrl.Status(ctx)
		spentBefore = st.RunSpent
	}
	s := &run{r: r, out: out, log: log, defs: Tools(r.Box)}
	out.Transcript = []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: system},
		{Role: openai.ChatMessageRoleUser, Content: question},
	}
	defer func() {
		if ctrl == nil {
			return
		}
		st, err := ctrl.Status(context.WithoutCancel(ctx))
		if err != nil {
			log.Info("agent: cannot read the budget at the end of the run", "err", err)
			return
		}
		out.Budget = &st
		if before == nil {
			out.Spent = st.RunSpent - spentBefore
		}
	}()

	for turn := 1; turn <= maxTurns; turn++ {
		msg, err := s.complete(ctx, turn, true)
		if err != nil {
			return out, err
		}
		if len(msg.ToolCalls) == 0 {
			out.Answer, out.Reason = msg.Content, StopAnswered
			return out, nil
		}
		halt := s.dispatch(ctx, turn, msg.ToolCalls)
		out.Halt = halt
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("agent: run stopped: %w", err)
		}
		if halt != nil {
			log.Info("agent: budget halted a call; asking for a final answer without tools",
				"code", halt.Code, "source", halt.Source, "turn", turn)
			s.emit(Event{Kind: EventHalt, Turn: turn, Halt: halt})
			wrap := BudgetWrapUp
			if halt.Code == budget.CodeStoreUnavailable {
				wrap = BudgetUnknownWrapUp
			}
			return s.wrapUp(ctx, turn+1, StopBudget, wrap)
		}
	}
	log.Info("agent: turn limit reached; asking for a final answer without tools", "maxTurns", maxTurns)
	return s.wrapUp(ctx, maxTurns+1, StopMaxTurns, TurnsWrapUp)
}

func (r *Runner) check() error {
	var errs []error
	if r.Client == nil {
		errs = append(errs, errors.New("agent.Runner: Client is nil: use agent.ClientFromEnv() or openai.NewClientWithConfig"))
	}
	if r.Model == "" {
		errs = append(errs, errors.New("agent.Runner: Model is empty: name the model to ask, e.g. gpt-4o-mini"))
	}
	if r.Box == nil {
		errs = append(errs, errors.New("agent.Runner: Box is nil: create one with tools.NewToolbox"))
	}
	if r.MaxTurns < 0 {
		errs = append(errs, fmt.Errorf("MaxTurns is %d: use 0 for the default (%d) or a positive number", r.MaxTurns, DefaultMaxTurns))
	}
	if len(errs) > 0 {
		return fmt.Errorf("agent: invalid Runner: %w", errors.Join(errs...))
	}
	return nil
}

// run is the state of one Run.
type run struct {
	r    *Runner
	out  *Outcome
	log  *slog.Logger
	defs []openai.Tool
}

func (s *run) emit(e Event) {
	if s.r.OnEvent != nil {
		s.r.OnEvent(e)
	}
}

// complete sends the transcript and appends the model's message.
func (s *run) complete(ctx context.Context, turn int, withTools bool) (openai.ChatCompletionMessage, error) {
	req := openai.ChatCompletionRequest{Model: s.r.Model, Messages: s.out.Transcript}
	if withTools {
		req.Tools = s.defs
	}
	if s.r.PrepareRequest != nil {
		s.r.PrepareRequest(&req)
		if !withTools {
			req.Tools, req.ToolChoice, req.ParallelToolCalls = nil, nil, nil
		}
	}
	start := time.Now()
	s.out.Turns++
	resp, err := s.r.Client.CreateChatCompletion(ctx, req)
	elapsed := time.Since(start)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return openai.ChatCompletionMessage{}, fmt.Errorf("agent: turn %d: chat completion: %w", turn, err)
	}
	if len(resp.Choices) == 0 {
		return openai.ChatCompletionMessage{}, fmt.Errorf("agent: turn %d: the chat endpoint answered no choices", turn)
	}
	msg := resp.Choices[0].Message
	if msg.Role == "" {
		msg.Role = openai.ChatMessageRoleAssistant
	}
	if !withTools && len(msg.ToolCalls) > 0 {
		// Nothing can run them, and a history with unanswered calls is
		// invalid: drop them.
		s.log.Info("agent: the model called tools in a turn offered none; ignored", "turn", turn, "calls", len(msg.ToolCalls))
		msg.ToolCalls = nil
	}
	for i := range msg.ToolCalls {
		if msg.ToolCalls[i].ID == "" {
			// Some endpoints leave ids out; the tool messages need one.
			msg.ToolCalls[i].ID = fmt.Sprintf("call_%d_%d", turn, i+1)
		}
		if msg.ToolCalls[i].Type == "" {
			msg.ToolCalls[i].Type = openai.ToolTypeFunction
		}
	}
	s.out.Transcript = append(s.out.Transcript, msg)
	s.log.Debug("agent: model turn", "turn", turn, "toolCalls", len(msg.ToolCalls),
		"finishReason", resp.Choices[0].FinishReason, "elapsed", elapsed)
	s.emit(Event{Kind: EventAssistant, Turn: turn, Message: msg, Elapsed: elapsed})
	return msg, nil
}

// answered is one tool call's outcome.
type answered struct {
	msg     openai.ChatCompletionMessage
	res     *tools.Result
	ran     bool // false for a call skipped after a halt
	elapsed time.Duration
}

// dispatch runs calls, appends one tool message per call in their order,
// and returns the advice of the first budget halt, if any.
func (s *run) dispatch(ctx context.Context, turn int, calls []openai.ToolCall) *runtime.Advice {
	results := make([]answered, len(calls))
	one := func(i int) {
		start := time.Now()
		msg, res := Dispatch(ctx, s.r.Box, calls[i])
		results[i] = answered{msg: msg, res: res, ran: true, elapsed: time.Since(start)}
	}
	if s.r.Parallel && len(calls) > 1 {
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() { one(i) })
		}
		wg.Wait()
	} else {
		var halted *runtime.Advice
		for i := range calls {
			if halted != nil {
				msg, res := s.notRun(ctx, calls[i], halted)
				results[i] = answered{msg: msg, res: res}
				continue
			}
			one(i)
			if res := results[i].res; res.IsError && IsHalt(res.Advice) {
				halted = res.Advice
			}
		}
	}

	var halt *runtime.Advice
	for i, a := range results {
		call := calls[i]
		s.out.Transcript = append(s.out.Transcript, a.msg)
		if !a.ran {
			s.log.Debug("agent: tool call not run after a halt", "turn", turn, "tool", call.Function.Name, "id", call.ID)
		} else {
			s.out.ToolCalls++
			attrs := []any{"turn", turn, "tool", call.Function.Name, "id", call.ID, "elapsed", a.elapsed, "isError", a.res.IsError}
			if a.res.Advice != nil {
				attrs = append(attrs, "code", a.res.Advice.Code, "source", a.res.Advice.Source)
			}
			s.log.Debug("agent: tool call", attrs...)
			if halt == nil && a.res.IsError && IsHalt(a.res.Advice) {
				halt = a.res.Advice
			}
		}
		s.emit(Event{Kind: EventToolResult, Turn: turn, Message: a.msg, Call: &call, Result: a.res, NotRun: !a.ran, Elapsed: a.elapsed})
	}
	return halt
}

// notRun answers a call skipped after a halt: advice with code
// CodeNotRun and source "budget" that repeats the halt's instruction.
func (s *run) notRun(ctx context.Context, call openai.ToolCall, halt *runtime.Advice) (openai.ChatCompletionMessage, *tools.Result) {
	f := &tools.Failure{Error: runtime.Advice{
		Code: CodeNotRun,
		Message: fmt.Sprintf("%s was not run: an earlier call in this turn was halted by the credit budget (%s)",
			call.Function.Name, halt.Code),
		Action: halt.Action,
		Source: budget.SourceBudget,
	}}
	if halt.Code != budget.CodeStoreUnavailable {
		if ctrl := s.r.Box.Budget(); ctrl != nil {
			if st, err := ctrl.Status(ctx); err == nil {
				f.Budget = &st
			}
		}
	}
	r := &tools.Result{IsError: true, Structured: f, Advice: &f.Error}
	return openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, Content: string(r.JSON()), ToolCallID: call.ID}, r
}

// wrapUp asks for the final answer in a turn without tools.
func (s *run) wrapUp(ctx context.Context, turn int, reason StopReason, instruction string) (*Outcome, error) {
	ask := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: instruction}
	s.out.Transcript = append(s.out.Transcript, ask)
	s.emit(Event{Kind: EventWrapUp, Turn: turn, Message: ask, Reason: reason})
	msg, err := s.complete(ctx, turn, false)
	if err != nil {
		return s.out, err
	}
	s.out.Answer, s.out.Reason = msg.Content, reason
	return s.out, nil
}
