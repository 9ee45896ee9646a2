// Package gateway serves tollgate's MCP server over Streamable HTTP as a
// service for a team: one TrendTrack key behind one deployment of one or
// more instances, each caller known by its own bearer token.
//
// A request to /mcp goes through, in order:
//
//   - the Origin check: a browser origin not allowed gets 403 (the
//     MCP transport's rule against DNS rebinding and cross-site calls);
//   - the token: with a clients file every client has its own, with
//     --http-token there is one; an unknown or revoked one gets 401;
//   - the session (2025-11-25 and earlier): only ids this deployment
//     issued, to the same token, are served; anything else gets 404;
//     under 2026-07-28, which has no sessions, each request stands on
//     its token alone;
//   - cancellations, which the gateway answers itself so that they
//     reach only the calls of the session (or caller) that sent them, on
//     whichever instance runs them, and so that a cancelled call gets no
//     response (see exchange.go);
//   - the MCP server (package mcpserver), which runs the call on the
//     caller's toolbox: its tools, its cap inside the deployment's
//     budget.
//
// Around that sit /metrics (Prometheus), /healthz and /readyz, and the
// audit ledger (one synced JSONL line per paid call). Sessions, the
// per-client budgets and cancellations are shared by instances through
// the stores and Peers they are given (package redisstore); without them
// an instance stands alone.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Defaults of Config.
const (
	// DefaultMaxBodyBytes bounds a request body.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultSessionTTL is how long an idle session lives.
	DefaultSessionTTL = 24 * time.Hour
)

