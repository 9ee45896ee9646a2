// Package gateway serves tollgate's MCP server over Streamable HTTP: the
// HTTP face, for hosts that connect by URL and for a team that runs one
// shared deployment. It owns the listener policy (loopback by default, a
// token required on other addresses), bearer-token checks and request
// bounds; the MCP server itself comes from package mcpserver.
package gateway

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/server"
)

// Options configure [Handler].
type Options struct {
	// Token, when set, must be sent as "Authorization: Bearer <Token>".
	Token string
	// MaxBodyBytes bounds a request body; 0 means 1 MiB.
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// Handler serves srv over MCP Streamable HTTP at /mcp, with request
// bodies bounded and, when o.Token is set, a bearer token required (an
// absent or wrong token gets 401 and no MCP processing). mcp-go checks
// the Host header of requests to a loopback listener; the Origin header
// is not checked yet.
func Handler(srv *server.MCPServer, o Options) http.Handler {
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	stream := server.NewStreamableHTTPServer(srv,
		server.WithEndpointPath("/mcp"),
		server.WithStreamableHTTPLogger(o.Logger))
	mux := http.NewServeMux()
	mux.Handle("/mcp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Token != "" && !bearerOK(r.Header.Get("Authorization"), o.Token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "missing or wrong bearer token: send Authorization: Bearer <token> (the value of --http-token or TOLLGATE_HTTP_TOKEN)"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)
		stream.ServeHTTP(w, r)
	}))
	return mux
}

func bearerOK(header, token string) bool {
	// The scheme name is case-insensitive (RFC 9110 §11.1).
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// ListenAddr completes an --http address: a bare port ("8080") or an
// empty host (":8080") means the loopback interface, so the server is
// only reachable from other machines when the address says so (for
// example 0.0.0.0:8080).
func ListenAddr(addr string) (string, error) {
	if _, err := strconv.Atoi(addr); err == nil {
		return net.JoinHostPort("127.0.0.1", addr), nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--http %q: want host:port or a port, e.g. 127.0.0.1:8080", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// CheckHTTPExposure refuses to serve a non-loopback address without a
// token: anyone who can reach it could spend the workspace's credits.
func CheckHTTPExposure(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if IsLoopback(host) || token != "" {
		return nil
	}
	return errors.New("--http " + addr + " is reachable from other machines: set --http-token (or TOLLGATE_HTTP_TOKEN) so only your MCP host can spend credits, or bind 127.0.0.1")
}

// IsLoopback reports whether host names the loopback interface.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
