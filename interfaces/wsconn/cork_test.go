package wsconn

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
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
	// One deadline for the batch, kept for the write after it.
	if len(rec.deadlines) != 1 || rec.deadlines[0].IsZero() {
		t.Fatalf("deadlines %v, want one set for the batch", rec.deadlines)
	}
}

func TestCorkConnRenewsADeadlineThatRunsLow(t *testing.T) {
	t.Parallel()
	rec := &recordingConn{}
	c := &corkConn{Conn: rec}
	batch := func() {
		t.Helper()
		c.cork()
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := c.uncork(time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	batch()
	batch() // a full minute left: kept
	if len(rec.deadlines) != 1 {
		t.Fatalf("deadlines %v after two batches, want one", rec.deadlines)
	}
	c.until = time.Now().Add(time.Second) // under half the timeout left
	batch()
	if len(rec.deadlines) != 2 || rec.deadlines[1].Before(time.Now().Add(30*time.Second)) {
		t.Fatalf("deadlines %v, want a second one a minute out", rec.deadlines)
	}
	// An uncorked write (the library's pong or close) renews it too.
	c.until = time.Now().Add(time.Second)
	if _, err := c.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if len(rec.deadlines) != 3 {
		t.Fatalf("deadlines %v, want the uncorked write to renew the low one", rec.deadlines)
	}
}

// After a close frame no data frame may follow (RFC 6455 section 5.5.1).
// The library writes its closes itself (its reply to a client's close
// among them) while the flusher may still hold frames: those frames are
// dropped, whether the close went out corked or straight through.
func TestCorkConnSendsNoDataAfterAClose(t *testing.T) {
	t.Parallel()
	closeFrame := []byte{finClose, 2, 0x03, 0xe8} // 1000, normal closure
	rec := &recordingConn{}
	c := &corkConn{Conn: rec}
	c.cork()
	c.appendText([]byte("before"))
	if _, err := c.Write(closeFrame); err != nil {
		t.Fatal(err)
	}
	c.appendText([]byte("after"))
	if err := c.uncork(time.Minute); err != nil {
		t.Fatal(err)
	}
	c.cork()
	c.appendText([]byte("later"))
	if err := c.uncork(time.Minute); err != nil {
		t.Fatal(err)
	}
	want := append(appendTextFrame(nil, []byte("before")), closeFrame...)
	if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], want) {
		t.Fatalf("writes % x, want one: % x", rec.writes, want)
	}
}

// The library's reply to a client's close is seen as a close: its frame
// starts a Write of its own, which TestCorkConnSendsNoDataAfterAClose
// relies on.
func TestTheLibrarysCloseReplyIsSeen(t *testing.T) {
	t.Parallel()
	ps := newParkServer(t, false)
	cl := dialRaw(t, ps.url)
	c := receive(t, ps.opened, "started connection")
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	status := []byte{0x03, 0xe8}
	frame := append([]byte{finClose, 0x80 | byte(len(status))}, key[:]...)
	for i, b := range status {
		frame = append(frame, b^key[i%4])
	}
	if _, err := cl.conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 2)
	if _, err := io.ReadFull(cl.br, head); err != nil || head[0] != finClose {
		t.Fatalf("read % x, %v; want the server's close", head, err)
	}
	c.cork.mu.Lock()
	seen := c.cork.closeSent
	c.cork.mu.Unlock()
	if !seen {
		t.Fatal("the library's close went out unseen: data could follow it")
	}
}
