package ws

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

func TestSlowConsumerIsClosedWhileFastOneKeepsUp(t *testing.T) {
	store := newMemStore("slow", "fast")
	group := store.addChannel(domain.ChannelGroup, "slow", "fast")
	// A long write timeout: the slow client must be closed for its queue,
	// not because a write timed out.
	env := newEnv(t, store, Config{QueueSize: 4, WriteTimeout: time.Minute})
	slow, fast := env.connect("slow"), env.connect("fast")
	body := strings.Repeat("x", 8000)

	// The slow client reads nothing. Its writer blocks once the socket
	// buffers are full, its queue fills, and the hub drops it. The fast
	// client reads each message before the next is delivered, so its queue
	// never holds more than one frame.
	var seq int64
	for env.hub.sessionCount("slow") > 0 {
		seq++
		if seq > 100_000 {
			t.Fatal("slow consumer never dropped")
		}
		deliver(t, env.hub, domain.Event{Type: domain.EventMessageCreated, ChannelID: group.ID,
			Message: &domain.Message{ID: "m", ChannelID: group.ID, SenderID: "x", Body: body, Seq: seq}})
		var got protocol.Message
		fast.expect(protocol.TypeMessageReceived, "").decode(&got)
		if got.Seq != seq {
			t.Fatalf("fast client got seq %d, want %d", got.Seq, seq)
		}
	}

	deliver(t, env.hub, domain.Event{Type: domain.EventMessageCreated, ChannelID: group.ID,
		Message: &domain.Message{ID: "m", ChannelID: group.ID, SenderID: "x", Body: "after", Seq: seq + 1}})
	var got protocol.Message
	fast.expect(protocol.TypeMessageReceived, "").decode(&got)
	if got.Seq != seq+1 {
		t.Fatalf("fast client got seq %d after the drop, want %d", got.Seq, seq+1)
	}

	slow.expectClose(protocol.CloseSlowConsumer)
	if !strings.Contains(env.logs.String(), "closing slow consumer") {
		t.Errorf("slow consumer not logged:\n%s", env.logs.String())
	}
}

func TestShutdownClosesSessionsWith1012(t *testing.T) {
	store := newMemStore("u1", "u2")
	env := newEnv(t, store, Config{})
	a, b := env.connect("u1"), env.connect("u2")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		done <- env.gw.Shutdown(ctx)
	}()
	a.expectClose(protocol.CloseServiceRestart)
	b.expectClose(protocol.CloseServiceRestart)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	_, resp, err := env.dialRaw(env.wsURL(), http.Header{"Authorization": {"Bearer token-u1"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown = %v, %v; want 503", err, resp)
	}
	if !strings.Contains(readBody(t, resp), `"code":"unavailable"`) {
		t.Error("503 body lacks code unavailable")
	}
	if n := env.hub.sessionCount("u1") + env.hub.sessionCount("u2"); n != 0 {
		t.Errorf("%d sessions left in the hub", n)
	}
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	store := newMemStore("u1")
	env := newEnv(t, store, Config{})
	c := env.connect("u1")

	// The client never answers the close handshake; Shutdown must return
	// when its context ends and drop the connection.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := env.gw.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown with an ended context returned nil while a session was open")
	}
	if _, err := c.read(); err == nil {
		t.Fatal("connection still open after forced shutdown")
	}
}