// Config configures a Gateway. Zero values mean the documented defaults.
type Config struct {
	// Toolbox is the deployment's: its catalogue, its API client and its
	// budget (--max-credits, --reserve). Required.
	Toolbox *tools.Toolbox
	// Server configures the MCP server (name, version, mode, ...).
	Server mcpserver.Options
	// Token, when set, is the one bearer token every caller sends
	// (--http-token); the caller is then ClientDefault. It excludes
	// Clients.
	Token string
	// Clients, when set, are the callers and their tokens (--clients).
	// Without Token or Clients the gateway is open (loopback only, see
	// CheckHTTPExposure) and its caller is ClientAnonymous.
	Clients *Clients
	// AllowOrigins are the browser origins allowed to call
	// (--http-allow-origin); none by default. See OriginPolicy.
	AllowOrigins []string
	// MaxBodyBytes bounds a request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Sessions holds the sessions; nil means in memory (one instance).
	Sessions SessionStore
	// SessionTTL is how long an idle session lives; 0 means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Peers connects the instances (cancellations, ended sessions); nil
	// means this instance alone.
	Peers Peers
	// Secret keys the seals of requestState (see roundtrip.go); every
	// instance of a deployment needs the same one. nil means a random
	// key of this process.
	Secret []byte
	// Ledger, when set, receives one synced line per paid call.
	Ledger *Ledger
	// NoMetricsRoute leaves /metrics off Handler (serve MetricsHandler
	// on another listener instead, --metrics ADDR).
	NoMetricsRoute bool
	// MaxCreditsPerSession caps what one session may spend
	// (--max-credits-per-session), inside the caller's cap; 0 means no
	// cap per session. Under 2026-07-28, which has no sessions, every
	// request is its own session: it caps each call.
	MaxCreditsPerSession int64
	// ClientStore opens the store of a client's budget (the spend against
	// its maxCredits) by the client's name; nil means in memory. Give
	// every instance the same Redis-backed stores for a client's cap to
	// hold across instances and restarts. Stores that are io.Closers are
	// closed by Close.
	ClientStore func(client string) (budget.Store, error)
	// SessionBudgetStore returns the store of a session's budget (with
	// MaxCreditsPerSession), by SessionKey; nil means in memory.
	SessionBudgetStore func(sessionKey string) budget.Store
	// Checks are extra readiness checks for /readyz (the budget store,
	// say).
	Checks []Check
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gateway is the HTTP team service. Create it with New, serve Handler,
// and Close it when done.
type Gateway struct {
	cfg      Config
	box      *tools.Toolbox
	srv      *server.MCPServer
	stream   *server.StreamableHTTPServer
	origins  OriginPolicy
	sessions SessionStore
	seals    *sealer
	calls    *inflight
	metrics  *metrics
	log      *slog.Logger
	now      func() time.Time
	id       string // this instance, in peer events

	single *Client // the caller of Token, or of an open gateway

	refreshMu   sync.Mutex
	refreshedAt time.Time

	budgets budgets

	stop    context.CancelFunc
	stopped chan struct{} // closed when background work has ended
	once    sync.Once
}

// New checks cfg and returns a Gateway. With cfg.Peers it subscribes to
// the other instances' events before it returns, or, when Peers does not
// answer (Redis down at start), every second after it until it does.
func New(cfg Config) (*Gateway, error) {
	if cfg.Toolbox == nil {
		return nil, errors.New("gateway: Config.Toolbox is nil")
	}
	if cfg.Token != "" && cfg.Clients != nil {
		return nil, errors.New("gateway: give a clients file or one token (--http-token), not both")
	}
	origins, err := NewOriginPolicy(cfg.AllowOrigins)
	if err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sessions == nil {
		cfg.Sessions = NewMemorySessions(cfg.Now)
	}
	if cfg.MaxCreditsPerSession < 0 {
		return nil, fmt.Errorf("gateway: MaxCreditsPerSession %d: want 0 (none) or more", cfg.MaxCreditsPerSession)
	}
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	g := &Gateway{
		cfg: cfg, box: cfg.Toolbox, origins: origins, sessions: cfg.Sessions,
		seals: newSealer(cfg.Secret, cfg.Now), calls: newInflight(),
		log: cfg.Logger, now: cfg.Now, id: hex.EncodeToString(idb[:]),
		stopped: make(chan struct{}),
		budgets: budgets{clients: map[string]*clientState{}, stores: map[string]budget.Store{}, sessions: map[string]*sessionState{}},
	}
	switch {
	case cfg.Token != "":
		g.single = &Client{Name: ClientDefault, digest: tokenDigest(cfg.Token)}
	case cfg.Clients == nil:
		g.single = &Client{Name: ClientAnonymous, digest: tokenDigest("")}
	}
	g.metrics = newMetrics(g)
	base := cfg.Toolbox.Config()
	base.Account = g.account
	if g.box, err = tools.NewToolbox(base); err != nil {
		return nil, err
	}
	if cfg.Clients != nil {
		if err := g.checkClients(cfg.Clients.List()); err != nil {
			return nil, fmt.Errorf("--clients: %w", err)
		}
		cfg.Clients.setCheck(g.checkClients)
	}

	opts := cfg.Server
	opts.ToolboxFor = g.boxFor
	if opts.StateKey == nil {
		// The spend questions' state must open on every instance.
		opts.StateKey = g.seals.derive("mcpserver request state")
	}
	if opts.Logger == nil {
		opts.Logger = cfg.Logger
	}
	g.srv = mcpserver.New(g.box, opts)
	g.srv.Use(g.measure, g.bindRoundTrips)
	server.WithToolFilter(g.filterTools)(g.srv)
	g.stream = server.NewStreamableHTTPServer(g.srv,
		server.WithEndpointPath("/mcp"),
		server.WithStreamableHTTPLogger(cfg.Logger),
		server.WithSessionIdManagerResolver(sessionIDs{}),
		server.WithSessionIdleTTL(cfg.SessionTTL),
	)

	ctx, stop := context.WithCancel(context.Background())
	g.stop = stop
	if cfg.Peers != nil {
		done, err := cfg.Peers.Subscribe(ctx, g.onPeerEvent)
		if err != nil {
			// Serve all the same (a Redis down at start halts paid calls,
			// not the server) and subscribe once it answers.
			g.log.LogAttrs(ctx, slog.LevelWarn, "cannot subscribe to the other instances' events; retrying every second, and until then their cancellations and ended sessions do not reach this instance",
				slog.String("err", err.Error()))
			go g.subscribeLater(ctx)
		} else {
			go func() { <-done; close(g.stopped) }()
		}
	} else {
		close(g.stopped)
	}
	return g, nil
}

// peersRetry is how often a gateway whose Peers did not answer at start
// tries to subscribe again.
const peersRetry = time.Second

// subscribeLater subscribes to the other instances' events once Peers
// answers, and closes g.stopped when delivery has stopped (ctx ended).
func (g *Gateway) subscribeLater(ctx context.Context) {
	defer close(g.stopped)
	t := time.NewTicker(peersRetry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		done, err := g.cfg.Peers.Subscribe(ctx, g.onPeerEvent)
		if err != nil {
			continue
		}
		g.log.LogAttrs(ctx, slog.LevelInfo, "subscribed to the other instances' events")
		<-done
		return
	}
}

// Close stops listening to the other instances and mcp-go's session
// sweeper. It does not close the stores, the ledger or the toolbox.
func (g *Gateway) Close() error {
	g.once.Do(func() {
		g.stop()
		<-g.stopped
		_ = g.stream.Shutdown(context.Background())
		g.closeStores()
	})
	return nil
}

// MCPServer is the MCP server the gateway serves.
func (g *Gateway) MCPServer() *server.MCPServer { return g.srv }

// Handler serves /mcp, /healthz, /readyz and (unless
// Config.NoMetricsRoute) /metrics. Every path is Origin-checked; only
// /mcp asks for a token.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/mcp", g.serveMCP)
	mux.HandleFunc("/healthz", g.serveHealth)
	mux.HandleFunc("/readyz", g.serveReady)
	if !g.cfg.NoMetricsRoute {
		mux.Handle("/metrics", g.metrics.handler())
	}
	return g.checkOrigin(mux)
}

