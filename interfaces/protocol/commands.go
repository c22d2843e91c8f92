package protocol

// CreateChannel asks for a new direct or group channel. MemberIDs may name
// or omit the creator.
type CreateChannel struct {
	ChannelType string   `json:"channelType"`
	Name        string   `json:"name,omitempty"`
	MemberIDs   []string `json:"memberIds"`
}

// SendMessage posts a message. ClientMessageID is the sender's idempotency
// key: a retry with the same key returns the original message_sent.
type SendMessage struct {
	ChannelID       string `json:"channelId"`
	Body            string `json:"body"`
	ClientMessageID string `json:"clientMessageId"`
}

// GetMessages reads a page of history. Nil pointers are absent fields: the
// use case tells "afterSeq 0" from "no afterSeq", and "no limit" means the
// default page size.
type GetMessages struct {
	ChannelID string `json:"channelId"`
	AfterSeq  *int64 `json:"afterSeq,omitempty"`
	BeforeSeq *int64 `json:"beforeSeq,omitempty"`
	Limit     *int   `json:"limit,omitempty"`
}

// GetChannel asks for one channel with its members.
type GetChannel struct {
	ChannelID string `json:"channelId"`
}

// GetUsers asks for the profiles of up to 100 users.
type GetUsers struct {
	UserIDs []string `json:"userIds"`
}

// JoinChannel makes the user a member of a channel and subscribes it.
type JoinChannel struct {
	ChannelID string `json:"channelId"`
}

// LeaveChannel ends the user's membership and subscription.
type LeaveChannel struct {
	ChannelID string `json:"channelId"`
}

// Heartbeat keeps the user's presence alive. An empty UserID means the
// field was absent (the authenticated user).
type Heartbeat struct {
	UserID string `json:"userId,omitempty"`
	Status string `json:"status"`
}

// GetPresence asks for the presence of up to 100 users.
type GetPresence struct {
	UserIDs []string `json:"userIds"`
}
