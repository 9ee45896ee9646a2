package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// scriptedModel stands in for an LLM (-fake): it looks the topic up
// (free), checks the budget, then pages through search_ads by reach for
// as long as tollgate lets it, and answers from what it read. It reads
// the conversation like a model would: tool results and their advice.
type scriptedModel struct{}

// topic is what the scripted model researches.
const topic = "coffee"

// CreateChatCompletion implements agent.ChatClient.
func (scriptedModel) CreateChatCompletion(_ context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	calls := map[string]string{} // tool call id -> tool name
	var lastSearch *toolResult
	searched := false
	var halt string
	var ads []adRow
	for _, m := range req.Messages {
		for _, c := range m.ToolCalls {
			calls[c.ID] = c.Function.Name
		}
		if m.Role != openai.ChatMessageRoleTool || calls[m.ToolCallID] != "search_ads" {
			continue
		}
		searched = true
		var r toolResult
		if json.Unmarshal([]byte(m.Content), &r) != nil {
			continue
		}
		lastSearch = &r
		if r.Error != nil {
			halt = r.Error.Code + " (" + r.Error.Source + "): " + r.Error.Action
			continue
		}
		ads = append(ads, r.Data...)
	}

	switch {
	case len(req.Tools) == 0 || (searched && (lastSearch == nil || lastSearch.Error != nil || lastSearch.NextPage == nil)):
		return reply(openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: answer(ads, halt)}), nil
	case len(calls) == 0:
		return reply(openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, ToolCalls: []openai.ToolCall{
			toolCall("call_lookup", "lookup", map[string]any{"q": topic, "limit": 5}),
			toolCall("call_budget", "get_budget", map[string]any{}),
		}}), nil
	case !searched:
		return reply(openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant,
			Content: "The lookup is free; now the paid search, 20 ads per page, following nextPage.",
			ToolCalls: []openai.ToolCall{toolCall("call_search_1", "search_ads",
				map[string]any{"search": topic, "limit": 20, "sortBy": "reach"})}}), nil
	default:
		id := fmt.Sprintf("call_search_%d", len(calls))
		return reply(openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant,
			ToolCalls: []openai.ToolCall{toolCall(id, "search_ads", lastSearch.NextPage)}}), nil
	}
}

// toolResult is the part of tollgate's result JSON the model reads.
type toolResult struct {
	Data     []adRow        `json:"data"`
	NextPage map[string]any `json:"nextPage"`
	Error    *struct {
		Code, Source, Action string
	} `json:"error"`
}

type adRow struct {
	Advertiser struct {
		Name string `json:"name"`
	} `json:"advertiser"`
	Content struct {
		Title string `json:"title"`
	} `json:"content"`
	Metrics struct {
		Reach int64 `json:"reach"`
	} `json:"metrics"`
}

// answer summarises the ads read, biggest advertisers first.
func answer(ads []adRow, halt string) string {
	if len(ads) == 0 {
		return "I could not read any ads, so I cannot answer. " + halt
	}
	type agg struct {
		name    string
		ads     int
		reach   int64
		example string
	}
	by := map[string]*agg{}
	for _, a := range ads {
		g := by[a.Advertiser.Name]
		if g == nil {
			g = &agg{name: a.Advertiser.Name, example: a.Content.Title}
			by[a.Advertiser.Name] = g
		}
		g.ads++
		g.reach += a.Metrics.Reach
	}
	list := make([]*agg, 0, len(by))
	for _, g := range by {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].ads != list[j].ads {
			return list[i].ads > list[j].ads
		}
		return list[i].name < list[j].name
	})
	var b strings.Builder
	fmt.Fprintf(&b, "From %d %s ads (sorted by reach) by %d advertisers, the biggest are:\n", len(ads), topic, len(list))
	for i, g := range list[:min(3, len(list))] {
		fmt.Fprintf(&b, "%d. %s: %d ads, reach %d; e.g. %q\n", i+1, g.name, g.ads, g.reach, g.example)
	}
	if halt != "" {
		fmt.Fprintf(&b, "This is incomplete: I stopped paging when a call answered %s", halt)
	}
	return strings.TrimSpace(b.String())
}

func toolCall(id, name string, args map[string]any) openai.ToolCall {
	raw, _ := json.Marshal(args)
	return openai.ToolCall{ID: id, Type: openai.ToolTypeFunction,
		Function: openai.FunctionCall{Name: name, Arguments: string(raw)}}
}

func reply(m openai.ChatCompletionMessage) openai.ChatCompletionResponse {
	reason := openai.FinishReasonStop
	if len(m.ToolCalls) > 0 {
		reason = openai.FinishReasonToolCalls
	}
	return openai.ChatCompletionResponse{Model: "scripted",
		Choices: []openai.ChatCompletionChoice{{Index: 0, Message: m, FinishReason: reason}}}
}
