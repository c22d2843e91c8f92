package ws

import (
	"context"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// commands runs decoded commands against the use cases on behalf of one
// session and keeps the session's subscriptions in step with the replies.
type commands struct {
	chat     ChatService
	presence PresenceService
	typing   TypingService
	hub      *Hub
}

// run executes one command and returns the reply type and payload. Each
// reply is built from what the use case returned after its commit, so a
// reply never announces something that could still roll back.
// ordered, for a send_message, is passed to the store (see
// chat.SendMessageInput.Ordered).
func (c *commands) run(ctx context.Context, s *session, cmd protocol.Command, ordered func()) (string, any, error) {
	actor := s.actor()
	switch p := cmd.Payload.(type) {
	case protocol.CreateChannel:
		ch, _, err := c.chat.CreateChannel(ctx, actor, chat.CreateChannelInput{Type: p.ChannelType, Name: p.Name, MemberIDs: p.MemberIDs})
		if err != nil {
			return "", nil, err
		}
		c.hub.subscribe(s, ch.ID, ch.LastSeq)
		return protocol.TypeChannelCreated, protocol.NewChannelCreated(ch), nil

	case protocol.SendMessage:
		msg, err := c.chat.SendMessage(ctx, actor, chat.SendMessageInput{ChannelID: p.ChannelID, Body: p.Body, ClientMessageID: p.ClientMessageID, Ordered: ordered})
		if err != nil {
			return "", nil, err
		}
		c.hub.recordSent(s, msg.ChannelID, msg.Seq)
		return protocol.TypeMessageSent, protocol.NewMessageSent(msg), nil

	case protocol.GetMessages:
		page, err := domain.NewPage(p.AfterSeq, p.BeforeSeq, p.Limit)
		if err != nil {
			return "", nil, err
		}
		msgs, more, err := c.chat.Messages(ctx, actor, p.ChannelID, page)
		if err != nil {
			return "", nil, err
		}
		return protocol.TypeMessages, protocol.NewMessages(p.ChannelID, msgs, more), nil

	case protocol.GetChannel:
		ch, err := c.chat.Channel(ctx, actor, p.ChannelID)
		if err != nil {
			return "", nil, err
		}
		return protocol.TypeChannel, protocol.NewChannel(ch), nil

	case protocol.GetUsers:
		users, err := c.chat.Users(ctx, actor, p.UserIDs)
		if err != nil {
			return "", nil, err
		}
		return protocol.TypeUsers, protocol.NewUsers(users), nil

	case protocol.JoinChannel:
		ch, err := c.chat.Join(ctx, actor, p.ChannelID)
		if err != nil {
			return "", nil, err
		}
		c.hub.subscribe(s, ch.ID, ch.LastSeq)
		return protocol.TypeChannelJoined, protocol.ChannelJoined{ChannelID: ch.ID, LastSeq: ch.LastSeq}, nil

	case protocol.LeaveChannel:
		if err := c.chat.Leave(ctx, actor, p.ChannelID); err != nil {
			return "", nil, err
		}
		c.hub.unsubscribeUser(actor.UserID, p.ChannelID)
		return protocol.TypeChannelLeft, protocol.ChannelLeft{ChannelID: p.ChannelID}, nil

	case protocol.Heartbeat:
		return c.heartbeat(ctx, s, p)

	case protocol.GetPresence:
		return c.getPresence(ctx, s, p)

	case protocol.MarkRead:
		pos, err := c.chat.MarkRead(ctx, actor, p.ChannelID, p.Seq)
		if err != nil {
			return "", nil, err
		}
		return protocol.TypeReadMarked, protocol.ReadMarked{ChannelID: p.ChannelID, LastReadSeq: pos}, nil

	case protocol.Typing:
		// No reply on success (docs/protocol.md, Typing).
		return "", nil, c.typing.Typing(ctx, actor, p.ChannelID, c.hub.subscribed(s, p.ChannelID))
	}
	return "", nil, domain.Errorf(domain.KindBadRequest, "%s is not supported", cmd.Type)
}