// MetricsHandler serves the Prometheus metrics alone, for --metrics ADDR.
func (g *Gateway) MetricsHandler() http.Handler { return g.checkOrigin(g.metrics.handler()) }

// checkOrigin refuses what a browser may send on a page's behalf: a
// request that reached a loopback listener under a foreign Host name
// (DNS rebinding), and one whose Origin is not allowed.
func (g *Gateway) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && local != nil {
			if host, _, err := net.SplitHostPort(local.String()); err == nil && IsLoopback(host) && !loopbackHost(r.Host) {
				g.metrics.refused.WithLabelValues("host").Inc()
				writeError(w, http.StatusForbidden, "Host "+strconv.Quote(r.Host)+" is not this loopback server's name (DNS rebinding protection)")
				return
			}
		}
		if o := r.Header.Get("Origin"); !g.origins.Allows(o) {
			g.metrics.refused.WithLabelValues("origin").Inc()
			g.log.LogAttrs(r.Context(), slog.LevelWarn, "refused a request from a browser origin that is not allowed",
				slog.String("origin", o), slog.String("path", r.URL.Path))
			writeError(w, http.StatusForbidden, "origin "+strconv.Quote(o)+" is not allowed to call this server; its operator can allow it with --http-allow-origin")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeError answers with status and a JSON {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// The caller and the session travel in the request's context.
type (
	callerKey  struct{}
	sessionKey struct{}
)

func withCaller(ctx context.Context, c *Client) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerFrom is the caller of the request ctx belongs to; an anonymous
// one outside a request.
func callerFrom(ctx context.Context) *Client {
	if c, ok := ctx.Value(callerKey{}).(*Client); ok {
		return c
	}
	return anonymous
}

var anonymous = &Client{Name: ClientAnonymous, digest: tokenDigest("")}

func withSession(ctx context.Context, s Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionFrom is the session of the request ctx belongs to, if any.
func sessionFrom(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}

const slogWarn = slog.LevelWarn

func clientAttr(c *Client) slog.Attr { return slog.String("client", c.Name) }
func toolAttr(name string) slog.Attr { return slog.String("tool", name) }
