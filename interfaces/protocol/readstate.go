package protocol

import "encoding/json"

// Version is the protocol version this server speaks, announced in ready.
// 1.1 added read state (mark_read, read_marked, read_updated) and typing.
const Version = "1.1"

// MarkRead records that the user has read a channel up to Seq.
type MarkRead struct {
	ChannelID string `json:"channelId"`
	Seq       int64  `json:"seq"`
}

// Typing is the command: the user is typing in ChannelID now.
type Typing struct {
	ChannelID string `json:"channelId"`
}

// TypingEvent is what the channel's other members receive, under the same
// frame type as the command.
type TypingEvent struct {
	ChannelID string `json:"channelId"`
	UserID    string `json:"userId"`
}

// ReadMarked is the reply to mark_read: the stored position afterwards,
// which may be higher than the seq asked (it never goes down) or lower
// (clamped to the channel's lastSeq).
type ReadMarked struct {
	ChannelID   string `json:"channelId"`
	LastReadSeq int64  `json:"lastReadSeq"`
}

// ReadUpdated tells every other connection of every member that a user's
// read position grew.
type ReadUpdated struct {
	ChannelID   string `json:"channelId"`
	UserID      string `json:"userId"`
	LastReadSeq int64  `json:"lastReadSeq"`
}

// ReadPosition is one member's read position in Channel.ReadState.
type ReadPosition struct {
	UserID      string `json:"userId"`
	LastReadSeq int64  `json:"lastReadSeq"`
}

func decodeMarkRead(raw json.RawMessage) (any, error) {
	var p MarkRead
	var seq *int64
	err := decodeFields(raw,
		stringField("channelId", true, &p.ChannelID),
		int64Field("seq", true, &seq),
	)
	if seq != nil {
		p.Seq = *seq
	}
	return p, err
}

func decodeTyping(raw json.RawMessage) (any, error) {
	var p Typing
	err := decodeFields(raw, stringField("channelId", true, &p.ChannelID))
	return p, err
}
