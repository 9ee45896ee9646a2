package gateway

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// The request pipeline of /mcp: the caller, the session (2025-11-25),
// cancellations, and the call on the caller's toolbox.

// message is what the gateway reads of a POST body.
type message struct {
	Method string          `json:"method"`
	ID     json.RawMessage `json:"id"`
	Params struct {
		Meta      *mcp.Meta       `json:"_meta"`
		RequestID json.RawMessage `json:"requestId"`
	} `json:"params"`
}

func (g *Gateway) serveMCP(w http.ResponseWriter, r *http.Request) {
	c, ok := g.authenticate(r)
	if !ok {
		g.metrics.refused.WithLabelValues("token").Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate"`)
		hint := "send Authorization: Bearer <token> (the value of --http-token or TOLLGATE_HTTP_TOKEN)"
		if g.cfg.Clients != nil {
			hint = "send Authorization: Bearer <your token>; ask the operator for one if yours was revoked"
		}
		writeError(w, http.StatusUnauthorized, "missing, unknown or revoked bearer token: "+hint)
		return
	}
	var msg message
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: the limit is %d bytes", tooBig.Limit))
				return
			}
			writeError(w, http.StatusBadRequest, "could not read the request body: "+err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		_ = json.Unmarshal(body, &msg) // mcp-go answers a malformed body
	}
	ctx := withCaller(r.Context(), c)
	modern := mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) ||
		mcp.IsModernProtocol(msg.Params.Meta.ProtocolVersion())

	var (
		sc   scope
		sess *Session
	)
	if modern {
		sc = callerScope(c)
	} else {
		s, ok := Session{}, false
		ctx, s, ok = g.checkSession(ctx, w, r, c, msg.Method)
		if !ok {
			return
		}
		sc, sess = sessionScope(s.ID), &s
		if r.Method == http.MethodDelete {
			g.endSession(ctx, s)
		}
	}
	box, chain := g.callBudget(c, sess, modern)
	ctx = withCallBudget(ctx, box, chain)

	if r.Method == http.MethodPost && msg.Method == string(mcp.MethodNotificationCancelled) {
		g.cancelCall(ctx, sc, msg.Params.RequestID)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	// Requests are filed for cancellation; a POST with an id and no
	// method is the client's answer to a question of the server, not a
	// request of its own.
	key, isCall := requestKey(msg.ID)
	isCall = isCall && msg.Method != "" && msg.Method != string(mcp.MethodInitialize)
	var x *exchange
	switch {
	case r.Method == http.MethodGet:
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer g.calls.add(sc, streamKey, cancel, nil)()
	case r.Method == http.MethodPost && isCall:
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		x = newExchange(w)
		w = x
		defer g.calls.add(sc, key, cancel, x)()
	}
	ctx = runtime.WithCallObserver(ctx, g.metrics)
	g.stream.ServeHTTP(w, r.WithContext(ctx))
	if x != nil {
		x.finish()
	}
}

// authenticate finds the caller of r.
func (g *Gateway) authenticate(r *http.Request) (*Client, bool) {
	tok, hasTok := bearer(r.Header.Get("Authorization"))
	if g.single != nil {
		if g.cfg.Token == "" {
			return g.single, true
		}
		d := tokenDigest(tok)
		return g.single, hasTok && subtle.ConstantTimeCompare(d[:], g.single.digest[:]) == 1
	}
	if !hasTok {
		return nil, false
	}
	return g.cfg.Clients.lookup(tokenDigest(tok))
}

