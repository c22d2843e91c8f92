package protocol

import (
	"encoding/json"
	"fmt"
)

// MaxRequestIDLength is the longest requestId a client may send, counted in
// characters (Unicode code points).
const MaxRequestIDLength = 64

// The frame types a client may send.
const (
	TypeCreateChannel = "create_channel"
	TypeSendMessage   = "send_message"
	TypeGetMessages   = "get_messages"
	TypeGetChannel    = "get_channel"
	TypeGetUsers      = "get_users"
	TypeJoinChannel   = "join_channel"
	TypeLeaveChannel  = "leave_channel"
	TypeHeartbeat     = "heartbeat"
	TypeGetPresence   = "get_presence"
	TypeMarkRead      = "mark_read"
	TypeTyping        = "typing" // also the event the other members receive
)

// The frame types the server sends: direct replies to commands (which echo
// the command's requestId) and pushed events (which carry none).
const (
	TypeReady           = "ready"
	TypeChannelCreated  = "channel_created"
	TypeMessageSent     = "message_sent"
	TypeMessageReceived = "message_received"
	TypeMessages        = "messages"
	TypeChannel         = "channel"
	TypeUsers           = "users"
	TypeChannelJoined   = "channel_joined"
	TypeChannelLeft     = "channel_left"
	TypeMemberJoined    = "member_joined"
	TypeMemberLeft      = "member_left"
	TypeHeartbeatAck    = "heartbeat_ack"
	TypePresence        = "presence"
	TypePresenceUpdated = "presence_updated"
	TypeReadMarked      = "read_marked"
	TypeReadUpdated     = "read_updated"
	TypeError           = "error"
)

// Frame is the envelope of every message in both directions. Payload is one
// of the payload structs of this package.
type Frame struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId,omitempty"`
	Payload   any    `json:"payload"`
}

// Encode builds the JSON text of one frame. requestID is empty for pushed
// events.
func Encode(typ, requestID string, payload any) ([]byte, error) {
	if ack, ok := payload.(HeartbeatAck); ok && typ == TypeHeartbeatAck {
		if data, ok := appendHeartbeatAck(make([]byte, 0, 96), requestID, ack); ok {
			return data, nil
		}
	}
	data, err := json.Marshal(Frame{Type: typ, RequestID: requestID, Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("encode %s frame: %w", typ, err)
	}
	return data, nil
}

// Command is a decoded client frame. Payload holds the value type of the
// command (CreateChannel, SendMessage, ...), so a handler switches on it
// with a type switch and never sees raw JSON.
type Command struct {
	Type      string
	RequestID string
	Payload   any
}

// Encode writes the command back as a frame; clients written in Go (the
// load generator, tests) use it to send commands.
func (c Command) Encode() ([]byte, error) {
	return Encode(c.Type, c.RequestID, c.Payload)
}
