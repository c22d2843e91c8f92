package wsconn

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// waitFor polls cond until it holds, failing after ioTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in time", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSilenceTracksWholeMessagesAndStalledOnes(t *testing.T) {
	t.Parallel()
	if idle, stalled := New(testQueueSize).Silence(time.Now().Add(time.Hour)); idle != 0 || stalled != 0 {
		t.Fatalf("a Conn not upgraded is silent for %v, stalled %v; want 0", idle, stalled)
	}
	opened := make(chan *Conn, 1)
	handled := make(chan string, 4)
	url := connServer(t, slog.New(slog.DiscardHandler), nil, opened, func(_ context.Context, _ *Conn, _ websocket.MessageType, data []byte) {
		handled <- string(data)
	})
	c := dialRaw(t, url)
	s := <-opened
	upgraded := time.Now()

	// From the upgrade on, the time without a message counts; nothing is
	// half read.
	later := upgraded.Add(time.Hour)
	if idle, stalled := s.Silence(later); idle < time.Hour || idle > time.Hour+ioTimeout || stalled != 0 {
		t.Fatalf("after the upgrade: idle %v, stalled %v; want about an hour and 0", idle, stalled)
	}

	// A header and part of the payload: stalled counts from the header.
	frame := textFrame("a message sent in two parts")
	if _, err := c.conn.Write(frame[:8]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "header seen", func() bool { _, stalled := s.Silence(time.Now().Add(time.Minute)); return stalled > 0 })
	idle, stalled := s.Silence(later)
	if stalled < time.Hour-ioTimeout || stalled > idle {
		t.Fatalf("half a message: idle %v, stalled %v; want stalled near an hour and not above idle", idle, stalled)
	}

	// The rest: the message is whole, idle restarts, nothing is stalled.
	sent := time.Now()
	if _, err := c.conn.Write(frame[8:]); err != nil {
		t.Fatal(err)
	}
	if got := <-handled; got != "a message sent in two parts" {
		t.Fatalf("handled %q", got)
	}
	after := time.Now()
	if idle, stalled := s.Silence(after); idle > after.Sub(sent) || stalled != 0 {
		t.Fatalf("after a whole message: idle %v (its end was sent %v ago), stalled %v", idle, after.Sub(sent), stalled)
	}
}
