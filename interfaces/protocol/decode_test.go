package protocol

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		want  Command
	}{
		{
			name:  "send_message with requestId",
			frame: `{"type":"send_message","requestId":"r-17","payload":{"channelId":"c1","body":"こんにちは","clientMessageId":"9b1d"}}`,
			want: Command{Type: TypeSendMessage, RequestID: "r-17", Payload: SendMessage{
				ChannelID: "c1", Body: "こんにちは", ClientMessageID: "9b1d",
			}},
		},
		{
			name:  "body too long is not a decode error",
			frame: `{"type":"send_message","payload":{"channelId":"c1","body":"` + strings.Repeat("x", 1001) + `","clientMessageId":""}}`,
			want: Command{Type: TypeSendMessage, Payload: SendMessage{
				ChannelID: "c1", Body: strings.Repeat("x", 1001),
			}},
		},
		{
			name:  "create_channel group with name",
			frame: `{"type":"create_channel","payload":{"channelType":"group","name":"team","memberIds":["u1","u2"]}}`,
			want: Command{Type: TypeCreateChannel, Payload: CreateChannel{
				ChannelType: "group", Name: "team", MemberIDs: []string{"u1", "u2"},
			}},
		},
		{
			name:  "create_channel with empty member list and null name",
			frame: `{"type":"create_channel","payload":{"channelType":"group","name":null,"memberIds":[]}}`,
			want:  Command{Type: TypeCreateChannel, Payload: CreateChannel{ChannelType: "group", MemberIDs: []string{}}},
		},
		{
			name:  "create_channel of a group of one without memberIds",
			frame: `{"type":"create_channel","payload":{"channelType":"group"}}`,
			want:  Command{Type: TypeCreateChannel, Payload: CreateChannel{ChannelType: "group"}},
		},
		{
			name:  "get_messages with afterSeq and limit",
			frame: `{"type":"get_messages","requestId":"r","payload":{"channelId":"c1","afterSeq":40,"limit":50}}`,
			want: Command{Type: TypeGetMessages, RequestID: "r", Payload: GetMessages{
				ChannelID: "c1", AfterSeq: ptr[int64](40), Limit: ptr(50),
			}},
		},
		{
			name:  "get_messages negative limit is a domain matter",
			frame: `{"type":"get_messages","payload":{"channelId":"c1","beforeSeq":0,"limit":-3}}`,
			want: Command{Type: TypeGetMessages, Payload: GetMessages{
				ChannelID: "c1", BeforeSeq: ptr[int64](0), Limit: ptr(-3),
			}},
		},
		{
			name:  "get_messages without optional fields",
			frame: `{"type":"get_messages","payload":{"channelId":"c1"}}`,
			want:  Command{Type: TypeGetMessages, Payload: GetMessages{ChannelID: "c1"}},
		},
		{
			name:  "get_channel with null requestId",
			frame: `{"requestId":null,"payload":{"channelId":"c1"},"type":"get_channel"}`,
			want:  Command{Type: TypeGetChannel, Payload: GetChannel{ChannelID: "c1"}},
		},
		{
			name:  "get_users",
			frame: `{"type":"get_users","payload":{"userIds":["a","b"]}}`,
			want:  Command{Type: TypeGetUsers, Payload: GetUsers{UserIDs: []string{"a", "b"}}},
		},
		{
			name:  "join_channel",
			frame: ` {"type":"join_channel","payload":{"channelId":"c1"}} `,
			want:  Command{Type: TypeJoinChannel, Payload: JoinChannel{ChannelID: "c1"}},
		},
		{
			name:  "leave_channel",
			frame: `{"type":"leave_channel","payload":{"channelId":"c1"}}`,
			want:  Command{Type: TypeLeaveChannel, Payload: LeaveChannel{ChannelID: "c1"}},
		},
		{
			name:  "heartbeat without userId",
			frame: `{"type":"heartbeat","payload":{"status":"online"}}`,
			want:  Command{Type: TypeHeartbeat, Payload: Heartbeat{Status: "online"}},
		},
		{
			name:  "get_presence",
			frame: `{"type":"get_presence","payload":{"userIds":[]}}`,
			want:  Command{Type: TypeGetPresence, Payload: GetPresence{UserIDs: []string{}}},
		},
		{
			name:  "requestId of 64 characters",
			frame: `{"type":"get_channel","requestId":"` + strings.Repeat("é", 64) + `","payload":{"channelId":"c"}}`,
			want:  Command{Type: TypeGetChannel, RequestID: strings.Repeat("é", 64), Payload: GetChannel{ChannelID: "c"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.frame))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name      string
		frame     string
		requestID string
		typ       string
		message   string
	}{
		{name: "not JSON", frame: `hello`, message: "frame is not valid JSON"},
		{name: "empty", frame: ``, message: "frame is not valid JSON"},
		{name: "trailing data", frame: `{"type":"get_channel"} {}`, message: "frame is not valid JSON"},
		{name: "array", frame: `[1,2]`, message: "frame must be a JSON object"},
		{name: "string", frame: `"send_message"`, message: "frame must be a JSON object"},
		{name: "missing type", frame: `{"requestId":"r1","payload":{}}`, requestID: "r1", message: "type is required"},
		{name: "null type", frame: `{"type":null,"requestId":"r1","payload":{}}`, requestID: "r1", message: "type is required"},
		{name: "type not a string", frame: `{"type":7,"requestId":"r1"}`, requestID: "r1", message: "type must be a string"},
		{name: "unknown type", frame: `{"type":"fly","requestId":"r1","payload":{}}`, requestID: "r1", typ: "fly", message: `unknown type "fly"`},
		{name: "server type from client", frame: `{"type":"ready","payload":{}}`, typ: "ready", message: `unknown type "ready"`},
		{name: "requestId a number", frame: `{"type":"get_channel","requestId":17,"payload":{"channelId":"c"}}`, typ: "get_channel", message: "requestId must be a string"},
		{name: "requestId too long", frame: `{"type":"get_channel","requestId":"` + strings.Repeat("r", 65) + `","payload":{"channelId":"c"}}`, typ: "get_channel", message: "requestId must be at most 64 characters"},
		{name: "unknown envelope field", frame: `{"type":"get_channel","requestId":"r","id":1,"payload":{"channelId":"c"}}`, requestID: "r", typ: "get_channel", message: `frame has unknown field "id"`},
		{name: "duplicate envelope field", frame: `{"type":"get_channel","type":"send_message","payload":{}}`, message: `frame has duplicate field "type"`},
		{name: "missing payload", frame: `{"type":"get_channel","requestId":"r"}`, requestID: "r", typ: "get_channel", message: "payload is required"},
		{name: "null payload", frame: `{"type":"get_channel","payload":null}`, typ: "get_channel", message: "payload is required"},
		{name: "payload not an object", frame: `{"type":"get_channel","payload":"c1"}`, typ: "get_channel", message: "payload must be a JSON object"},
		{name: "missing required field", frame: `{"type":"send_message","requestId":"r","payload":{"channelId":"c","clientMessageId":"m"}}`, requestID: "r", typ: "send_message", message: "payload.body is required"},
		{name: "required field null", frame: `{"type":"send_message","payload":{"channelId":"c","body":null,"clientMessageId":"m"}}`, typ: "send_message", message: "payload.body is required"},
		{name: "body a number", frame: `{"type":"send_message","payload":{"channelId":"c","body":5,"clientMessageId":"m"}}`, typ: "send_message", message: "payload.body must be a string"},
		{name: "unknown payload field", frame: `{"type":"get_messages","payload":{"channelId":"c","beforSeq":3}}`, typ: "get_messages", message: `payload has unknown field "beforSeq"`},
		{name: "field name in other case", frame: `{"type":"get_channel","payload":{"ChannelId":"c"}}`, typ: "get_channel", message: `payload has unknown field "ChannelId"`},
		{name: "duplicate payload field", frame: `{"type":"get_channel","payload":{"channelId":"a","channelId":"b"}}`, typ: "get_channel", message: `payload has duplicate field "channelId"`},
		{name: "fractional afterSeq", frame: `{"type":"get_messages","payload":{"channelId":"c","afterSeq":1.5}}`, typ: "get_messages", message: "payload.afterSeq must be an integer"},
		{name: "exponent limit", frame: `{"type":"get_messages","payload":{"channelId":"c","limit":1e2}}`, typ: "get_messages", message: "payload.limit must be an integer"},
		{name: "afterSeq a string", frame: `{"type":"get_messages","payload":{"channelId":"c","afterSeq":"4"}}`, typ: "get_messages", message: "payload.afterSeq must be an integer"},
		{name: "afterSeq overflows", frame: `{"type":"get_messages","payload":{"channelId":"c","afterSeq":99999999999999999999}}`, typ: "get_messages", message: "payload.afterSeq must be an integer"},
		{name: "memberIds not an array", frame: `{"type":"create_channel","payload":{"channelType":"direct","memberIds":"u2"}}`, typ: "create_channel", message: "payload.memberIds must be an array of strings"},
		{name: "memberIds with a number", frame: `{"type":"create_channel","payload":{"channelType":"direct","memberIds":["u2",3]}}`, typ: "create_channel", message: "payload.memberIds must be an array of strings"},
		{name: "memberIds with null", frame: `{"type":"create_channel","payload":{"channelType":"direct","memberIds":[null]}}`, typ: "create_channel", message: "payload.memberIds must be an array of strings"},
		{name: "missing channelType", frame: `{"type":"create_channel","payload":{"memberIds":[]}}`, typ: "create_channel", message: "payload.channelType is required"},
		{name: "heartbeat without status", frame: `{"type":"heartbeat","payload":{}}`, typ: "heartbeat", message: "payload.status is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.frame))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error = %v, want *DecodeError", err)
			}
			if got := ErrorCode(err); got != CodeBadRequest {
				t.Errorf("ErrorCode = %q, want %q", got, CodeBadRequest)
			}
			if de.RequestID != tt.requestID || de.Type != tt.typ {
				t.Errorf("echo = (%q, %q), want (%q, %q)", de.RequestID, de.Type, tt.requestID, tt.typ)
			}
			if !strings.HasPrefix(err.Error(), tt.message) {
				t.Errorf("message = %q, want prefix %q", err.Error(), tt.message)
			}
		})
	}
}
