package gateway

import (
	"fmt"
	"net/url"
	"strings"
)

// An OriginPolicy decides which browser origins may call the gateway. The
// MCP transport spec (2025-11-25, Streamable HTTP, security warning) says
// a server MUST validate the Origin header and answer 403 to a present,
// invalid one: it is what stops a web page the user visits from driving
// a local or intranet MCP server through the user's browser (DNS
// rebinding, cross-site requests). A request without Origin (every
// non-browser MCP client) is not a browser's and is allowed.
//
// The zero value allows no origin at all.
type OriginPolicy struct {
	allowed map[string]bool
}

// NewOriginPolicy returns a policy allowing exactly the given origins,
// each a scheme://host[:port] such as https://app.example.com (the form
// of an Origin header), or "*" for any origin. Scheme and host are
// compared without regard to case, and a default port (80 for http, 443
// for https) may be written or left out.
func NewOriginPolicy(origins []string) (OriginPolicy, error) {
	p := OriginPolicy{allowed: map[string]bool{}}
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			p.allowed["*"] = true
			continue
		}
		n, err := normalizeOrigin(o)
		if err != nil {
			return OriginPolicy{}, fmt.Errorf("--http-allow-origin %q: %v", o, err)
		}
		p.allowed[n] = true
	}
	return p, nil
}

// Allows reports whether a request whose Origin header is origin may be
// served: true when origin is empty (no header), or names an allowed
// origin. The opaque origin "null" (sandboxed frames, file: pages) is
// only allowed by "*".
func (p OriginPolicy) Allows(origin string) bool {
	if origin == "" {
		return true
	}
	if p.allowed["*"] {
		return true
	}
	n, err := normalizeOrigin(origin)
	return err == nil && p.allowed[n]
}

// normalizeOrigin reduces scheme://host[:port] to lower-case scheme and
// host with the default port dropped.
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("want scheme://host[:port], e.g. https://app.example.com")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("an origin has no path, query or user, only scheme://host[:port]")
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port, nil
	}
	return scheme + "://" + host, nil
}
