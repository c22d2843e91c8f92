package ws

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultHeartbeatInterval = 10 * time.Second
	DefaultPresenceTimeout   = 30 * time.Second
	// DefaultQueueSize is how many frames may wait for a client before it
	// counts as a slow consumer: about 12 s of a busy group at the default
	// send rate of 20 messages/s.
	DefaultQueueSize = 256
	// DefaultWriteTimeout bounds one frame write, so a client that stopped
	// reading holds its writer goroutine for at most this long.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxConnectionsPerUser is the protocol's default cap of one
	// user's connections on a node.
	DefaultMaxConnectionsPerUser = 32
)

// Config is the gateway's part of the service configuration.
type Config struct {
	// NodeID names this node in ready frames and logs.
	NodeID string
	// AllowedOrigins are host[:port] patterns (path.Match syntax, e.g.
	// "localhost:3000", "*.example.com") that a browser Origin may match
	// besides the request's own host; matched by origin.Policy, the rule
	// the REST CORS answers use too.
	AllowedOrigins []string
	// PublicURL, when set, is the address clients reach the service at;
	// the origin check compares with its host instead of the request's
	// Host header (origin.NewPolicy).
	PublicURL string
	// HeartbeatInterval and PresenceTimeout are announced in ready.
	HeartbeatInterval time.Duration
	PresenceTimeout   time.Duration
	// QueueSize is the number of outgoing frames a session may hold.
	QueueSize int
	// WriteTimeout bounds one batch write of queued frames.
	WriteTimeout time.Duration
	// MaxConnectionsPerUser caps one user's connections on this node; one
	// more is refused with HTTP 429 before the upgrade.
	MaxConnectionsPerUser int
	// Owners names the node that owns a user on the ring; nil means this
	// node owns everyone (a single node).
	Owners Owners
	// Typing sends typing indicators; nil refuses typing as unavailable.
	Typing TypingService
	// Metrics receives the gateway's counts; nil counts nothing.
	Metrics Metrics
}

// withDefaults fills zero fields and checks the origin patterns, so a typo
// in CHAT_ALLOWED_ORIGINS fails at startup instead of refusing browsers.
func (c Config) withDefaults() (Config, error) {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.PresenceTimeout <= 0 {
		c.PresenceTimeout = DefaultPresenceTimeout
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxConnectionsPerUser <= 0 {
		c.MaxConnectionsPerUser = DefaultMaxConnectionsPerUser
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	for _, pattern := range c.AllowedOrigins {
		if _, err := path.Match(strings.TrimSpace(pattern), ""); err != nil {
			return Config{}, fmt.Errorf("allowed origin pattern %q: %w", pattern, err)
		}
	}
	return c, nil
}
