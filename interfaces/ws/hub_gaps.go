package ws

import (
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

// HoldLimit is how long a session's stream may wait for a missing seq
// without progress before the session is closed with 4008, so its client
// catches up with get_messages and starts a stream without the gap. A gap
// that lasts comes from a live delivery that never arrived (its node died
// between commit and delivery); the GapFiller reads it from the database
// after FillAfter, and the durable path brings it within its own latency
// (up to a consumer-group session timeout and rebalance, 10 s each, when
// the dead node read the channel's partition). This limit is for when
// neither can: the database away as well.
const HoldLimit = 30 * time.Second

// closeStalled closes every session one of whose channels has held
// messages back for a missing seq, without progress, since before now
// minus limit, and reports how many.
func (h *Hub) closeStalled(now time.Time, limit time.Duration) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var stalled []*session
	for s := range h.gapped {
		holding := false
		for _, cur := range s.subs {
			if cur.holding() == 0 {
				continue
			}
			holding = true
			if now.Sub(cur.stalled) > limit {
				stalled = append(stalled, s)
				break
			}
		}
		if !holding {
			delete(h.gapped, s)
		}
	}
	for _, s := range stalled {
		h.log.Warn("closing a session whose stream waited too long for a missing seq", "session", s.id, "user", s.user.ID)
		h.dropLocked(s, protocol.CloseSlowConsumer, gapReason)
	}
	return len(stalled)
}
