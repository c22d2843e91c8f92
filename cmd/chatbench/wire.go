package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The frames below are chatbench's own reading of docs/protocol.md. It does not
// import the server's protocol package on purpose: a field renamed on the
// server must break the benchmark the way it would break any client.

// inFrame is a server frame with its payload still raw. Payload (and msg)
// are views into the read buffer while a frameHandler runs, valid only
// during the call; replies handed to a waiting call own a copy.
type inFrame struct {
	Type      string          `json:"type"`
	RequestID string          `json:"requestId,omitempty"`
	Payload   json.RawMessage `json:"payload"`

	// msg is the payload of a message_received or message_sent read by
	// the fast path, when hasMsg; otherwise the handler decodes Payload.
	msg    wireMessage
	hasMsg bool
}

// outFrame is a command.
type outFrame struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId,omitempty"`
	Payload   any    `json:"payload"`
}

type readyPayload struct {
	UserID              string         `json:"userId"`
	SessionID           string         `json:"sessionId"`
	HeartbeatIntervalMs int64          `json:"heartbeatIntervalMs"`
	PresenceTimeoutMs   int64          `json:"presenceTimeoutMs"`
	Channels            []readyChannel `json:"channels"`
}

type readyChannel struct {
	ChannelID   string `json:"channelId"`
	ChannelType string `json:"channelType"`
	LastSeq     int64  `json:"lastSeq"`
}

type createChannelPayload struct {
	ChannelType string   `json:"channelType"`
	Name        string   `json:"name,omitempty"`
	MemberIDs   []string `json:"memberIds"`
}

type channelCreatedPayload struct {
	ChannelID string   `json:"channelId"`
	MemberIDs []string `json:"memberIds"`
}

type sendMessagePayload struct {
	ChannelID       string `json:"channelId"`
	Body            string `json:"body"`
	ClientMessageID string `json:"clientMessageId"`
}

// messagePayload reads message_sent and message_received (and the items of
// messages); only the fields the checks need.
type messagePayload struct {
	ChannelID       string `json:"channelId"`
	ClientMessageID string `json:"clientMessageId"`
	SenderID        string `json:"senderId"`
	Body            string `json:"body"`
	Seq             int64  `json:"seq"`
}

type getMessagesPayload struct {
	ChannelID string `json:"channelId"`
	AfterSeq  int64  `json:"afterSeq"`
	Limit     int    `json:"limit"`
}

type messagesPayload struct {
	ChannelID string           `json:"channelId"`
	Messages  []messagePayload `json:"messages"`
	HasMore   bool             `json:"hasMore"`
}

type heartbeatPayload struct {
	Status string `json:"status"`
}

// heartbeatFrame encodes a heartbeat the way json.Marshal encodes an
// outFrame with a heartbeatPayload, without reflection: presence sends
// hundreds of thousands a second. id and status must need no escaping,
// which chatbench's own ids and statuses never do.
func heartbeatFrame(id, status string) []byte {
	return appendHeartbeatFrame(make([]byte, 0, 64+len(id)+len(status)), id, status)
}

// appendHeartbeatFrame appends heartbeatFrame's bytes to b.
func appendHeartbeatFrame(b []byte, id, status string) []byte {
	b = append(b, `{"type":"heartbeat","requestId":"`...)
	b = append(b, id...)
	b = append(b, `","payload":{"status":"`...)
	b = append(b, status...)
	return append(b, `"}}`...)
}

type presenceUpdatedPayload struct {
	UserID string `json:"userId"`
	Status string `json:"status"`
}

type errorPayload struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Command string `json:"command"`
}

// decodePayload unmarshals a frame's payload, naming the frame on failure.
func decodePayload(f inFrame, v any) error {
	if err := json.Unmarshal(f.Payload, v); err != nil {
		return fmt.Errorf("decode %s payload: %w", f.Type, err)
	}
	return nil
}

// stampBody writes the send instant into a message body as
// "<unix nanoseconds>|" and pads it to size characters. Sender and
// receiver read the same clock (one machine), so the receiver's now minus
// the stamp is the send-to-receive latency.
func stampBody(at time.Time, size int) string {
	stamp := strconv.FormatInt(at.UnixNano(), 10) + "|"
	if pad := size - len(stamp); pad > 0 {
		return stamp + strings.Repeat("x", pad)
	}
	return stamp
}

// bodyStamp reads the instant stampBody wrote, from a body as a string or
// as the frame's bytes (without converting them, which would allocate).
func bodyStamp[B ~string | ~[]byte](body B) (time.Time, bool) {
	for i := range len(body) {
		if body[i] == '|' {
			var digits [20]byte
			if i == 0 || i > len(digits) {
				return time.Time{}, false
			}
			for j := range i {
				digits[j] = body[j]
			}
			ns, ok := parseInt64(digits[:i])
			return time.Unix(0, ns), ok
		}
	}
	return time.Time{}, false
}
