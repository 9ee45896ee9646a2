package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// This file is the go-openai face: the catalogue as function tools, and a
// dispatcher that turns the model's tool call into the tool message to
// append. Like the MCP face it only translates: Toolbox.Call does the
// work, so the tool message holds the same result or advice JSON that MCP
// hosts see as text content. Runner uses both; a program with its own
// loop calls them directly.

// Tools returns box's tools as go-openai function tools, in catalogue
// order, ready for ChatCompletionRequest.Tools. Each carries the tool's
// name, its description (which says what a call costs) and its input
// schema as Parameters. Strict mode is off: the schemas use JSON Schema
// features (optional arguments, ranges, patterns) that OpenAI's strict
// subset does not allow, and Toolbox.Call validates the arguments anyway.
func Tools(box *tools.Toolbox) []openai.Tool {
	cat := box.Catalogue().Tools()
	out := make([]openai.Tool, 0, len(cat))
	for _, t := range cat {
		out = append(out, openai.Tool{
			Type: openai.ToolTypeFunction,
			Function: &openai.FunctionDefinition{
				Name:        t.Name,
				Description: t.Description,
				Strict:      false,
				// A copy, so that a caller editing the request cannot
				// change the catalogue.
				Parameters: json.RawMessage(slices.Clone(t.InputSchema)),
			},
		})
	}
	return out
}

// Dispatch runs one tool call of a model's assistant message on box and
// returns the message to append to the conversation (role "tool",
// ToolCallID set to call.ID, Content the Result's JSON) with the Result
// itself, for a caller that wants to branch on it (Result.IsError,
// Result.Advice).
//
// It never fails and never panics: arguments that are not a JSON object
// (models do send truncated or malformed JSON) become an invalid_arguments
// advice, an unknown function name an unknown_tool advice, and a panic
// inside the call a tool_panic advice, each with source "tool", so the
// model reads what went wrong and can correct itself. Empty arguments
// ("" or "null") mean no arguments.
func Dispatch(ctx context.Context, box *tools.Toolbox, call openai.ToolCall) (msg openai.ChatCompletionMessage, res *tools.Result) {
	name := call.Function.Name
	defer func() {
		if p := recover(); p != nil {
			res = box.FailPanic(ctx, name, p)
			msg = toolMessage(call.ID, res)
		}
	}()
	args, err := parseArguments(name, call.Function.Arguments)
	if err != nil {
		res = box.Fail(ctx, err)
	} else {
		res = box.Call(ctx, name, args)
	}
	return toolMessage(call.ID, res), res
}

func toolMessage(id string, r *tools.Result) openai.ChatCompletionMessage {
	return openai.ChatCompletionMessage{
		Role:       openai.ChatMessageRoleTool,
		Content:    string(r.JSON()),
		ToolCallID: id,
	}
}

// parseArguments decodes the JSON text of a function call's arguments
// into the map Toolbox.Call takes. Anything but a JSON object (or
// nothing) is a *tools.ArgumentError.
func parseArguments(tool, raw string) (map[string]any, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "null" {
		return map[string]any{}, nil
	}
	bad := func(why string) error {
		return &tools.ArgumentError{Tool: tool, Problems: []runtime.ValidationError{{
			Field: "(arguments)", Location: "arguments",
			Expected: []string{"the arguments must be one JSON object, e.g. {\"limit\": 10}: " + why},
		}}}
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, bad("they could not be parsed (" + err.Error() + ")")
	}
	args, ok := v.(map[string]any)
	if !ok {
		return nil, bad(fmt.Sprintf("got a JSON %s", jsonKind(v)))
	}
	return args, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "value"
}
