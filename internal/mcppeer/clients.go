package mcppeer

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// clientInfo is what a Peer calls itself in initialize.
var clientInfo = mcp.Implementation{Name: "tollgate-test", Version: "1"}

// mgElicit is an Elicit as mcp-go's elicitation handler.
type mgElicit Elicit

func (f mgElicit) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	action, content, err := f(ctx, r.Params.Message, r.Params.RequestedSchema)
	if err != nil {
		return nil, err
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseAction(action), Content: content}}, nil
}

func (p *Peer) mcpGoOptions(o Options) []client.ClientOption {
	opts := []client.ClientOption{client.WithProtocolVersion(p.Kind.Version)}
	if o.Elicit != nil {
		opts = append(opts, client.WithElicitationHandler(mgElicit(o.Elicit)))
	}
	return opts
}

func (p *Peer) connectMCPGoInProcess(t *testing.T, srv *server.MCPServer, o Options) {
	t.Helper()
	cl, err := client.NewInProcessClientWithOptions(srv, p.mcpGoOptions(o)...)
	if err != nil {
		t.Fatal(err)
	}
	p.startMCPGo(t, cl)
}

func (p *Peer) connectMCPGoHTTP(t *testing.T, url string, hc *http.Client, o Options) {
	t.Helper()
	topts := []transport.StreamableHTTPCOption{transport.WithHTTPBasicClient(hc),
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler))}
	if !p.Kind.Modern() {
		// The session's own stream, for what is sent between requests.
		topts = append(topts, transport.WithContinuousListening())
	}
	tr, err := transport.NewStreamableHTTP(url, topts...)
	if err != nil {
		t.Fatal(err)
	}
	p.startMCPGo(t, client.NewClient(tr, p.mcpGoOptions(o)...))
}

// startMCPGo listens to cl's notifications, starts and initialises it,
// and closes it when the test ends.
func (p *Peer) startMCPGo(t *testing.T, cl *client.Client) {
	t.Helper()
	t.Cleanup(func() { _ = cl.Close() })
	cl.OnNotification(func(n mcp.JSONRPCNotification) {
		f := n.Params.AdditionalFields
		switch n.Method {
		case string(mcp.MethodNotificationMessage):
			// Typed in process, a string once it went over a wire.
			level, _ := f["level"].(mcp.LoggingLevel)
			if s, ok := f["level"].(string); ok {
				level = mcp.LoggingLevel(s)
			}
			p.note(func(s *Seen) { s.Logs = append(s.Logs, LogMsg{Level: string(level), Data: AsMap(f["data"])}) })
		case mcp.MethodNotificationResourceUpdated:
			uri, _ := f["uri"].(string)
			p.note(func(s *Seen) { s.Updates = append(s.Updates, uri) })
		case mcp.MethodNotificationSubscriptionsAcknowledged:
			p.note(func(s *Seen) { s.Acks++ })
		}
	})
	ctx := context.Background()
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = clientInfo
	res, err := cl.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	if got := cl.ProtocolVersion(); got != p.Kind.Version {
		t.Fatalf("mcp-go client negotiated %s, want %s", got, p.Kind.Version)
	}
	p.mg, p.Info = cl, res.ServerInfo
}

// connectSDK connects the official SDK's client over tr.
func (p *Peer) connectSDK(t *testing.T, tr sdk.Transport, o Options) {
	t.Helper()
	opts := &sdk.ClientOptions{
		LoggingMessageHandler: func(_ context.Context, r *sdk.LoggingMessageRequest) {
			p.note(func(s *Seen) {
				s.Logs = append(s.Logs, LogMsg{Level: string(r.Params.Level), Data: AsMap(r.Params.Data)})
			})
		},
		ResourceUpdatedHandler: func(_ context.Context, r *sdk.ResourceUpdatedNotificationRequest) {
			p.note(func(s *Seen) { s.Updates = append(s.Updates, r.Params.URI) })
		},
	}
	if o.Elicit != nil {
		opts.ElicitationHandler = func(ctx context.Context, r *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			action, content, err := o.Elicit(ctx, r.Params.Message, r.Params.RequestedSchema)
			if err != nil {
				return nil, err
			}
			return &sdk.ElicitResult{Action: action, Content: content}, nil
		}
	}
	c := sdk.NewClient(&sdk.Implementation{Name: clientInfo.Name, Version: clientInfo.Version}, opts)
	c.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			if method == mcp.MethodNotificationSubscriptionsAcknowledged {
				p.note(func(s *Seen) { s.Acks++ })
			}
			return next(ctx, method, req)
		}
	})
	cs, err := c.Connect(context.Background(), tr, &sdk.ClientSessionOptions{ProtocolVersion: p.Kind.Version})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	ir := cs.InitializeResult()
	if ir.ProtocolVersion != p.Kind.Version {
		t.Fatalf("go-sdk client negotiated %s, want %s", ir.ProtocolVersion, p.Kind.Version)
	}
	if si := ir.ServerInfo; si != nil {
		p.Info = mcp.Implementation{Name: si.Name, Title: si.Title, Version: si.Version, WebsiteURL: si.WebsiteURL}
	}
	p.cs = cs
}

// AsMap returns v as a JSON object: v itself if it is one, else v
// marshalled and decoded (nil if v is not an object).
func AsMap(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	var m map[string]any
	raw, _ := json.Marshal(v)
	_ = json.Unmarshal(raw, &m)
	return m
}
