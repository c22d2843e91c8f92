package chat

import (
	"context"

	"github.com/chatd/chat/domain"
)

// Store persists channels and messages. Every method runs as actorID (the
// database enforces that the actor sees only its channels) in one
// transaction that also writes the outbox event of the change, tagged with
// origin, the session that asked for it.
type Store interface {
	// CreateChannel stores a channel with the given distinct members. For a
	// direct channel whose pair already has one, it returns that channel
	// with created=false (re-adding a member who had left) and writes no
	// event. Unknown member ids fail with domain.ErrUserNotFound.
	CreateChannel(ctx context.Context, actorID string, spec domain.NewChannelSpec, members []string, origin string) (ch domain.Channel, created bool, err error)

	// AppendMessage stores msg with the channel's next seq. If the sender
	// already stored a message with the same ClientMessageID in the channel,
	// it returns that message with duplicate=true and writes nothing.
	AppendMessage(ctx context.Context, actorID string, msg domain.Message, origin string) (stored domain.Message, duplicate bool, err error)

	// Messages returns a page of history in ascending seq and whether more
	// messages lie beyond it in the direction of the page.
	Messages(ctx context.Context, actorID, channelID string, page domain.Page) (msgs []domain.Message, hasMore bool, err error)

	// Channel returns a channel with its members, if actorID is a member.
	Channel(ctx context.Context, actorID, channelID string) (domain.Channel, error)

	// Channels returns the channels actorID belongs to, without members.
	Channels(ctx context.Context, actorID string) ([]domain.Channel, error)

	// Join makes actorID a member of channelID. joined is false when the
	// actor was a member already (no event is written then).
	Join(ctx context.Context, actorID, channelID, origin string) (ch domain.Channel, joined bool, err error)

	// Leave ends actorID's membership of channelID.
	Leave(ctx context.Context, actorID, channelID, origin string) error

	// UsersSharingChannel returns those of ids that are actorID or share a
	// channel with actorID; the others are left out.
	UsersSharingChannel(ctx context.Context, actorID string, ids []string) ([]domain.User, error)
}

// SendLimiter decides whether a user may send one more message now.
type SendLimiter interface {
	AllowSend(userID string) bool
}
