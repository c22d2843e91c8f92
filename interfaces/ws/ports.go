package ws

import (
	"context"
	"time"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/domain"
)

// ChatService is what sessions need from the chat use cases
// (*chat.Service). The actor's session id is written into the outbox event
// so that delivery skips the connection that already got a direct reply.
type ChatService interface {
	CreateChannel(ctx context.Context, actor domain.Actor, in chat.CreateChannelInput) (domain.Channel, bool, error)
	SendMessage(ctx context.Context, actor domain.Actor, in chat.SendMessageInput) (domain.Message, error)
	Messages(ctx context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error)
	Channel(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error)
	Channels(ctx context.Context, actor domain.Actor) ([]domain.Channel, error)
	Join(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error)
	Leave(ctx context.Context, actor domain.Actor, channelID string) error
	Users(ctx context.Context, actor domain.Actor, ids []string) ([]domain.User, error)
	MarkRead(ctx context.Context, actor domain.Actor, channelID string, seq int64) (int64, error)
}

// TypingService is what sessions need from the typing use case
// (*typing.Service). subscribed tells it the session is subscribed to the
// channel, which proves membership without asking the store.
type TypingService interface {
	Typing(ctx context.Context, actor domain.Actor, channelID string, subscribed bool) error
}

// PresenceService is what sessions need from the presence use cases
// (*presence.Service). The actor's session id tells the user's connections
// apart: any one of them heartbeating keeps the user online.
type PresenceService interface {
	Heartbeat(ctx context.Context, actor domain.Actor, in presence.HeartbeatInput) (time.Time, error)
	Presences(ctx context.Context, actorID string, ids []string) ([]domain.UserPresence, error)
}

// Authenticator turns a bearer token into the user it names and the time
// the token expires (*identity.Service). Any failure of the token itself
// is of kind KindUnauthorized; other kinds (a database outage) are
// reported as such.
type Authenticator interface {
	AuthenticateSession(ctx context.Context, token string) (domain.User, time.Time, error)
}

// typingOrNone stands in for a gateway configured without typing.
func typingOrNone(t TypingService) TypingService {
	if t == nil {
		return noTyping{}
	}
	return t
}

type noTyping struct{}

func (noTyping) Typing(context.Context, domain.Actor, string, bool) error {
	return domain.Errorf(domain.KindUnavailable, "typing indicators are not enabled on this server")
}
