package ws

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// Deliver pushes committed events to the live sessions of this node. Two
// paths call it: the durable one (the Kafka consumer, through the fan-out
// router in a cluster) in commit order, so in seq order per channel, and
// the live one (application/fanout.Live) with message events right after
// their commit, in no guaranteed order; each session's cursor keeps its
// stream in seq order and drops what the other path brought already. It
// only enqueues: a session whose queue is full is closed with 4008 instead
// of slowing the others. Safe for concurrent use; the events of a channel
// other than messages (membership, read state) must come from one caller
// at a time, the durable path, to keep their order.
func (h *Hub) Deliver(ctx context.Context, events []domain.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("deliver %d events: %w", len(events), err)
	}
	h.mu.Lock()
	h.delivering = true
	for _, ev := range events {
		if ev.Type == domain.EventTyping {
			// Not worth a backlog slot of a joining session: a typing
			// event must never be why one is closed.
			h.route(ev, nil)
			continue
		}
		for s := range h.joining {
			if len(s.backlog) >= maxBacklog {
				h.dropLocked(s, protocol.CloseSlowConsumer, slowConsumerReason)
				continue
			}
			s.backlog = append(s.backlog, ev)
		}
		h.route(ev, nil)
	}
	h.unlockBatch()
	return nil
}

// unlockBatch ends a batch of frames queued with delivering set: it
// unlocks the hub and only then starts the flushers the batch needs. A
// flusher started at a session's first frame would often write it alone,
// and the write(2) per frame was most of chatd's CPU in group fan-out.
func (h *Hub) unlockBatch() {
	starts := h.starts
	h.delivering, h.starts = false, nil
	h.mu.Unlock()
	for _, s := range starts {
		s.conn.Flush()
	}
}

// route applies one event to the subscriptions and queues its frames. With
// only set, it does so for that session alone (replaying what it collected
// while joining); otherwise for every active session.
func (h *Hub) route(ev domain.Event, only *session) {
	switch ev.Type {
	case domain.EventChannelCreated:
		h.routeChannelCreated(ev, only)
	case domain.EventMessageCreated:
		h.routeMessageCreated(ev, only)
	case domain.EventMemberJoined:
		h.routeMemberJoined(ev, only)
	case domain.EventMemberLeft:
		h.routeMemberLeft(ev, only)
	case domain.EventPresenceChanged:
		h.routePresenceChanged(ev, only)
	case domain.EventReadUpdated:
		h.routeReadUpdated(ev, only)
	case domain.EventTyping:
		h.routeTyping(ev, only)
	default:
		h.log.Warn("ignoring event of unknown type", "type", ev.Type, "channel", ev.ChannelID)
	}
}

// routeChannelCreated subscribes every live session of every member and
// sends channel_created to those that were not subscribed yet (so a
// repeated event is not sent twice), except the creating session, which
// has its reply.
func (h *Hub) routeChannelCreated(ev domain.Event, only *session) {
	if ev.Channel == nil {
		h.log.Error("channel_created event without channel", "channel", ev.ChannelID)
		return
	}
	frame, ok := h.encode(protocol.TypeChannelCreated, protocol.NewChannelCreated(*ev.Channel))
	if !ok {
		return
	}
	for _, member := range ev.Channel.MemberIDs {
		for s := range h.users[member] {
			if only != nil && s != only {
				continue
			}
			if h.subscribeLocked(s, ev.Channel.ID, ev.Channel.LastSeq) && s.id != ev.OriginSession {
				h.sendLocked(s, frame)
			}
		}
	}
}

