package ws

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

func TestDeliveredBatchLeavesInOneWritePerSession(t *testing.T) {
	t.Parallel()
	h := NewHub(slog.New(slog.DiscardHandler))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := newSession(domain.User{ID: "u2"}, DefaultQueueSize)
		h.register(s)
		conn, err := websocket.Accept(s.corking(w), r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		s.attach(conn, ioTimeout, slog.New(slog.DiscardHandler))
		if !h.activate(s, []domain.Channel{{ID: "c1"}}, readyOf) {
			t.Error("activate failed")
			return
		}
		go s.serve(func(context.Context, *session, websocket.MessageType, []byte) {})
	}))
	counter := &writeCounter{Listener: srv.Listener}
	srv.Listener = counter
	srv.Start()
	t.Cleanup(srv.Close)
	c := dialSession(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	c.expect(protocol.TypeReady, "")
	before := counter.writes.Load()

	deliver(t, h, msg("c1", 1, ""), msg("c1", 2, ""), msg("c1", 3, ""))
	for seq := range int64(3) {
		f := c.expect(protocol.TypeMessageReceived, "")
		var m protocol.Message
		f.decode(&m)
		if m.Seq != seq+1 {
			t.Fatalf("frame %d has seq %d", seq, m.Seq)
		}
	}
	if n := counter.writes.Load() - before; n != 1 {
		t.Errorf("three events took %d writes, want 1", n)
	}
}
