package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/coder/websocket"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// gatedChat is a ChatService whose history reads wait for a gate, so a
// test can hold commands in flight.
type gatedChat struct {
	ChatService
	started chan struct{}
	gate    chan struct{}
}

func (g *gatedChat) Messages(ctx context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	g.started <- struct{}{}
	select {
	case <-g.gate:
		return []domain.Message{}, false, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// pipelineFrames is the command path of a session over store, without a
// network: the test hands it frames and drains the session's queue.
func pipelineFrames(t testing.TB, store *memStore, log *slog.Logger, wrap ...func(ChatService) ChatService) *frames {
	t.Helper()
	hub := NewHub(log)
	presenceService := presence.NewService(newMemPresence(store), presence.NewTracker(0), &fakeClock{now: epoch}, nil, presence.Config{NodeID: "n1"})
	var chatService ChatService = chat.NewService(store, allowAll{}, nil)
	for _, w := range wrap {
		chatService = w(chatService)
	}
	return &frames{commands: &commands{chat: chatService, presence: presenceService, typing: typingOrNone(nil), hub: hub}, hub: hub, log: log, metrics: noMetrics{}}
}

type queuedReply struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId"`
	Payload   struct {
		Code         string `json:"code"`
		RetryAfterMs int64  `json:"retryAfterMs"`
		Seq          int64  `json:"seq"`
	} `json:"payload"`
}

func takeReplies(t *testing.T, s *session) map[string]queuedReply {
	t.Helper()
	out := map[string]queuedReply{}
	for _, frame := range s.conn.Drain() {
		var r queuedReply
		if err := json.Unmarshal(frame, &r); err != nil {
			t.Fatalf("reply %q: %v", frame, err)
		}
		out[r.RequestID] = r
	}
	return out
}

// TestPipelineBoundsCommandsInFlight: 64 commands wait on the store at
// once; the 65th is refused at once with unavailable and a retry hint,
// and a heartbeat is still answered while the others wait.
func TestPipelineBoundsCommandsInFlight(t *testing.T) {
	gated := &gatedChat{started: make(chan struct{}, maxInFlight), gate: make(chan struct{})}
	fr := pipelineFrames(t, newMemStore("u1"), slog.New(slog.DiscardHandler), func(c ChatService) ChatService {
		gated.ChatService = c
		return gated
	})
	s := newSession(domain.User{ID: "u1"}, 1024)
	ctx := context.Background()
	for i := range maxInFlight {
		fr.handle(ctx, s, websocket.MessageText, []byte(fmt.Sprintf(`{"type":"get_messages","requestId":"g%d","payload":{"channelId":"c1"}}`, i)))
	}
	for range maxInFlight {
		<-gated.started
	}
	fr.handle(ctx, s, websocket.MessageText, []byte(`{"type":"get_messages","requestId":"over","payload":{"channelId":"c1"}}`))
	fr.handle(ctx, s, websocket.MessageText, []byte(`{"type":"heartbeat","requestId":"hb","payload":{"status":"online"}}`))
	early := takeReplies(t, s)
	if r := early["over"]; r.Type != protocol.TypeError || r.Payload.Code != protocol.CodeUnavailable || r.Payload.RetryAfterMs <= 0 {
		t.Fatalf("the 65th command got %+v, want unavailable with retryAfterMs", r)
	}
	if r := early["hb"]; r.Type != protocol.TypeHeartbeatAck {
		t.Fatalf("a heartbeat behind 64 waiting commands got %+v, want its ack at once", r)
	}
	if len(early) != 2 {
		t.Fatalf("replies before the store answered: %v", early)
	}
	close(gated.gate)
	s.pipe.wait()
	late := takeReplies(t, s)
	for i := range maxInFlight {
		if r := late[fmt.Sprint("g", i)]; r.Type != protocol.TypeMessages {
			t.Fatalf("g%d got %+v, want messages", i, r)
		}
	}
}

// TestPipelinedSendsKeepFrameOrder: sends of one connection to one channel,
// pipelined, take seqs in frame order.
func TestPipelinedSendsKeepFrameOrder(t *testing.T) {
	store := newMemStore("u1", "u2")
	group := store.addChannel(domain.ChannelGroup, "u1", "u2")
	fr := pipelineFrames(t, store, slog.New(slog.DiscardHandler))
	s := newSession(domain.User{ID: "u1"}, 1024)
	const n = 60
	for i := 1; i <= n; i++ {
		fr.handle(context.Background(), s, websocket.MessageText, []byte(fmt.Sprintf(
			`{"type":"send_message","requestId":"%d","payload":{"channelId":%q,"body":"m","clientMessageId":"k%d"}}`, i, group.ID, i)))
	}
	s.pipe.wait()
	replies := takeReplies(t, s)
	for i := 1; i <= n; i++ {
		if r := replies[fmt.Sprint(i)]; r.Type != protocol.TypeMessageSent || r.Payload.Seq != int64(i) {
			t.Fatalf("send %d got %+v, want message_sent with seq %d", i, r, i)
		}
	}
}
