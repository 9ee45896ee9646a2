package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// scriptedModel stands in for an LLM (-fake). It reads the conversation
// like a model would (tool results and their advice) and plays one
// script per question of the session:
//
//   - the first question: look the topic up (free), check the budget,
//     then page through search_ads by reach (3 pages at most, or until
//     tollgate stops it) and name the biggest advertisers;
//   - followUpTopAd: search again, then read the top ad in full;
//   - followUpAdvertiser: search again, then read the top ad's advertiser,
//     its ads and the top ad once more;
//   - followUpCompare: search again, then read the two top ads.
//
// Each question is a new conversation, as when a user asks an agent one
// question after another: the repeats (the same first page, the same ad)
// are what tollgate's cache answers for free.
type scriptedModel struct{}

// topic is what the scripted model researches.
const topic = "coffee"

// The follow-up questions of the scripted session.
const (
	followUpTopAd      = "What does the coffee ad with the biggest reach say?"
	followUpAdvertiser = "Who runs that ad, how big is that advertiser, and what else does it run?"
	followUpCompare    = "Compare the two coffee ads with the biggest reach."
)

// maxPages bounds the first question's paging.
const maxPages = 3

// firstSearch is the search every script starts with.
func firstSearch() map[string]any {
	return map[string]any{"search": topic, "limit": 20, "sortBy": "reach"}
}

// conversation is what the scripted model has read so far.
type conversation struct {
	question string
	noTools  bool
	calls    int                     // tool calls made
	results  map[string][]toolResult // by tool name, in order
	halt     string                  // the advice of a failed call
}

func read(req openai.ChatCompletionRequest) *conversation {
	c := &conversation{noTools: len(req.Tools) == 0, results: map[string][]toolResult{}}
	names := map[string]string{} // tool call id -> tool name
	for _, m := range req.Messages {
		if m.Role == openai.ChatMessageRoleUser && c.question == "" {
			c.question = m.Content
		}
		for _, tc := range m.ToolCalls {
			names[tc.ID] = tc.Function.Name
			c.calls++
		}
		if m.Role != openai.ChatMessageRoleTool {
			continue
		}
		var r toolResult
		if json.Unmarshal([]byte(m.Content), &r) != nil {
			continue
		}
		if r.Error != nil {
			c.halt = r.Error.Code + " (" + r.Error.Source + "): " + r.Error.Action
		}
		c.results[names[m.ToolCallID]] = append(c.results[names[m.ToolCallID]], r)
	}
	return c
}

// ads are the rows of every search_ads page read.
func (c *conversation) ads() []adRow {
	var out []adRow
	for _, r := range c.results["search_ads"] {
		var rows []adRow
		if json.Unmarshal(r.Data, &rows) == nil {
			out = append(out, rows...)
		}
	}
	return out
}

// CreateChatCompletion implements agent.ChatClient.
func (scriptedModel) CreateChatCompletion(_ context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	c := read(req)
	var calls []openai.ToolCall
	var answer, say string
	switch c.question {
	case followUpTopAd:
		calls, answer = c.topAd()
	case followUpAdvertiser:
		calls, answer = c.advertiser()
	case followUpCompare:
		calls, answer = c.compare()
	default:
		calls, answer, say = c.biggest()
	}
	if c.noTools || c.halt != "" || calls == nil {
		if answer == "" {
			answer = "I could not find out. " + c.halt
		}
		return reply(openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: answer}), nil
	}
	for i := range calls {
		calls[i].ID = fmt.Sprintf("call_%d", c.calls+i+1)
	}
	return reply(openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: say, ToolCalls: calls}), nil
}

// biggest is the first question's script: the next calls, or the answer.
func (c *conversation) biggest() (calls []openai.ToolCall, answer, say string) {
	searches := c.results["search_ads"]
	switch {
	case c.calls == 0:
		return []openai.ToolCall{toolCall("lookup", map[string]any{"q": topic, "limit": 5}), toolCall("get_budget", map[string]any{})}, "", ""
	case len(searches) == 0:
		return []openai.ToolCall{toolCall("search_ads", firstSearch())}, "",
			"The lookup is free; now the paid search, 20 ads per page, following nextPage."
	}
	last := searches[len(searches)-1]
	if c.halt == "" && last.NextPage != nil && len(searches) < maxPages {
		return []openai.ToolCall{toolCall("search_ads", last.NextPage)}, "", ""
	}
	return nil, summarise(c.ads(), len(searches), c.halt), ""
}

// topAd is followUpTopAd's script.
func (c *conversation) topAd() ([]openai.ToolCall, string) {
	ads := c.ads()
	switch {
	case len(c.results["search_ads"]) == 0:
		return []openai.ToolCall{toolCall("search_ads", firstSearch())}, ""
	case len(ads) == 0:
		return nil, ""
	case len(c.results["get_ad"]) == 0:
		return []openai.ToolCall{toolCall("get_ad", map[string]any{"adId": ads[0].ID})}, ""
	}
	d, ok := c.detail(0)
	if !ok {
		return nil, ""
	}
	return nil, fmt.Sprintf("The coffee ad with the biggest reach (%d) is %s's %q: %s (hook: %q).",
		ads[0].Metrics.Reach, d.Advertiser.Name, d.Content.Title, d.Content.Body, d.CreativeAnalysis.Hook)
}

