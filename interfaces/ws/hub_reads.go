package ws

import (
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// routeReadUpdated sends read_updated to every session subscribed to the
// channel, the user's own other sessions included (they sync their unread
// badge), except the session that marked, which has its read_marked.
func (h *Hub) routeReadUpdated(ev domain.Event, only *session) {
	var frame []byte
	for s := range h.channels[ev.ChannelID] {
		if (only != nil && s != only) || s.id == ev.OriginSession {
			continue
		}
		if frame == nil {
			var ok bool
			frame, ok = h.encode(protocol.TypeReadUpdated, protocol.ReadUpdated{
				ChannelID: ev.ChannelID, UserID: ev.UserID, LastReadSeq: ev.LastReadSeq})
			if !ok {
				return
			}
		}
		h.sendLocked(s, frame)
	}
}

// routeTyping offers typing to the other members' sessions subscribed to
// the channel, never to the typist's own. It is offered, not queued: a
// session with frames waiting, or still joining, goes without it, so a
// typing frame never delays a message nor closes a slow consumer.
func (h *Hub) routeTyping(ev domain.Event, only *session) {
	var frame []byte
	for s := range h.channels[ev.ChannelID] {
		if (only != nil && s != only) || s.user.ID == ev.UserID || s.joining {
			continue
		}
		if frame == nil {
			var ok bool
			frame, ok = h.encode(protocol.TypeTyping, protocol.TypingEvent{ChannelID: ev.ChannelID, UserID: ev.UserID})
			if !ok {
				return
			}
		}
		if !h.delivering {
			s.conn.Offer(frame)
			continue
		}
		if ok, start := s.conn.OfferLater(frame); ok && start {
			h.starts = append(h.starts, s)
		}
	}
}

// subscribed reports whether the session is subscribed to the channel,
// which only a member's session is: typing checks membership with it
// instead of a database round trip per keystroke.
func (h *Hub) subscribed(s *session, channelID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := s.subs[channelID]
	return ok && s.live
}