// bearer extracts the token of an Authorization header. The scheme name
// is case-insensitive (RFC 9110 §11.1).
func bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// checkSession applies the session rules of 2025-11-25 to a request:
// initialize mints a session; anything else must name a session this
// deployment issued to the same token. It answers the refusals itself.
func (g *Gateway) checkSession(ctx context.Context, w http.ResponseWriter, r *http.Request, c *Client, method string) (context.Context, Session, bool) {
	if r.Method == http.MethodPost && method == string(mcp.MethodInitialize) {
		s := Session{ID: newSessionID(), Client: c.Name, Owner: ownerOf(c.digest), Created: g.now().UTC()}
		if err := g.createSession(ctx, s); err != nil {
			g.storeDown(ctx, w, "open a session", err)
			return ctx, Session{}, false
		}
		g.metrics.sessions.WithLabelValues("opened").Inc()
		return withSessionCheck(ctx, sessionCheck{minted: s.ID}), s, true
	}
	id := r.Header.Get(server.HeaderKeySessionID)
	if id == "" {
		writeError(w, http.StatusBadRequest, "no Mcp-Session-Id header: send initialize first and then the session id it returns with every request")
		return ctx, Session{}, false
	}
	s, err := g.getSession(ctx, id)
	if err == nil && subtle.ConstantTimeCompare([]byte(s.Owner), []byte(ownerOf(c.digest))) != 1 {
		// To another token the session does not exist.
		g.log.LogAttrs(ctx, slog.LevelWarn, "refused a session id presented with another token than the one that opened it",
			clientAttr(c), slog.String("sessionOf", s.Client))
		err = ErrNoSession
	}
	switch {
	case errors.Is(err, ErrNoSession):
		g.metrics.refused.WithLabelValues("session").Inc()
		writeError(w, http.StatusNotFound, "unknown or ended session: start a new one with initialize")
		return ctx, Session{}, false
	case err != nil:
		g.storeDown(ctx, w, "check the session", err)
		return ctx, Session{}, false
	}
	ctx = withSession(ctx, s)
	return withSessionCheck(ctx, sessionCheck{checked: id}), s, true
}

// storeDown answers 503 when the session store cannot be reached:
// sessions fail closed.
func (g *Gateway) storeDown(ctx context.Context, w http.ResponseWriter, what string, err error) {
	g.log.LogAttrs(ctx, slog.LevelError, "session store unavailable", slog.String("while", what), slog.String("err", err.Error()))
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusServiceUnavailable, "tollgate cannot "+what+" now: its session store is unavailable; retry shortly")
}

// endSession ends s in the store and cancels its calls and streams, here
// and (through Peers) on every other instance. mcp-go then drops its own
// state of the session.
func (g *Gateway) endSession(ctx context.Context, s Session) {
	if err := g.sessions.Delete(ctx, SessionKey(s.ID)); err != nil {
		g.log.LogAttrs(ctx, slog.LevelError, "could not end a session in the store", slog.String("err", err.Error()))
	}
	g.metrics.sessions.WithLabelValues("ended").Inc()
	g.dropSession(s.ID)
	sc := sessionScope(s.ID)
	g.calls.end(sc)
	g.publish(ctx, peerEvent{Kind: eventEnd, Scope: sc})
}

// cancelCall cancels the calls of sc with the JSON-RPC id raw.
func (g *Gateway) cancelCall(ctx context.Context, sc scope, raw json.RawMessage) {
	key, ok := requestKey(raw)
	if !ok {
		return
	}
	n := g.calls.cancel(sc, key)
	result := "cancelled"
	if n == 0 {
		result = "unmatched"
	}
	g.metrics.cancels.WithLabelValues(result).Inc()
	g.log.LogAttrs(ctx, slog.LevelDebug, "cancellation", clientAttr(callerFrom(ctx)), slog.Int("calls", n))
	g.publish(ctx, peerEvent{Kind: eventCancel, Scope: sc, Key: key})
}

func (g *Gateway) publish(ctx context.Context, e peerEvent) {
	if g.cfg.Peers == nil {
		return
	}
	e.From = g.id
	b, _ := json.Marshal(e)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := g.cfg.Peers.Publish(ctx, b); err != nil {
		g.log.LogAttrs(ctx, slog.LevelWarn, "could not tell the other instances", slog.String("event", e.Kind), slog.String("err", err.Error()))
	}
}

func (g *Gateway) onPeerEvent(b []byte) {
	var e peerEvent
	if json.Unmarshal(b, &e) != nil || e.From == g.id {
		return
	}
	switch e.Kind {
	case eventCancel:
		if g.calls.cancel(e.Scope, e.Key) > 0 {
			g.metrics.cancels.WithLabelValues("cancelled").Inc()
		}
	case eventEnd:
		g.calls.end(e.Scope)
	}
}