// advertiser is followUpAdvertiser's script.
func (c *conversation) advertiser() ([]openai.ToolCall, string) {
	ads := c.ads()
	switch {
	case len(c.results["search_ads"]) == 0:
		return []openai.ToolCall{toolCall("search_ads", firstSearch())}, ""
	case len(ads) == 0:
		return nil, ""
	case len(c.results["get_advertiser"]) == 0:
		id := ads[0].Advertiser.ID
		return []openai.ToolCall{
			toolCall("get_advertiser", map[string]any{"advertiserId": id}),
			toolCall("list_advertiser_ads", map[string]any{"advertiserId": id, "limit": 10}),
			toolCall("get_ad", map[string]any{"adId": ads[0].ID}),
		}, ""
	}
	var adv struct {
		Name        string `json:"name"`
		Advertising struct {
			ActiveAds int64 `json:"activeAds"`
			Reach30d  int64 `json:"reach30d"`
		} `json:"advertising"`
	}
	if len(c.results["get_advertiser"]) == 0 || json.Unmarshal(c.results["get_advertiser"][0].Data, &adv) != nil {
		return nil, ""
	}
	var theirs []adRow
	if r := c.results["list_advertiser_ads"]; len(r) > 0 {
		_ = json.Unmarshal(r[0].Data, &theirs)
	}
	titles := make([]string, 0, 3)
	for _, a := range theirs[:min(3, len(theirs))] {
		titles = append(titles, fmt.Sprintf("%q", a.Content.Title))
	}
	d, _ := c.detail(0)
	return nil, fmt.Sprintf("%s runs it: %d active ads, reach %d over 30 days. Its latest ads include %s; the top one says %q.",
		adv.Name, adv.Advertising.ActiveAds, adv.Advertising.Reach30d, strings.Join(titles, ", "), d.Content.Title)
}

// compare is followUpCompare's script.
func (c *conversation) compare() ([]openai.ToolCall, string) {
	ads := c.ads()
	switch {
	case len(c.results["search_ads"]) == 0:
		return []openai.ToolCall{toolCall("search_ads", firstSearch())}, ""
	case len(ads) < 2:
		return nil, ""
	case len(c.results["get_ad"]) == 0:
		return []openai.ToolCall{
			toolCall("get_ad", map[string]any{"adId": ads[0].ID}),
			toolCall("get_ad", map[string]any{"adId": ads[1].ID}),
		}, ""
	}
	a, ok1 := c.detail(0)
	b, ok2 := c.detail(1)
	if !ok1 || !ok2 {
		return nil, ""
	}
	return nil, fmt.Sprintf("%s's %q reaches %d and has run %d days; %s's %q reaches %d and has run %d days.",
		a.Advertiser.Name, a.Content.Title, ads[0].Metrics.Reach, a.DaysRunning,
		b.Advertiser.Name, b.Content.Title, ads[1].Metrics.Reach, b.DaysRunning)
}

// detail is the i-th get_ad result read.
func (c *conversation) detail(i int) (adDetail, bool) {
	var d adDetail
	r := c.results["get_ad"]
	if i >= len(r) || r[i].Error != nil || json.Unmarshal(r[i].Data, &d) != nil {
		return d, false
	}
	return d, true
}

// toolResult is the part of tollgate's result JSON the model reads.
type toolResult struct {
	Data     json.RawMessage `json:"data"`
	NextPage map[string]any  `json:"nextPage"`
	Error    *struct {
		Code, Source, Action string
	} `json:"error"`
}

type adRow struct {
	ID         string `json:"id"`
	Advertiser struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"advertiser"`
	Content struct {
		Title string `json:"title"`
	} `json:"content"`
	Metrics struct {
		Reach int64 `json:"reach"`
	} `json:"metrics"`
}

type adDetail struct {
	DaysRunning int64 `json:"daysRunning"`
	Advertiser  struct {
		Name string `json:"name"`
	} `json:"advertiser"`
	Content struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	} `json:"content"`
	CreativeAnalysis struct {
		Hook string `json:"hook"`
	} `json:"creativeAnalysis"`
}

// summarise names the biggest advertisers of the ads read.
func summarise(ads []adRow, pages int, halt string) string {
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
	fmt.Fprintf(&b, "From %d %s ads (%d pages, sorted by reach) by %d advertisers, the biggest are:\n", len(ads), topic, pages, len(list))
	for i, g := range list[:min(3, len(list))] {
		fmt.Fprintf(&b, "%d. %s: %d ads, reach %d; e.g. %q\n", i+1, g.name, g.ads, g.reach, g.example)
	}
	if halt != "" {
		fmt.Fprintf(&b, "This is incomplete: I stopped paging when a call answered %s", halt)
	}
	return strings.TrimSpace(b.String())
}

func toolCall(name string, args map[string]any) openai.ToolCall {
	raw, _ := json.Marshal(args)
	return openai.ToolCall{Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: name, Arguments: string(raw)}}
}

func reply(m openai.ChatCompletionMessage) openai.ChatCompletionResponse {
	reason := openai.FinishReasonStop
	if len(m.ToolCalls) > 0 {
		reason = openai.FinishReasonToolCalls
	}
	return openai.ChatCompletionResponse{Model: "scripted",
		Choices: []openai.ChatCompletionChoice{{Index: 0, Message: m, FinishReason: reason}}}
}