// routeMessageCreated sends message_received to the channel's subscribers
// in seq order, whichever path brought it first and in whatever order (see
// cursor); the sending session only moves past it. An event of the live
// path names its recipients (the members read after its commit) and
// reaches only their sessions: a member removed just before it still has
// its subscription until member_left arrives on the durable path.
func (h *Hub) routeMessageCreated(ev domain.Event, only *session) {
	if ev.Message == nil {
		h.log.Error("message_created event without message", "channel", ev.ChannelID)
		return
	}
	msg := *ev.Message
	var frame []byte
	now := time.Now()
	isRecipient := recipientTest(ev.Recipients)
	for s, cur := range h.channels[msg.ChannelID] {
		if only != nil && s != only {
			continue
		}
		if !cur.wants(msg.Seq) || !isRecipient(s.user.ID) {
			continue
		}
		var mine []byte // nil: the session's own message, moved past
		if s.id != ev.OriginSession {
			if frame == nil {
				var ok bool
				if frame, ok = h.encode(protocol.TypeMessageReceived, protocol.NewMessage(msg)); !ok {
					return
				}
			}
			mine = frame
		}
		due, full := cur.offer(msg.Seq, mine, now)
		if full {
			h.log.Warn("closing a session whose stream has a gap too long unfilled",
				"session", s.id, "user", s.user.ID, "channel", msg.ChannelID, "after_seq", cur.high, "held", cur.holding())
			h.dropLocked(s, protocol.CloseSlowConsumer, gapReason)
			continue
		}
		if cur.holding() > 0 {
			h.gapped[s] = struct{}{}
		}
		h.sendDueLocked(s, due)
	}
}

// routeMemberJoined subscribes the joiner's sessions and tells the other
// members' sessions; the joiner's own connections get no member_joined.
func (h *Hub) routeMemberJoined(ev domain.Event, only *session) {
	frame, ok := h.encode(protocol.TypeMemberJoined, protocol.MemberChange{ChannelID: ev.ChannelID, UserID: ev.UserID})
	if !ok {
		return
	}
	// The joiner's other connections start at the channel's seq at the
	// join, so a redelivered older message does not reach them.
	var lastSeq int64
	if ev.Channel != nil {
		lastSeq = ev.Channel.LastSeq
	}
	for s := range h.users[ev.UserID] {
		if only == nil || s == only {
			h.subscribeLocked(s, ev.ChannelID, lastSeq)
		}
	}
	h.sendToChannel(ev, frame, only)
}

// routeMemberLeft unsubscribes the leaver's sessions first, so that neither
// member_left nor anything later of the channel reaches them, then tells
// the remaining subscribers.
func (h *Hub) routeMemberLeft(ev domain.Event, only *session) {
	frame, ok := h.encode(protocol.TypeMemberLeft, protocol.MemberChange{ChannelID: ev.ChannelID, UserID: ev.UserID})
	if !ok {
		return
	}
	// A leave the user asked for came with its own channel_left reply; a
	// removal by an operator (no origin session) is news to every one of
	// the user's connections, and the last frame of that channel they get.
	removed := ev.OriginSession == ""
	for s := range h.users[ev.UserID] {
		if only == nil || s == only {
			if _, subscribed := h.channels[ev.ChannelID][s]; removed && subscribed {
				h.sendLocked(s, frame)
			}
			h.unsubscribeLocked(s, ev.ChannelID)
		}
	}
	h.sendToChannel(ev, frame, only)
}

// sendToChannel sends a membership frame to the channel's subscribers other
// than the user it is about.
func (h *Hub) sendToChannel(ev domain.Event, frame []byte, only *session) {
	for s := range h.channels[ev.ChannelID] {
		if (only != nil && s != only) || s.user.ID == ev.UserID || s.id == ev.OriginSession {
			continue
		}
		h.sendLocked(s, frame)
	}
}

func (h *Hub) encode(typ string, payload any) ([]byte, bool) {
	frame, err := protocol.Encode(typ, "", payload)
	if err != nil {
		h.log.Error("encode event", "type", typ, "err", err)
		return nil, false
	}
	return frame, true
}

// recipientTest returns whether a user is among an event's recipients (nil:
// everyone subscribed). The live path hands them over sorted, and a
// binary search then serves each session: a linear scan per session cost
// 4 % of chatd's CPU delivering to 50-member groups. Unsorted lists, from
// any other source, are scanned.
func recipientTest(recipients []string) func(string) bool {
	switch {
	case recipients == nil:
		return func(string) bool { return true }
	case slices.IsSorted(recipients):
		return func(user string) bool {
			_, found := slices.BinarySearch(recipients, user)
			return found
		}
	default:
		return func(user string) bool { return slices.Contains(recipients, user) }
	}
}
