package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/redisstore"
)

// Environment variables of the team service.
const (
	envClientsFile = "TOLLGATE_CLIENTS_FILE"
)

// gatewayFlags are serve's flags for the HTTP team service. The logic
// lives in package gateway; this only parses and wires.
type gatewayFlags struct {
	origins    []string
	clients    string
	perSession int64
	metrics    string
	ledger     string
	logFormat  string
	getenv     func(string) string
}

// addFlags registers the team service's flags of serve.
func (f *gatewayFlags) addFlags(cmd *cobra.Command) {
	f.logFormat = "text"
	addGroup(cmd, groupServer, func(fs *pflag.FlagSet) {
		fs.StringSliceVar(&f.origins, "http-allow-origin", nil, "with --http: a browser `ORIGIN` allowed to call (scheme://host[:port]; repeat or comma-separate); a request with another Origin gets 403")
		fs.StringVar(&f.clients, "clients", "", "with --http: JSON `FILE` of clients, each with its own token, cap and tools (default $"+envClientsFile+"); SIGHUP reloads it")
		fs.Int64Var(&f.perSession, "max-credits-per-session", 0, "with --http: the most one MCP session may spend, inside its client's cap (0: no cap; under 2026-07-28, which has no sessions, the most one call may spend)")
		fs.StringVar(&f.metrics, "metrics", "", "with --http: serve /metrics on this `ADDR` instead of on the MCP listener")
		fs.StringVar(&f.ledger, "ledger", "", "with --http: append one synced JSON line per paid call to `FILE` (see tollgate ledger)")
	})
}

// tokenFile is --http-token, else $TOLLGATE_HTTP_TOKEN, else the file
// $TOLLGATE_HTTP_TOKEN_FILE names.
func (o *serveOptions) tokenFile(getenv func(string) string, log *slog.Logger) (string, error) {
	if o.token != "" {
		return o.token, nil
	}
	v, err := secretFromEnv(getenv, envHTTPToken, log)
	return strings.TrimSpace(v), err
}

// logger makes serve's logger from --log-level and --log-format.
func (f *gatewayFlags) logger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("--log-level %q: want debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: l}
	switch f.logFormat {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, usageErrorf("--log-format %q: want text or json", f.logFormat)
}

// clientsPath is --clients, else $TOLLGATE_CLIENTS_FILE.
func (f *gatewayFlags) clientsPath() string {
	if f.clients != "" {
		return f.clients
	}
	if f.getenv != nil {
		return strings.TrimSpace(f.getenv(envClientsFile))
	}
	return ""
}

// running is the team service and what must be closed after it.
type running struct {
	gw      *gateway.Gateway
	metrics *http.Server // --metrics, or nil
	closers []func()
}

func (r *running) Close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// openGateway wires the gateway from the flags and the stack.
func (f *gatewayFlags) openGateway(ctx context.Context, st *stack, sf *stackFlags, opts mcpserver.Options, token string, log *slog.Logger) (_ *running, err error) {
	r := &running{}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	cfg := gateway.Config{Toolbox: st.Box, Server: opts, Token: token, AllowOrigins: f.origins,
		MaxCreditsPerSession: f.perSession, Logger: log}
	if f.perSession < 0 {
		return nil, usageErrorf("--max-credits-per-session %d: want 0 (no per-session cap) or more", f.perSession)
	}
	if path := f.clientsPath(); path != "" {
		if token != "" {
			return nil, usageErrorf("--clients and --http-token (or %s) exclude each other: give every client its own token in the clients file", envHTTPToken)
		}
		cl, err := gateway.LoadClients(path)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		warnIfReadableByOthers(log, path, "the clients file")
		cfg.Clients = cl
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				case <-hup:
					if err := cl.Reload(); err != nil {
						log.Error("clients file not reloaded; the clients in use stay as they were", "err", err)
						continue
					}
					log.Info("clients file reloaded", "file", path, "clients", len(cl.List()))
				}
			}
		}()
		r.closers = append(r.closers, func() { signal.Stop(hup); close(stop); <-done })
		log.Info("clients loaded", "file", path, "clients", len(cl.List()))
	}
	if f.ledger != "" {
		l, err := gateway.OpenLedger(f.ledger)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		cfg.Ledger = l
		r.closers = append(r.closers, func() { _ = l.Close() })
	}
	if url := sf.redisURL(); url != "" {
		rc, err := redisstore.Dial(url, 0)
		if err != nil {
			return nil, usageErrorf("--budget-redis: %v", err)
		}
		r.closers = append(r.closers, func() { _ = rc.Close() })
		prefix := redisstore.DefaultGatewayPrefix + "{" + sf.budgetName + "}:"
		if err := rc.Ping(ctx).Err(); err != nil {
			// Serve anyway, as with a shared budget whose Redis is down:
			// paid calls halt until it answers, free calls work. Round
			// trips are sealed with a key of this process meanwhile.
			log.Warn("Redis does not answer: this instance seals round-trip state with a key of its own until it restarts, so a 2026-07-28 spend question asked here must be answered here",
				"err", err)
		} else if cfg.Secret, err = redisstore.SharedSecret(ctx, rc, prefix); err != nil {
			return nil, fmt.Errorf("--budget-redis: %w", err)
		}
		cfg.Sessions = redisstore.NewSessions(rc, prefix)
		cfg.Peers = redisstore.NewPeers(rc, prefix)
		// A client's spend, and a session's, hold across instances and
		// restarts: budgets of their own in the same Redis.
		name := sf.budgetName
		opts, err := sf.budgetOptions(log)
		if err != nil {
			return nil, err
		}
		cfg.ClientStore = func(client string) (budget.Store, error) {
			return redisstore.NewBudget(rc, name+":client:"+client, opts)
		}
		cfg.SessionBudgetStore = redisstore.SessionBudgets(rc, prefix, gateway.DefaultSessionTTL)
		log.Info("sessions shared through Redis", "prefix", prefix)
	}
	if f.metrics != "" {
		cfg.NoMetricsRoute = true
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	r.gw = gw
	r.closers = append(r.closers, func() { _ = gw.Close() })
	if f.metrics != "" {
		addr, err := gateway.ListenAddr(f.metrics)
		if err != nil {
			return nil, usageErrorf("--metrics: %v", strings.TrimPrefix(err.Error(), "--http "))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("--metrics: listen on %s: %w", addr, err)
		}
		ms := &http.Server{Handler: gw.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
		served := make(chan struct{})
		go func() {
			defer close(served)
			if err := ms.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener stopped", "err", err)
			}
		}()
		r.metrics = ms
		r.closers = append(r.closers, func() { _ = ms.Close(); <-served })
		log.Info("metrics served", "url", "http://"+ln.Addr().String()+"/metrics")
	}
	return r, nil
}

// redisURL is --budget-redis, else $TOLLGATE_BUDGET_REDIS.
func (f *stackFlags) redisURL() string {
	if u := strings.TrimSpace(f.budgetRedis); u != "" {
		return u
	}
	return f.budgetRedisEnv
}
