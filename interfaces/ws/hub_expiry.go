package ws

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

// expiredReason is the close reason of a connection whose token expired.
const expiredReason = "token expired; reconnect with a new token"

// ExpirySweepInterval is how often connections are checked for expired
// tokens: a connection outlives its token by at most this much.
const ExpirySweepInterval = time.Second

// ExpirySweeper closes connections whose token has expired, with 4001:
// a token is checked when a connection opens, and a connection must not
// outlive it. One sweep over the hub's sessions every second costs far
// less than a timer per connection (memory that every idle connection
// would hold).
type ExpirySweeper struct {
	hub      *Hub
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// NewExpirySweeper returns the sweep over hub.
func NewExpirySweeper(hub *Hub, log *slog.Logger) *ExpirySweeper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ExpirySweeper{hub: hub, interval: ExpirySweepInterval, now: time.Now, log: log.With(slog.String("component", "token_expiry"))}
}

// Run sweeps until ctx ends.
func (e *ExpirySweeper) Run(ctx context.Context) error {
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n := e.hub.closeExpired(e.now()); n > 0 {
				e.log.DebugContext(ctx, "closed connections whose token expired", "connections", n)
			}
		}
	}
}

// closeExpired closes every session whose token expired at or before now
// and reports how many.
func (h *Hub) closeExpired(now time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var expired []*session
	for _, sessions := range h.users {
		for s := range sessions {
			if !s.expiresAt.IsZero() && !s.expiresAt.After(now) {
				expired = append(expired, s)
			}
		}
	}
	for s := range h.joining {
		if !s.expiresAt.IsZero() && !s.expiresAt.After(now) {
			expired = append(expired, s)
		}
	}
	for _, s := range expired {
		h.dropLocked(s, protocol.CloseUnauthorized, expiredReason)
	}
	return len(expired)
}
