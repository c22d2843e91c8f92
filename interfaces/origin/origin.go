// Package origin decides which browser origins may use the service: the
// service's own host, plus the host patterns of CHAT_ALLOWED_ORIGINS. Both
// the WebSocket upgrade (against cross-site WebSocket hijacking) and the
// REST CORS answers use this one rule.
package origin

import (
	"net/url"
	"path"
	"strings"
)

// Policy matches Origin headers against allowed host patterns.
type Policy struct {
	patterns []string
}

// NewPolicy builds a policy from patterns such as "localhost:3000" or
// "*.example.com", matched with path.Match against the origin's host[:port],
// case-insensitively. A pattern without a port matches any port of that
// host only when the pattern says so, e.g. "localhost:*".
func NewPolicy(patterns []string) *Policy {
	p := &Policy{}
	for _, pat := range patterns {
		if pat = strings.ToLower(strings.TrimSpace(pat)); pat != "" {
			p.patterns = append(p.patterns, pat)
		}
	}
	return p
}

// Allowed reports whether a request with this Origin header, arriving for
// requestHost (the Host header), may proceed. An empty Origin comes from a
// non-browser client, which same-origin rules do not concern.
func (p *Policy) Allowed(originHeader, requestHost string) bool {
	if originHeader == "" {
		return true
	}
	u, err := url.Parse(originHeader)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if strings.EqualFold(host, requestHost) {
		return true
	}
	for _, pat := range p.patterns {
		if ok, err := path.Match(pat, host); err == nil && ok {
			return true
		}
	}
	return false
}
