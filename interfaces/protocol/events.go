package protocol

// Ready is the first frame of every connection: who the server thinks the
// client is, the timing it expects, and the channels it is subscribed to.
type Ready struct {
	// ProtocolVersion is Version: what this server speaks, so a client
	// can tell whether read state and typing are there.
	ProtocolVersion     string         `json:"protocolVersion"`
	UserID              string         `json:"userId"`
	SessionID           string         `json:"sessionId"`
	NodeID              string         `json:"nodeId"`
	HeartbeatIntervalMs int64          `json:"heartbeatIntervalMs"`
	PresenceTimeoutMs   int64          `json:"presenceTimeoutMs"`
	Channels            []ReadyChannel `json:"channels"`
}

// ReadyChannel is one subscribed channel in Ready. LastSeq lets the client
// see at once whether it must catch up with get_messages.
// LastReadSeq and UnreadCount are the user's read state (v1.1).
type ReadyChannel struct {
	ChannelID   string `json:"channelId"`
	ChannelType string `json:"channelType"`
	LastSeq     int64  `json:"lastSeq"`
	LastReadSeq int64  `json:"lastReadSeq"`
	UnreadCount int64  `json:"unreadCount"`
}

// ChannelCreated is the reply to create_channel and the event every other
// live connection of every member receives.
type ChannelCreated struct {
	ChannelID   string   `json:"channelId"`
	ChannelType string   `json:"channelType"`
	Name        string   `json:"name,omitempty"`
	MemberIDs   []string `json:"memberIds"`
	CreatedAt   Time     `json:"createdAt"`
}

// MessageSent is the reply to send_message, sent only once the message is
// durably stored.
type MessageSent struct {
	ChannelID       string `json:"channelId"`
	MessageID       string `json:"messageId"`
	ClientMessageID string `json:"clientMessageId"`
	SenderID        string `json:"senderId"`
	Body            string `json:"body"`
	CreatedAt       Time   `json:"createdAt"`
	Seq             int64  `json:"seq"`
}

// Message is a stored message as other connections see it: the payload of
// message_received and the items of messages.
type Message struct {
	ChannelID string `json:"channelId"`
	MessageID string `json:"messageId"`
	SenderID  string `json:"senderId"`
	Body      string `json:"body"`
	CreatedAt Time   `json:"createdAt"`
	Seq       int64  `json:"seq"`
}

// Messages is the reply to get_messages: a page in ascending seq.
type Messages struct {
	ChannelID string    `json:"channelId"`
	Messages  []Message `json:"messages"`
	HasMore   bool      `json:"hasMore"`
}

// Channel is the reply to get_channel. LastReadSeq and UnreadCount are the
// caller's; ReadState has every member's position (v1.1).
type Channel struct {
	ChannelID   string         `json:"channelId"`
	ChannelType string         `json:"channelType"`
	Name        string         `json:"name,omitempty"`
	MemberIDs   []string       `json:"memberIds"`
	LastSeq     int64          `json:"lastSeq"`
	CreatedAt   Time           `json:"createdAt"`
	LastReadSeq int64          `json:"lastReadSeq"`
	UnreadCount int64          `json:"unreadCount"`
	ReadState   []ReadPosition `json:"readState"`
}

// Users is the reply to get_users.
type Users struct {
	Users []User `json:"users"`
}

// User is a profile in Users.
type User struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// ChannelJoined is the reply to join_channel; LastSeq is where the realtime
// stream of the channel starts for this connection.
type ChannelJoined struct {
	ChannelID string `json:"channelId"`
	LastSeq   int64  `json:"lastSeq"`
}

// ChannelLeft is the reply to leave_channel.
type ChannelLeft struct {
	ChannelID string `json:"channelId"`
}

// MemberChange is the payload of member_joined and member_left, sent to the
// other members of the channel.
type MemberChange struct {
	ChannelID string `json:"channelId"`
	UserID    string `json:"userId"`
}

// HeartbeatAck is the reply to heartbeat.
type HeartbeatAck struct {
	ServerTime Time `json:"serverTime"`
}

// Presence is the reply to get_presence.
type Presence struct {
	Users []UserPresence `json:"users"`
}

// UserPresence is one user's status, in Presence and as the payload of
// presence_updated. LastEventAt is when the status last changed; it is
// null for a user never seen (or not visible to the caller), who is
// offline.
type UserPresence struct {
	UserID      string `json:"userId"`
	Status      string `json:"status"`
	LastEventAt *Time  `json:"lastEventAt"`
}

// Error is the payload of an error reply. Command is the type of the frame
// that failed, when it could be read.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Command string `json:"command,omitempty"`
	// RetryAfterMs, on an unavailable error of an overloaded service or
	// on rate_limited, is how long to wait before retrying with the same
	// ids (protocol v1.1).
	RetryAfterMs int64 `json:"retryAfterMs,omitempty"`
}
