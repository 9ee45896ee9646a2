package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Resources: the budget as the controller sees it, and the OpenAPI
// document the tools were built from. Reading either never calls the API.
//
// A client subscribes to tollgate://budget to be told when it changes:
// with resources/subscribe on 2025-11-25 (the update goes to the
// session), with a subscriptions/listen stream naming the URI on
// 2026-07-28 (the update goes down that stream, tagged with its id).
// After a paid call changes the budget, subscribers get one
// notifications/resources/updated at once and, for further changes
// within Options.BudgetNotifyEvery, one more when that interval ends.

// Resource URIs.
const (
	BudgetURI  = "tollgate://budget"
	OpenAPIURI = "tollgate://openapi.json"
)

func (f *face) addResources(srv *server.MCPServer) {
	srv.AddResource(mcp.Resource{URI: BudgetURI, Name: "budget", Title: "Credit budget", MIMEType: "application/json",
		Description: "What this session may still spend and what the workspace has, as get_budget answers it, from what tollgate already knows (reading it calls no API). Subscribe to be told when a call changes it."},
		func(ctx context.Context, _ mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			b, err := json.Marshal(f.boxFor(ctx).BudgetSnapshot(ctx))
			if err != nil {
				return nil, err
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: BudgetURI, MIMEType: "application/json", Text: string(b)}}, nil
		})
	cat := f.box.Catalogue()
	srv.AddResource(mcp.Resource{URI: OpenAPIURI, Name: "openapi", Title: "TrendTrack API (OpenAPI document)", MIMEType: "application/json",
		Description: fmt.Sprintf("The OpenAPI 3 document of the TrendTrack Public API that tollgate built its tools from (source: %s).", cat.Source)},
		func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			doc := cat.Document()
			if doc == nil {
				return nil, fmt.Errorf("this catalogue was not built from an OpenAPI document")
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: OpenAPIURI, MIMEType: "application/json", Text: string(doc)}}, nil
		})
}

// budgetFeed sends notifications/resources/updated for tollgate://budget
// to its subscribers, throttled.
type budgetFeed struct {
	f *face

	mu        sync.Mutex
	sessions  map[string]bool        // 2025-11-25 subscribers, by session id
	listeners map[*listener]struct{} // 2026-07-28 subscriptions/listen streams
	last      time.Time              // when the last update was sent
	lastState string                 // the budget it announced
	trailing  *time.Timer            // an update due at the end of the interval
}

// listener is one subscriptions/listen stream that asked for the budget.
type listener struct {
	session server.ClientSession
	id      any // the subscriptions/listen request's id, which tags its messages
}

func newBudgetFeed(f *face, hooks *server.Hooks) *budgetFeed {
	b := &budgetFeed{f: f, sessions: map[string]bool{}, listeners: map[*listener]struct{}{}}
	hooks.AddAfterSubscribe(func(ctx context.Context, _ any, req *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		if s := server.ClientSessionFromContext(ctx); s != nil && req.Params.URI == BudgetURI {
			b.mu.Lock()
			b.sessions[s.SessionID()] = true
			b.mu.Unlock()
		}
	})
	hooks.AddAfterUnsubscribe(func(ctx context.Context, _ any, req *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		if s := server.ClientSessionFromContext(ctx); s != nil && req.Params.URI == BudgetURI {
			b.mu.Lock()
			delete(b.sessions, s.SessionID())
			b.mu.Unlock()
		}
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		b.mu.Lock()
		delete(b.sessions, s.SessionID())
		b.mu.Unlock()
	})
	hooks.AddBeforeSubscriptionsListen(func(ctx context.Context, id any, req *mcp.SubscriptionsListenRequest) {
		s := server.ClientSessionFromContext(ctx)
		if s == nil || id == nil || !slices.Contains(req.Params.Notifications.ResourceSubscriptions, BudgetURI) {
			return
		}
		l := &listener{session: s, id: id}
		b.mu.Lock()
		b.listeners[l] = struct{}{}
		b.mu.Unlock()
		// The stream lasts as long as its request.
		context.AfterFunc(ctx, func() {
			b.mu.Lock()
			delete(b.listeners, l)
			b.mu.Unlock()
		})
	})
	return b
}

// changed is called after a call that may have changed the budget.
func (b *budgetFeed) changed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.sessions) == 0 && len(b.listeners) == 0 || b.trailing != nil {
		return
	}
	now := b.f.o.Now()
	if wait := throttleDelay(b.last, now, b.f.o.BudgetNotifyEvery); wait > 0 {
		b.trailing = time.AfterFunc(wait, b.sendTrailing)
		return
	}
	b.sendLocked(now)
}

// throttleDelay is how long an update must wait when the last one went
// out at last: 0 to send it now.
func throttleDelay(last, now time.Time, every time.Duration) time.Duration {
	if last.IsZero() {
		return 0
	}
	return max(0, last.Add(every).Sub(now))
}

func (b *budgetFeed) sendTrailing() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trailing = nil
	b.sendLocked(b.f.o.Now())
}

// feedReadTimeout bounds the budget read of an announcement (a shared
// store that does not answer must not hold the feed up).
const feedReadTimeout = 2 * time.Second

// sendLocked announces the budget to every subscriber, unless it is what
// was last announced. b.mu is held: notifications are queued without
// blocking.
func (b *budgetFeed) sendLocked(now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), feedReadTimeout)
	defer cancel()
	st := b.f.box.BudgetSnapshot(ctx).Budget
	state := ""
	if st != nil {
		state = fmt.Sprint(st.RunSpent, st.InFlight, deref(st.CreditsRemaining), st.Available, st.Exhausted, st.RefillAt)
	}
	if state == b.lastState && !b.last.IsZero() {
		return
	}
	b.last, b.lastState = now, state
	params := map[string]any{"uri": BudgetURI}
	for sid := range b.sessions {
		if err := b.f.srv.SendNotificationToSpecificClient(sid, mcp.MethodNotificationResourceUpdated, params); err != nil {
			b.f.o.Logger.Debug("budget update not sent", "session", sid, "err", err)
		}
	}
	for l := range b.listeners {
		n := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
			Method: mcp.MethodNotificationResourceUpdated,
			Params: mcp.NotificationParams{Meta: map[string]any{mcp.MetaKeySubscriptionID: l.id}, AdditionalFields: params},
		}}
		select {
		case l.session.NotificationChannel() <- n:
		default:
			b.f.o.Logger.Debug("budget update not sent: the stream is full")
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
