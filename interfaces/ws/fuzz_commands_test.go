package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/coder/websocket"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// FuzzCommandPath drives any frame through the whole command path a
// session runs: decode, validation in the use cases, the in-memory store,
// the reply. Whatever the frame, it must get exactly one reply frame that
// is valid JSON, echo no requestId it was not sent, never answer
// `internal`, and log no error.
func FuzzCommandPath(f *testing.F) {
	for _, seed := range []string{
		`{"type":"create_channel","requestId":"r","payload":{"channelType":"group","name":"g","memberIds":["u2"]}}`,
		`{"type":"create_channel","payload":{"channelType":"direct","memberIds":["u2","u2","u1"]}}`,
		`{"type":"send_message","requestId":"r","payload":{"channelId":"c1","body":"hi","clientMessageId":"k"}}`,
		`{"type":"send_message","requestId":"r","payload":{"channelId":"c1","body":"\u200b","clientMessageId":"k"}}`,
		`{"type":"get_messages","payload":{"channelId":"c1","afterSeq":0,"limit":100}}`,
		`{"type":"get_messages","payload":{"channelId":"c1","beforeSeq":3,"afterSeq":1}}`,
		`{"type":"get_channel","payload":{"channelId":"c1"}}`,
		`{"type":"get_users","payload":{"userIds":["u1","u2","ghost"]}}`,
		`{"type":"join_channel","payload":{"channelId":"c1"}}`,
		`{"type":"leave_channel","payload":{"channelId":"c2"}}`,
		`{"type":"heartbeat","payload":{"userId":"u2","status":"online"}}`,
		`{"type":"get_presence","payload":{"userIds":["u\u0000"]}}`,
		`{"type":"mark_read","requestId":"r","payload":{"channelId":"c1","seq":5}}`,
		`{"type":"typing","requestId":"r","payload":{"channelId":"c1"}}`,
		`{"type":"send_message","payload":{"channelId":"c1","body":"a\u0000","clientMessageId":"k"}}`,
		`not json`, `{}`, `[]`, `{"type":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		store := newMemStore("u1", "u2")
		store.addChannel(domain.ChannelGroup, "u1", "u2")
		store.addChannel(domain.ChannelDirect, "u1", "u2")
		var logs bytes.Buffer
		fr := pipelineFrames(t, store, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError})))
		s := newSession(domain.User{ID: "u1"}, 64)

		fr.handle(context.Background(), s, websocket.MessageText, data)
		s.pipe.wait()

		replies := s.conn.Drain()
		if len(replies) != 1 {
			t.Fatalf("frame %q got %d replies, want 1", data, len(replies))
		}
		var reply struct {
			Type      string `json:"type"`
			RequestID string `json:"requestId"`
			Payload   struct {
				Code string `json:"code"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(replies[0], &reply); err != nil {
			t.Fatalf("reply %q to %q is not JSON: %v", replies[0], data, err)
		}
		if reply.Type == protocol.TypeError && reply.Payload.Code == protocol.CodeInternal {
			t.Fatalf("frame %q answered internal: %s", data, replies[0])
		}
		if reply.RequestID != "" && !bytes.Contains(data, []byte(`"requestId"`)) {
			t.Fatalf("reply %s invents a requestId for %q", replies[0], data)
		}
		if logs.Len() > 0 {
			t.Fatalf("frame %q logged an error: %s", data, logs.String())
		}
	})
}
