package ws

import (
	"context"
	"time"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/domain"
)

// ChatService is what sessions need from the chat use cases
// (*chat.Service). origin is the session id, written into the outbox event
// so that delivery skips the connection that already got a direct reply.
type ChatService interface {
	CreateChannel(ctx context.Context, actorID, origin string, in chat.CreateChannelInput) (domain.Channel, bool, error)
	SendMessage(ctx context.Context, actorID, origin string, in chat.SendMessageInput) (domain.Message, error)
	Messages(ctx context.Context, actorID, channelID string, page domain.Page) ([]domain.Message, bool, error)
	Channel(ctx context.Context, actorID, channelID string) (domain.Channel, error)
	Channels(ctx context.Context, actorID string) ([]domain.Channel, error)
	Join(ctx context.Context, actorID, origin, channelID string) (domain.Channel, error)
	Leave(ctx context.Context, actorID, origin, channelID string) error
	Users(ctx context.Context, actorID string, ids []string) ([]domain.User, error)
}

// PresenceService is what sessions need from the presence use cases
// (*presence.Service). sessionID tells the user's connections apart: any
// one of them heartbeating keeps the user online.
type PresenceService interface {
	Heartbeat(ctx context.Context, actorID, sessionID string, in presence.HeartbeatInput) (time.Time, error)
	Presences(ctx context.Context, actorID string, ids []string) ([]domain.UserPresence, error)
}

// Authenticator turns a bearer token into the user it names and the time
// the token expires (*identity.Service). Any failure of the token itself
// is of kind KindUnauthorized; other kinds (a database outage) are
// reported as such.
type Authenticator interface {
	AuthenticateSession(ctx context.Context, token string) (domain.User, time.Time, error)
}
