package mcppeer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Result is a tool result as either client decoded it.
type Result struct {
	IsError bool
	SC      map[string]any // structuredContent
	Text    string         // the first content block's text, if it is text
}

// request sends a request with whichever client p is, mg's or cs's, and
// decodes its result into out as the MCP JSON both libraries marshal
// their results to, so what a test reads is the same for both.
func (p *Peer) request(out any, mg func(*client.Client) (any, error), cs func(*sdk.ClientSession) (any, error)) error {
	var res any
	var err error
	if p.mg != nil {
		res, err = mg(p.mg)
	} else {
		res, err = cs(p.cs)
	}
	if err != nil {
		return err
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// content is a content block of a result.
type content struct {
	Type string `json:"type"`
	Text string `json:"text"`
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
	var res struct {
		IsError           bool           `json:"isError"`
		StructuredContent map[string]any `json:"structuredContent"`
		Content           []content      `json:"content"`
	}
	err := p.request(&res, func(c *client.Client) (any, error) {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		return c.CallTool(ctx, req)
	}, func(cs *sdk.ClientSession) (any, error) {
		params := &sdk.CallToolParams{Name: name, Arguments: args}
		if p.level != "" {
			params.Meta = sdk.Meta{mcp.MetaKeyLogLevel: p.level}
		}
		return cs.CallTool(ctx, params)
	})
	if err != nil {
		return Result{}, err
	}
	out := Result{IsError: res.IsError, SC: res.StructuredContent}
	if len(res.Content) > 0 && res.Content[0].Type == "text" {
		out.Text = res.Content[0].Text
	}
	return out, nil
}

// Tools returns each listed tool's output schema (nil where it has
// none), by tool name.
func (p *Peer) Tools(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var list struct {
		Tools []struct {
			Name         string          `json:"name"`
			OutputSchema json.RawMessage `json:"outputSchema"`
		} `json:"tools"`
	}
	err := p.request(&list, func(c *client.Client) (any, error) {
		return c.ListTools(context.Background(), mcp.ListToolsRequest{})
	}, func(cs *sdk.ClientSession) (any, error) {
		return cs.ListTools(context.Background(), nil)
	})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	out := map[string]json.RawMessage{}
	for _, tl := range list.Tools {
		out[tl.Name] = tl.OutputSchema
	}
	return out
}

// Read returns a resource's text.
func (p *Peer) Read(t *testing.T, uri string) string {
	t.Helper()
	var res struct {
		Contents []struct {
			Text *string `json:"text"`
		} `json:"contents"`
	}
	err := p.request(&res, func(c *client.Client) (any, error) {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		return c.ReadResource(context.Background(), req)
	}, func(cs *sdk.ClientSession) (any, error) {
		return cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: uri})
	})
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	if len(res.Contents) == 0 || res.Contents[0].Text == nil {
		t.Fatalf("read %s: no text contents: %+v", uri, res.Contents)
	}
	return *res.Contents[0].Text
}

// Resources lists the resource URIs.
func (p *Peer) Resources(t *testing.T) []string {
	t.Helper()
	var res struct {
		Resources []struct {
			URI string `json:"uri"`
		} `json:"resources"`
	}
	err := p.request(&res, func(c *client.Client) (any, error) {
		return c.ListResources(context.Background(), mcp.ListResourcesRequest{})
	}, func(cs *sdk.ClientSession) (any, error) {
		return cs.ListResources(context.Background(), nil)
	})
	if err != nil {
		t.Fatalf("resources/list: %v", err)
	}
	var out []string
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

// Prompts lists the prompts.
func (p *Peer) Prompts(t *testing.T) []PromptInfo {
	t.Helper()
	var res struct {
		Prompts []struct {
			Name      string `json:"name"`
			Arguments []struct {
				Name     string `json:"name"`
				Required bool   `json:"required"`
			} `json:"arguments"`
		} `json:"prompts"`
	}
	err := p.request(&res, func(c *client.Client) (any, error) {
		return c.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
	}, func(cs *sdk.ClientSession) (any, error) {
		return cs.ListPrompts(context.Background(), nil)
	})
	if err != nil {
		t.Fatalf("prompts/list: %v", err)
	}
	var out []PromptInfo
	for _, pr := range res.Prompts {
		pi := PromptInfo{Name: pr.Name}
		for _, a := range pr.Arguments {
			if a.Required {
				pi.Required = append(pi.Required, a.Name)
			} else {
				pi.Optional = append(pi.Optional, a.Name)
			}
		}
		out = append(out, pi)
	}
	return out
}

// Prompt renders a prompt and returns its messages' text.
func (p *Peer) Prompt(name string, args map[string]string) (string, error) {
	var res struct {
		Messages []struct {
			Content content `json:"content"`
		} `json:"messages"`
	}
	err := p.request(&res, func(c *client.Client) (any, error) {
		req := mcp.GetPromptRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		return c.GetPrompt(context.Background(), req)
	}, func(cs *sdk.ClientSession) (any, error) {
		return cs.GetPrompt(context.Background(), &sdk.GetPromptParams{Name: name, Arguments: args})
	})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, m := range res.Messages {
		if m.Content.Type == "text" {
			b.WriteString(m.Content.Text)
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
