package ws

import (
	"testing"
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

func TestHubClosesSessionsWhoseTokenExpired(t *testing.T) {
	h := quietHub()
	t0 := time.Unix(1_000_000, 0)
	soon := join(t, h, "soon", 8)
	soon.expiresAt = t0.Add(time.Second)
	later := join(t, h, "later", 8)
	later.expiresAt = t0.Add(time.Hour)

	if n := h.closeExpired(t0); n != 0 {
		t.Fatalf("closed %d sessions before any token expired", n)
	}
	if n := h.closeExpired(t0.Add(time.Second)); n != 1 {
		t.Fatalf("closed %d sessions when one token expired, want 1", n)
	}
	if code, reason := soon.closeStatus(); code != protocol.CloseUnauthorized || reason != expiredReason {
		t.Errorf("expired session closed with %d %q, want 4001", code, reason)
	}
	if h.sessionCount("soon") != 0 || h.sessionCount("later") != 1 || isClosing(later) {
		t.Error("the expired session is still routed, or the valid one was closed")
	}
}

// isClosing reports whether the session was asked to close.
func isClosing(s *session) bool {
	code, _ := s.closeStatus()
	return code != -1
}
