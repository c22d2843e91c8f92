package ws

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
	"github.com/chatd/chat/interfaces/wsconn"
	"github.com/chatd/chat/interfaces/wsconn/wsconntest"
)

func TestDeliveredBatchLeavesInOneWritePerSession(t *testing.T) {
	t.Parallel()
	h := NewHub(slog.New(slog.DiscardHandler))
	sessions := make(chan *session, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := newSession(domain.User{ID: "u2"}, DefaultQueueSize)
		sessions <- s
		h.register(s)
		if err := s.conn.Upgrade(w, r, wsconn.Options{WriteTimeout: ioTimeout}); err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		if !h.activate(s, []domain.Channel{{ID: "c1"}}, readyOf) {
			t.Error("activate failed")
			return
		}
		go s.conn.Serve(func(context.Context, websocket.MessageType, []byte) {})
	}))
	counter := &wsconntest.WriteCounter{Listener: srv.Listener}
	srv.Listener = counter
	srv.Start()
	t.Cleanup(srv.Close)
	conn, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	c := &client{t: t, conn: conn}
	c.expect(protocol.TypeReady, "")
	// The flusher that wrote ready may still be running; one that picks
	// up the first event alone would split the batch for a reason that is
	// not the hub's.
	s := <-sessions
	for deadline := time.Now().Add(ioTimeout); !s.conn.Idle(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the connection's writer never went idle after ready")
		}
	}
	before := counter.Writes()

	deliver(t, h, msg("c1", 1, ""), msg("c1", 2, ""), msg("c1", 3, ""))
	for seq := range int64(3) {
		f := c.expect(protocol.TypeMessageReceived, "")
		var m protocol.Message
		f.decode(&m)
		if m.Seq != seq+1 {
			t.Fatalf("frame %d has seq %d", seq, m.Seq)
		}
	}
	if n := counter.Writes() - before; n != 1 {
		t.Errorf("three events took %d writes, want 1", n)
	}
}

func TestBurstReachesTheClientInOrderThroughACorkedConnection(t *testing.T) {
	t.Parallel()
	store := newMemStore("reader")
	group := store.addChannel(domain.ChannelGroup, "g", "reader")
	env := newEnv(t, store, Config{})
	reader := env.connect("reader")

	// One delivery of many events queues many frames at once, which the
	// writer sends as batches.
	const n = 200
	events := make([]domain.Event, n)
	for i := range events {
		seq := int64(i + 1)
		events[i] = domain.Event{Type: domain.EventMessageCreated, ChannelID: group.ID,
			Message: &domain.Message{ID: "m", ChannelID: group.ID, SenderID: "x", Body: "burst", Seq: seq}}
	}
	deliver(t, env.hub, events...)
	for i := range n {
		var got protocol.Message
		reader.expect(protocol.TypeMessageReceived, "").decode(&got)
		if got.Seq != int64(i+1) {
			t.Fatalf("frame %d has seq %d, want %d", i, got.Seq, i+1)
		}
	}
}
