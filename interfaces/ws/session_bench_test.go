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
)

// BenchmarkWriterBurst is the writer's share of group fan-out: each op
// queues a burst of 50 frames for one session and reads them back over
// loopback TCP with a plain client, so ns/op includes the client's reads.
func BenchmarkWriterBurst(b *testing.B) {
	sessions := make(chan *session, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := newSession(domain.User{ID: "bench"}, DefaultQueueSize)
		conn, err := websocket.Accept(s.corking(w), r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			b.Errorf("Accept: %v", err)
			return
		}
		s.attach(conn)
		sessions <- s
		s.serve(context.Background(), conn, time.Minute, func(context.Context, *session, websocket.MessageType, []byte) {}, slog.New(slog.DiscardHandler))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer client.CloseNow()
	s := <-sessions
	defer s.close(1000, "")
	frame := []byte(`{"type":"message_received","payload":{"id":"0b6c8a5e-1f7e-4a59-9d0e-3c1e4f2a7b10","channelId":"6f1d2c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b","senderId":"u-sender","clientMessageId":"c-1","body":"a message of fan-out","seq":1,"status":"sent","createdAt":"2026-11-22T23:30:00.000Z"}}`)
	const burst = 50
	b.ResetTimer()
	for b.Loop() {
		for range burst {
			if !s.enqueue(frame) {
				b.Fatal("queue full")
			}
		}
		for range burst {
			if _, _, err := client.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}
