package gateway

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

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

// CheckHTTPExposure refuses to serve a non-loopback address without
// tokens (--http-token or --clients; authenticated says whether there
// are): anyone who can reach it could spend the workspace's credits.
func CheckHTTPExposure(addr string, authenticated bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if IsLoopback(host) || authenticated {
		return nil
	}
	return errors.New("--http " + addr + " is reachable from other machines: set --http-token (or TOLLGATE_HTTP_TOKEN) or --clients so only your team can spend credits, or bind 127.0.0.1")
}

// loopbackHost reports whether a Host header (host or host:port) names
// the loopback interface.
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return IsLoopback(host)
}

// IsLoopback reports whether host names the loopback interface.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
