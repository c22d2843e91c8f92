package ws

import (
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// routePresenceChanged sends presence_updated to every session subscribed
// to any channel the user is in, once per session however many channels
// it shares with the user, and never to the user's own sessions.
func (h *Hub) routePresenceChanged(ev domain.Event, only *session) {
	if ev.Presence == nil {
		h.log.Error("presence_changed event without presence", "user", ev.UserID)
		return
	}
	var frame []byte
	var sent map[*session]struct{}
	for _, channelID := range ev.ChannelIDs {
		for s := range h.channels[channelID] {
			if (only != nil && s != only) || s.user.ID == ev.Presence.UserID {
				continue
			}
			if _, dup := sent[s]; dup {
				continue
			}
			if frame == nil {
				var ok bool
				if frame, ok = h.encode(protocol.TypePresenceUpdated, protocol.NewUserPresence(*ev.Presence)); !ok {
					return
				}
			}
			if len(ev.ChannelIDs) > 1 {
				if sent == nil {
					sent = make(map[*session]struct{})
				}
				sent[s] = struct{}{}
			}
			h.sendLocked(s, frame)
		}
	}
}
