package ws

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// recordingConn is a net.Conn that records each Write and deadline.
type recordingConn struct {
	net.Conn  // nil: only Write and SetWriteDeadline are used
	mu        sync.Mutex
	writes    [][]byte
	deadlines []time.Time
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *recordingConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadlines = append(c.deadlines, t)
	return nil
}

func TestCorkConnSendsABatchInOneWrite(t *testing.T) {
	t.Parallel()
	rec := &recordingConn{}
	c := &corkConn{Conn: rec}

	if _, err := c.Write([]byte("direct")); err != nil {
		t.Fatal(err)
	}
	c.cork()
	for _, part := range []string{"a", "bc", "def"} {
		if _, err := c.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.writes) != 1 {
		t.Fatalf("%d writes reached the connection while corked, want only the uncorked one", len(rec.writes))
	}
	if err := c.uncork(time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.uncork(time.Minute); err != nil { // nothing corked: no write
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	want := []string{"direct", "abcdef", "after"}
	if len(rec.writes) != len(want) {
		t.Fatalf("writes %q, want %q", rec.writes, want)
	}
	for i := range want {
		if string(rec.writes[i]) != want[i] {
			t.Fatalf("write %d = %q, want %q", i, rec.writes[i], want[i])
		}
	}
	// One deadline for the batch, cleared after it.
	if len(rec.deadlines) != 2 || rec.deadlines[0].IsZero() || !rec.deadlines[1].IsZero() {
		t.Fatalf("deadlines %v, want one set and then cleared", rec.deadlines)
	}
}

func TestBurstReachesTheClientInOrderThroughACorkedConnection(t *testing.T) {
	t.Parallel()
	store := newMemStore("reader")
	group := store.addChannel(domain.ChannelGroup, "g", "reader")
	env := newEnv(t, store, Config{})
	reader := env.connect("reader")

	env.gw.mu.Lock()
	corked := 0
	for s := range env.gw.sessions {
		s.mu.Lock()
		if s.cork != nil {
			corked++
		}
		s.mu.Unlock()
	}
	env.gw.mu.Unlock()
	if corked != 1 {
		t.Fatalf("%d sessions upgraded through a corkConn, want 1", corked)
	}

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
