package protocol

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

func TestFormatTime(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*60*60)
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 6, 1, 0, 0, 1, 0, time.UTC), "2025-06-01T00:00:01.000Z"},
		{time.Date(2025, 6, 1, 9, 0, 1, 999_999_999, tokyo), "2025-06-01T00:00:01.999Z"},
		{time.Date(2025, 6, 1, 0, 0, 1, 120_000_000, time.UTC), "2025-06-01T00:00:01.120Z"},
	}
	for _, tt := range tests {
		if got := FormatTime(tt.in); got != tt.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTimeRoundTrip(t *testing.T) {
	in := Time(time.Date(2025, 6, 1, 0, 0, 1, 5_000_000, time.UTC))
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `"2025-06-01T00:00:01.005Z"` {
		t.Fatalf("Marshal = %s", data)
	}
	var out Time
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !time.Time(out).Equal(time.Time(in)) {
		t.Errorf("round trip = %v, want %v", out, in)
	}
	if err := json.Unmarshal([]byte(`"yesterday"`), &out); err == nil {
		t.Error("Unmarshal accepted a non-RFC 3339 time")
	}
}

func TestEncodeWireShapes(t *testing.T) {
	created := time.Date(2025, 6, 1, 0, 0, 1, 0, time.UTC)
	tests := []struct {
		name      string
		typ       string
		requestID string
		payload   any
		want      string
	}{
		{
			name: "direct channel omits name",
			typ:  TypeChannelCreated, requestID: "r1",
			payload: NewChannelCreated(domain.Channel{ID: "c1", Type: domain.ChannelDirect, MemberIDs: []string{"u1", "u2"}, CreatedAt: created}),
			want:    `{"type":"channel_created","requestId":"r1","payload":{"channelId":"c1","channelType":"direct","memberIds":["u1","u2"],"createdAt":"2025-06-01T00:00:01.000Z"}}`,
		},
		{
			name: "message_sent",
			typ:  TypeMessageSent, requestID: "r-17",
			payload: NewMessageSent(domain.Message{ID: "m1", ChannelID: "c1", SenderID: "u1", ClientMessageID: "k", Body: "hi", Seq: 3, CreatedAt: created}),
			want:    `{"type":"message_sent","requestId":"r-17","payload":{"channelId":"c1","messageId":"m1","clientMessageId":"k","senderId":"u1","body":"hi","createdAt":"2025-06-01T00:00:01.000Z","seq":3}}`,
		},
		{
			name:    "event carries no requestId",
			typ:     TypeMessageReceived,
			payload: NewMessage(domain.Message{ID: "m1", ChannelID: "c1", SenderID: "u1", Body: "hi", Seq: 3, CreatedAt: created}),
			want:    `{"type":"message_received","payload":{"channelId":"c1","messageId":"m1","senderId":"u1","body":"hi","createdAt":"2025-06-01T00:00:01.000Z","seq":3}}`,
		},
		{
			name: "empty history is an empty list",
			typ:  TypeMessages, requestID: "r",
			payload: NewMessages("c1", nil, false),
			want:    `{"type":"messages","requestId":"r","payload":{"channelId":"c1","messages":[],"hasMore":false}}`,
		},
		{
			name: "group channel with name",
			typ:  TypeChannel, requestID: "r",
			payload: NewChannel(domain.Channel{ID: "c2", Type: domain.ChannelGroup, Name: "team", LastSeq: 42, CreatedAt: created}),
			want:    `{"type":"channel","requestId":"r","payload":{"channelId":"c2","channelType":"group","name":"team","memberIds":[],"lastSeq":42,"createdAt":"2025-06-01T00:00:01.000Z","lastReadSeq":0,"unreadCount":42,"readState":[]}}`,
		},
		{
			name: "channel with read state",
			typ:  TypeChannel, requestID: "r",
			payload: NewChannel(domain.Channel{ID: "c2", Type: domain.ChannelDirect, MemberIDs: []string{"u1", "u2"}, LastSeq: 42, CreatedAt: created,
				LastReadSeq: 40, ReadState: []domain.ReadPosition{{UserID: "u1", LastReadSeq: 40}, {UserID: "u2", LastReadSeq: 42}}}),
			want: `{"type":"channel","requestId":"r","payload":{"channelId":"c2","channelType":"direct","memberIds":["u1","u2"],"lastSeq":42,"createdAt":"2025-06-01T00:00:01.000Z",` +
				`"lastReadSeq":40,"unreadCount":2,"readState":[{"userId":"u1","lastReadSeq":40},{"userId":"u2","lastReadSeq":42}]}}`,
		},
		{
			name:    "typing event",
			typ:     TypeTyping,
			payload: TypingEvent{ChannelID: "c1", UserID: "u1"},
			want:    `{"type":"typing","payload":{"channelId":"c1","userId":"u1"}}`,
		},
		{
			name: "error",
			typ:  TypeError, requestID: "r-17",
			payload: Error{Code: CodeValidationFailed, Message: "body exceeds 1000 characters", Command: TypeSendMessage},
			want:    `{"type":"error","requestId":"r-17","payload":{"code":"validation_failed","message":"body exceeds 1000 characters","command":"send_message"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.typ, tt.requestID, tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Encode =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
