package ws

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

func TestBadFramesKeepConnectionOpen(t *testing.T) {
	store := newMemStore("u1")
	group := store.addChannel(domain.ChannelGroup, "u1")
	env := newEnv(t, store, Config{})
	c := env.connect("u1")

	c.sendRaw(websocket.MessageText, []byte("garbage"))
	c.expectError("", "", protocol.CodeBadRequest)

	c.sendRaw(websocket.MessageBinary, []byte(`{"type":"get_channel","payload":{"channelId":"c1"}}`))
	c.expectError("", "", protocol.CodeBadRequest)

	c.sendRaw(websocket.MessageText, []byte(`{"type":"teleport","requestId":"r1","payload":{}}`))
	c.expectError("r1", "teleport", protocol.CodeBadRequest)

	c.sendRaw(websocket.MessageText, []byte(`{"type":"send_message","requestId":"r2","payload":{"channelId":"c1","body":5,"clientMessageId":"m"}}`))
	c.expectError("r2", protocol.TypeSendMessage, protocol.CodeBadRequest)

	c.sendRaw(websocket.MessageText, []byte(`{"type":"get_messages","requestId":"r3","payload":{"channelId":"c1","afterSeq":1.5}}`))
	c.expectError("r3", protocol.TypeGetMessages, protocol.CodeBadRequest)

	c.sendRaw(websocket.MessageText, []byte(`{"type":"heartbeat","requestId":"r4","payload":{}}`))
	c.expectError("r4", protocol.TypeHeartbeat, protocol.CodeBadRequest)

	c.send(protocol.TypeGetChannel, "r5", protocol.GetChannel{ChannelID: group.ID})
	c.expect(protocol.TypeChannel, "r5")
}

func TestFrameSizeLimit(t *testing.T) {
	store := newMemStore("u1")
	env := newEnv(t, store, Config{})
	c := env.connect("u1")

	// Exactly 16 KiB is allowed.
	prefix, suffix := `{"type":"get_channel","requestId":"big","payload":{"channelId":"`, `"}}`
	frame := prefix + strings.Repeat("x", protocol.MaxFrameBytes-len(prefix)-len(suffix)) + suffix
	if len(frame) != protocol.MaxFrameBytes {
		t.Fatalf("test frame is %d bytes", len(frame))
	}
	c.sendRaw(websocket.MessageText, []byte(frame))
	c.expectError("big", protocol.TypeGetChannel, protocol.CodeNotFound)

	// One byte more closes the connection with 1009.
	c.sendRaw(websocket.MessageText, []byte(frame+" "))
	c.expectClose(protocol.CloseMessageTooBig)
}

func TestErrorsMapToCodes(t *testing.T) {
	store := newMemStore("u1", "u2")
	theirs := store.addChannel(domain.ChannelDirect, "u2", "u3")
	mine := store.addChannel(domain.ChannelGroup, "u1")
	env := newEnv(t, store, Config{})
	c := env.connect("u1")

	c.send(protocol.TypeSendMessage, "r1", protocol.SendMessage{ChannelID: theirs.ID, Body: "hi", ClientMessageID: "k1"})
	c.expectError("r1", protocol.TypeSendMessage, protocol.CodeForbidden)

	c.send(protocol.TypeSendMessage, "r2", protocol.SendMessage{ChannelID: mine.ID, Body: strings.Repeat("あ", 1001), ClientMessageID: "k2"})
	if e := c.expectError("r2", protocol.TypeSendMessage, protocol.CodeValidationFailed); e.Message != "body exceeds 1000 characters" {
		t.Errorf("message = %q", e.Message)
	}

	c.send(protocol.TypeGetMessages, "r3", protocol.GetMessages{ChannelID: mine.ID, Limit: ptr(101)})
	c.expectError("r3", protocol.TypeGetMessages, protocol.CodeValidationFailed)

	c.send(protocol.TypeCreateChannel, "r4", protocol.CreateChannel{ChannelType: "direct", MemberIDs: []string{"ghost"}})
	c.expectError("r4", protocol.TypeCreateChannel, protocol.CodeNotFound)

	c.send(protocol.TypeJoinChannel, "r5", protocol.JoinChannel{ChannelID: theirs.ID})
	c.expectError("r5", protocol.TypeJoinChannel, protocol.CodeForbidden)

	store.fail("AppendMessage", domain.ErrUnavailable)
	c.send(protocol.TypeSendMessage, "r6", protocol.SendMessage{ChannelID: mine.ID, Body: "hi", ClientMessageID: "k3"})
	c.expectError("r6", protocol.TypeSendMessage, protocol.CodeUnavailable)
}

func TestInternalErrorIsGenericAndLoggedOnce(t *testing.T) {
	store := newMemStore("u1")
	mine := store.addChannel(domain.ChannelGroup, "u1")
	env := newEnv(t, store, Config{})
	c := env.connect("u1")
	store.fail("Messages", errors.New("pq: relation \"messages\" does not exist"))

	c.send(protocol.TypeGetMessages, "r1", protocol.GetMessages{ChannelID: mine.ID})
	e := c.expectError("r1", protocol.TypeGetMessages, protocol.CodeInternal)
	if e.Message != "internal error" {
		t.Errorf("client saw %q, want a generic message", e.Message)
	}
	logs := env.logs.String()
	if n := strings.Count(logs, "command failed"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs)
	}
	for _, want := range []string{"user=u1", "session=" + c.ready.SessionID, "command=get_messages", "pq: relation"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestHistoryPaging(t *testing.T) {
	store := newMemStore("u1")
	mine := store.addChannel(domain.ChannelGroup, "u1")
	env := newEnv(t, store, Config{})
	c := env.connect("u1")
	for i := 1; i <= 3; i++ {
		rid := fmt.Sprintf("s%d", i)
		c.send(protocol.TypeSendMessage, rid, protocol.SendMessage{ChannelID: mine.ID, Body: "hi", ClientMessageID: rid})
		c.expect(protocol.TypeMessageSent, rid)
	}

	c.send(protocol.TypeGetMessages, "h", protocol.GetMessages{ChannelID: mine.ID, AfterSeq: ptr[int64](1), Limit: ptr(1)})
	var page protocol.Messages
	c.expect(protocol.TypeMessages, "h").decode(&page)
	if len(page.Messages) != 1 || page.Messages[0].Seq != 2 || !page.HasMore {
		t.Errorf("page = %+v, want seq 2 and hasMore", page)
	}
}

func ptr[T any](v T) *T { return &v }
