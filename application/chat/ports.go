package chat

import (
	"context"
	"time"

	"github.com/chatd/chat/domain"
)

// Store persists channels and messages. Every method runs as the actor's
// user (the database enforces that the actor sees only its channels); a
// change is one transaction that also writes the outbox event of the
// change, tagged with the actor's session.
type Store interface {
	// CreateChannel stores a channel with the given distinct members. For a
	// direct channel whose pair already has one, it returns that channel
	// with created=false (re-adding a member who had left) and writes no
	// event. Unknown member ids fail with domain.ErrUserNotFound.
	CreateChannel(ctx context.Context, actor domain.Actor, spec domain.NewChannelSpec, members []string) (ch domain.Channel, created bool, err error)

	// AppendMessage stores msg with the channel's next seq. If the sender
	// already stored a message with the same ClientMessageID in the channel,
	// it returns that message with duplicate=true and writes nothing.
	// ordered, when not nil, is called once the send's place in the
	// channel's order is fixed (it is queued behind the channel's earlier
	// sends), usually well before the commit: a caller that starts the
	// next send of the channel only then keeps its sends in order without
	// waiting for each commit. It may not be called when the store fails
	// first.
	AppendMessage(ctx context.Context, actor domain.Actor, msg domain.Message, ordered func()) (stored domain.Message, duplicate bool, err error)

	// Messages returns a page of history in ascending seq and whether more
	// messages lie beyond it in the direction of the page.
	Messages(ctx context.Context, actor domain.Actor, channelID string, page domain.Page) (msgs []domain.Message, hasMore bool, err error)

	// Channel returns a channel with its members, if the actor is a member.
	Channel(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error)

	// Channels returns the channels the actor belongs to, without members.
	Channels(ctx context.Context, actor domain.Actor) ([]domain.Channel, error)

	// Join makes the actor a member of channelID. joined is false when the
	// actor was a member already (no event is written then).
	Join(ctx context.Context, actor domain.Actor, channelID string) (ch domain.Channel, joined bool, err error)

	// Leave ends the actor's membership of channelID.
	Leave(ctx context.Context, actor domain.Actor, channelID string) error

	// MarkRead raises the actor's read position of channelID to seq,
	// clamped to the channel's LastSeq, and returns the position stored
	// afterwards. A lower seq changes nothing; when the position grew, the
	// transaction records read_updated (tagged with the actor's session).
	MarkRead(ctx context.Context, actor domain.Actor, channelID string, seq int64) (lastReadSeq int64, err error)

	// UsersSharingChannel returns those of ids that are the actor's user or
	// share a channel with it; the others are left out.
	UsersSharingChannel(ctx context.Context, actor domain.Actor, ids []string) ([]domain.User, error)
}

// SendLimiter decides whether a user may send one more message now.
type SendLimiter interface {
	// AllowSend reports whether the user may send now and, when not, how
	// long until it may (the client's retry hint).
	AllowSend(userID string) (ok bool, retryAfter time.Duration)
}

// LivePath hands committed events straight to the nodes of their
// recipients (application/fanout.Live), beside the outbox and the broker,
// which stay the guarantee. Publish must not wait: a send's reply is not
// held up by anyone's delivery.
type LivePath interface {
	Publish(ev domain.Event)
}
