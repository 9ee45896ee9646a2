package mcppeer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Result is a tool result as either client decoded it.
type Result struct {
	IsError bool
	SC      map[string]any // structuredContent
	Text    string         // the first content block's text, if it is text
}

// Call calls a tool; a JSON-RPC error fails the test.
func (p *Peer) Call(t *testing.T, name string, args map[string]any) Result {
	t.Helper()
	r, err := p.CallErr(context.Background(), name, args)
	if err != nil {
		t.Fatalf("%s: %s: a JSON-RPC error instead of a tool result: %v", p.Kind.Name, name, err)
	}
	return r
}

// CallErr calls a tool and returns a JSON-RPC error (or the end of ctx)
// as an error.
func (p *Peer) CallErr(ctx context.Context, name string, args map[string]any) (Result, error) {
	if p.mg != nil {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := p.mg.CallTool(ctx, req)
		if err != nil {
			return Result{}, err
		}
		out := Result{IsError: res.IsError, SC: AsMap(res.StructuredContent)}
		if len(res.Content) > 0 {
			if tc, ok := mcp.AsTextContent(res.Content[0]); ok {
				out.Text = tc.Text
			}
		}
		return out, nil
	}
	params := &sdk.CallToolParams{Name: name, Arguments: args}
	if p.level != "" {
		params.Meta = sdk.Meta{mcp.MetaKeyLogLevel: p.level}
	}
	res, err := p.cs.CallTool(ctx, params)
	if err != nil {
		return Result{}, err
	}
	out := Result{IsError: res.IsError, SC: AsMap(res.StructuredContent)}
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(*sdk.TextContent); ok {
			out.Text = tc.Text
		}
	}
	return out, nil
}

// Tools returns each listed tool's output schema (nil where it has
// none), by tool name.
func (p *Peer) Tools(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	if p.mg != nil {
		list, err := p.mg.ListTools(context.Background(), mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tl := range list.Tools {
			raw, _ := json.Marshal(tl)
			var w struct {
				OutputSchema json.RawMessage `json:"outputSchema"`
			}
			_ = json.Unmarshal(raw, &w)
			out[tl.Name] = w.OutputSchema
		}
		return out
	}
	list, err := p.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range list.Tools {
		var raw json.RawMessage
		if tl.OutputSchema != nil {
			raw, _ = json.Marshal(tl.OutputSchema)
		}
		out[tl.Name] = raw
	}
	return out
}

// Read returns a resource's text.
func (p *Peer) Read(t *testing.T, uri string) string {
	t.Helper()
	if p.mg != nil {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := p.mg.ReadResource(context.Background(), req)
		if err != nil {
			t.Fatalf("read %s: %v", uri, err)
		}
		tc, ok := res.Contents[0].(mcp.TextResourceContents)
		if !ok {
			t.Fatalf("read %s: contents are %T", uri, res.Contents[0])
		}
		return tc.Text
	}
	res, err := p.cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	return res.Contents[0].Text
}

// Resources lists the resource URIs.
func (p *Peer) Resources(t *testing.T) []string {
	t.Helper()
	var out []string
	if p.mg != nil {
		res, err := p.mg.ListResources(context.Background(), mcp.ListResourcesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Resources {
			out = append(out, r.URI)
		}
		return out
	}
	res, err := p.cs.ListResources(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Resources {
		out = append(out, r.URI)
	}
	return out
}

// PromptInfo is a listed prompt with its arguments' names.
type PromptInfo struct {
	Name     string
	Required []string
	Optional []string
}

// arg files an argument under Required or Optional.
func (pi *PromptInfo) arg(name string, required bool) {
	if required {
		pi.Required = append(pi.Required, name)
	} else {
		pi.Optional = append(pi.Optional, name)
	}
}

// Prompts lists the prompts.
func (p *Peer) Prompts(t *testing.T) []PromptInfo {
	t.Helper()
	var out []PromptInfo
	if p.mg != nil {
		res, err := p.mg.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range res.Prompts {
			pi := PromptInfo{Name: pr.Name}
			for _, a := range pr.Arguments {
				pi.arg(a.Name, a.Required)
			}
			out = append(out, pi)
		}
		return out
	}
	res, err := p.cs.ListPrompts(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range res.Prompts {
		pi := PromptInfo{Name: pr.Name}
		for _, a := range pr.Arguments {
			pi.arg(a.Name, a.Required)
		}
		out = append(out, pi)
	}
	return out
}

// Prompt renders a prompt and returns its messages' text.
func (p *Peer) Prompt(name string, args map[string]string) (string, error) {
	var b strings.Builder
	if p.mg != nil {
		req := mcp.GetPromptRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := p.mg.GetPrompt(context.Background(), req)
		if err != nil {
			return "", err
		}
		for _, m := range res.Messages {
			if tc, ok := mcp.AsTextContent(m.Content); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String(), nil
	}
	res, err := p.cs.GetPrompt(context.Background(), &sdk.GetPromptParams{Name: name, Arguments: args})
	if err != nil {
		return "", err
	}
	for _, m := range res.Messages {
		if tc, ok := m.Content.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), nil
}

// SetLevel asks for log messages at level and above, in the revision's
// terms: logging/setLevel, or the level in every request's _meta (the
// SDK's client; mcp-go's keeps the level it is set to in _meta itself).
func (p *Peer) SetLevel(t *testing.T, level string) {
	t.Helper()
	if p.mg != nil {
		if err := p.mg.SetLevel(context.Background(), mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevel(level)}}); err != nil {
			t.Fatal(err)
		}
		return
	}
	if p.Kind.Modern() {
		p.level = level
		return
	}
	if err := p.cs.SetLoggingLevel(context.Background(), &sdk.SetLoggingLevelParams{Level: sdk.LoggingLevel(level)}); err != nil {
		t.Fatal(err)
	}
}

// Subscribe subscribes to uri in the revision's terms and returns once
// the server has it: resources/subscribe, or a subscriptions/listen
// stream (acknowledged) that lasts until the test ends.
func (p *Peer) Subscribe(t *testing.T, uri string) {
	t.Helper()
	ctx := context.Background()
	if !p.Kind.Modern() {
		var err error
		if p.mg != nil {
			err = p.mg.Subscribe(ctx, mcp.SubscribeRequest{Params: mcp.SubscribeParams{URI: uri}})
		} else {
			err = p.cs.Subscribe(ctx, &sdk.SubscribeParams{URI: uri})
		}
		if err != nil {
			t.Fatalf("subscribe %s: %v", uri, err)
		}
		return
	}
	if p.mg != nil {
		stop, err := p.mg.ListenAsync(ctx, mcp.SubscriptionFilter{ResourceSubscriptions: []string{uri}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	} else {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = p.cs.Subscribe(ctx, &sdk.SubscribeParams{URI: uri})
		}()
		t.Cleanup(func() {
			_ = p.cs.Unsubscribe(ctx, &sdk.UnsubscribeParams{URI: uri})
			<-done
		})
	}
	p.WaitFor(t, "the subscription's acknowledgement", func(s Seen) bool { return s.Acks > 0 })
}
