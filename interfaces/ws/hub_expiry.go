package ws

import (
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

// expiredReason is the close reason of a connection whose token expired.
const expiredReason = "token expired; reconnect with a new token"

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
