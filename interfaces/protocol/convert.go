package protocol

import "github.com/chatd/chat/domain"

// The constructors below turn domain values into wire payloads, so every
// adapter (WebSocket replies, pushed events, REST) writes the same JSON for
// the same value: lists are never null, times are always TimeLayout.

// NewChannelCreated describes a new channel for its reply and event.
func NewChannelCreated(ch domain.Channel) ChannelCreated {
	return ChannelCreated{
		ChannelID:   ch.ID,
		ChannelType: string(ch.Type),
		Name:        ch.Name,
		MemberIDs:   nonNil(ch.MemberIDs),
		CreatedAt:   Time(ch.CreatedAt),
	}
}

// NewChannel describes a channel for get_channel.
func NewChannel(ch domain.Channel) Channel {
	return Channel{
		ChannelID:   ch.ID,
		ChannelType: string(ch.Type),
		Name:        ch.Name,
		MemberIDs:   nonNil(ch.MemberIDs),
		LastSeq:     ch.LastSeq,
		CreatedAt:   Time(ch.CreatedAt),
		LastReadSeq: ch.LastReadSeq,
		UnreadCount: ch.UnreadCount(),
		ReadState:   newReadState(ch.ReadState),
	}
}

func newReadState(reads []domain.ReadPosition) []ReadPosition {
	out := make([]ReadPosition, 0, len(reads))
	for _, r := range reads {
		out = append(out, ReadPosition{UserID: r.UserID, LastReadSeq: r.LastReadSeq})
	}
	return out
}

// NewReadyChannel describes a subscribed channel in ready.
func NewReadyChannel(ch domain.Channel) ReadyChannel {
	return ReadyChannel{ChannelID: ch.ID, ChannelType: string(ch.Type), LastSeq: ch.LastSeq,
		LastReadSeq: ch.LastReadSeq, UnreadCount: ch.UnreadCount()}
}

// NewMessageSent describes a stored message to its sender.
func NewMessageSent(m domain.Message) MessageSent {
	return MessageSent{
		ChannelID:       m.ChannelID,
		MessageID:       m.ID,
		ClientMessageID: m.ClientMessageID,
		SenderID:        m.SenderID,
		Body:            m.Body,
		CreatedAt:       Time(m.CreatedAt),
		Seq:             m.Seq,
	}
}

// NewMessage describes a stored message to other connections and in
// history pages.
func NewMessage(m domain.Message) Message {
	return Message{
		ChannelID: m.ChannelID,
		MessageID: m.ID,
		SenderID:  m.SenderID,
		Body:      m.Body,
		CreatedAt: Time(m.CreatedAt),
		Seq:       m.Seq,
	}
}

// NewMessages builds the reply to get_messages.
func NewMessages(channelID string, msgs []domain.Message, hasMore bool) Messages {
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, NewMessage(m))
	}
	return Messages{ChannelID: channelID, Messages: out, HasMore: hasMore}
}

// NewUsers builds the reply to get_users.
func NewUsers(users []domain.User) Users {
	out := make([]User, 0, len(users))
	for _, u := range users {
		out = append(out, User{UserID: u.ID, Name: u.Name})
	}
	return Users{Users: out}
}

// NewUserPresence describes one user's presence; a zero LastEventAt (a
// user never seen) becomes null.
func NewUserPresence(p domain.UserPresence) UserPresence {
	out := UserPresence{UserID: p.UserID, Status: string(p.Status)}
	if !p.LastEventAt.IsZero() {
		t := Time(p.LastEventAt)
		out.LastEventAt = &t
	}
	return out
}

// NewPresence is the reply to get_presence.
func NewPresence(list []domain.UserPresence) Presence {
	out := Presence{Users: make([]UserPresence, 0, len(list))}
	for _, p := range list {
		out.Users = append(out.Users, NewUserPresence(p))
	}
	return out
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
