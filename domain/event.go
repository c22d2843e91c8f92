package domain

// EventType names a change that other connections must hear about.
type EventType string

// The events that leave a committed transaction.
const (
	EventChannelCreated EventType = "channel_created"
	EventMessageCreated EventType = "message_created"
	EventMemberJoined   EventType = "member_joined"
	EventMemberLeft     EventType = "member_left"
	// EventPresenceChanged is a user's presence status change; it reaches
	// the subscribers of ChannelIDs, the channels the user was in.
	EventPresenceChanged EventType = "presence_changed"
	// EventReadUpdated is a member's read position grown to LastReadSeq.
	EventReadUpdated EventType = "read_updated"
	// EventTyping says UserID is typing in the channel. It is never
	// stored: it goes from the typist's node straight to the members'.
	EventTyping EventType = "typing"
)

// Event is a committed change, written to the outbox in the same transaction
// as the change itself and delivered to live connections afterwards.
//
// OriginSession is the connection that caused it; that connection already
// got a direct reply, so delivery skips it.
type Event struct {
	Type          EventType
	ChannelID     string
	Channel       *Channel // channel_created (with members); member_joined (LastSeq at the join)
	Message       *Message // message_created
	UserID        string   // member_joined, member_left, presence_changed, read_updated, typing
	LastReadSeq   int64    // read_updated
	Presence      *UserPresence
	ChannelIDs    []string // presence_changed
	OriginSession string
	// Recipients, when not nil, limits delivery to these users'
	// connections. The live path sets it on a message to the channel's
	// members at the message's commit (or read after it), so a connection
	// whose user was removed meanwhile, and whose member_left is still on
	// the durable path, gets nothing newer. Events of the outbox leave it
	// nil. The live path lists them sorted, which lets a hub search them.
	Recipients []string
}
