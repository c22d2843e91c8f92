// Package origin decides which browser origins may use the service: the
// service's own host, plus the host patterns of CHAT_ALLOWED_ORIGINS. Both
// the WebSocket upgrade (against cross-site WebSocket hijacking) and the
// REST CORS answers use this one rule.
//
// The service's own host is its public address (CHAT_PUBLIC_WS_URL) when
// one is configured: the request's Host header is the client's to choose,
// and behind a proxy it may be anything. Without a public address the Host
// header is all there is.
package origin

import (
	"net/url"
	"path"
	"strings"
)

// Policy matches Origin headers against the service's own host and
// allowed host patterns.
type Policy struct {
	patterns   []string
	publicHost string // host[:port] of the public address; "" if none
}

// NewPolicy builds a policy from patterns such as "localhost:3000" or
// "*.example.com", matched with path.Match against the origin's host[:port],
// case-insensitively. A pattern without a port matches any port of that
// host only when the pattern says so, e.g. "localhost:*".
//
// publicURL is the address clients reach the service at (any scheme, e.g.
// wss://chat.example.com/ws); when it is not empty, its host is the
// service's own origin instead of each request's Host header. It must be
// an absolute URL (configuration checks it).
func NewPolicy(patterns []string, publicURL string) *Policy {
	p := &Policy{}
	if u, err := url.Parse(publicURL); publicURL != "" && err == nil {
		p.publicHost = hostOf(u)
	}
	for _, pat := range patterns {
		if pat = strings.ToLower(strings.TrimSpace(pat)); pat != "" {
			p.patterns = append(p.patterns, pat)
		}
	}
	return p
}

// Allowed reports whether a request with this Origin header, arriving for
// requestHost (the Host header, used only without a public address), may
// proceed. An empty Origin comes from a non-browser client, which
// same-origin rules do not concern.
func (p *Policy) Allowed(originHeader, requestHost string) bool {
	if originHeader == "" {
		return true
	}
	u, err := url.Parse(originHeader)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if p.publicHost != "" {
		if hostOf(u) == p.publicHost {
			return true
		}
	} else if strings.EqualFold(host, requestHost) {
		return true
	}
	for _, pat := range p.patterns {
		if ok, err := path.Match(pat, host); err == nil && ok {
			return true
		}
	}
	return false
}

// hostOf is u's host[:port] in lower case, without the port its scheme
// implies: a browser writes https://chat.example.com, never :443, while a
// configured wss://chat.example.com:443/ws may carry it.
func hostOf(u *url.URL) string {
	host := strings.ToLower(u.Host)
	switch port := u.Port(); {
	case port == "443" && (u.Scheme == "https" || u.Scheme == "wss"),
		port == "80" && (u.Scheme == "http" || u.Scheme == "ws"):
		host = strings.TrimSuffix(host, ":"+port)
	}
	return host
}
