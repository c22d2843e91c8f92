package wsconn

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// parkServer serves Conns with Start, echoing every message. Each Conn is
// sent to opened once started, reports every parking on parks and closes
// ended when it has ended. noPoll makes the Conns read as without a
// poller.
type parkServer struct {
	url    string
	opened chan *Conn
	parks  chan struct{}
	ended  chan *Conn
}

func newParkServer(t *testing.T, noPoll bool) *parkServer {
	t.Helper()
	ps := &parkServer{opened: make(chan *Conn, 64), parks: make(chan struct{}, 1024), ended: make(chan *Conn, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := New(testQueueSize)
		c.noPoll = noPoll
		c.afterPark = func() { ps.parks <- struct{}{} }
		if err := c.Upgrade(w, r, Options{WriteTimeout: ioTimeout, ReadLimit: testReadLimit, Log: slog.New(slog.DiscardHandler), Peer: testPeer{}}); err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		c.Start(func(_ context.Context, _ websocket.MessageType, data []byte) {
			c.EnqueueReply([]byte("echo " + string(data)))
		}, func() { ps.ended <- c })
		ps.opened <- c
	}))
	t.Cleanup(srv.Close)
	ps.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return ps
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(ioTimeout):
		t.Fatalf("no %s within %v", what, ioTimeout)
		panic("unreachable")
	}
}

func (c *client) expectText(want string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil || string(data) != want {
		c.t.Fatalf("read %q, %v; want %q", data, err, want)
	}
}

// readersInStacks counts goroutines parked in a read of a connection.
func readersInStacks() int {
	buf := make([]byte, 8<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(stacks, "wsconn.(*Conn).readMessage")
}

func TestIdleConnectionsHaveNoReaderGoroutine(t *testing.T) {
	ps := newParkServer(t, false)
	const conns = 20
	clients := make([]*client, conns)
	for i := range clients {
		clients[i] = dialConn(t, ps.url)
		receive(t, ps.opened, "started connection")
		receive(t, ps.parks, "parking")
	}
	if n := readersInStacks(); n != 0 {
		t.Fatalf("%d goroutines read %d idle connections, want none", n, conns)
	}
	// Parked, they still answer.
	for i, cl := range clients {
		cl.sendRaw(websocket.MessageText, []byte{byte('a' + i)})
		cl.expectText("echo " + string(rune('a'+i)))
	}
}

func TestWithoutPollerIdleConnectionsKeepAReader(t *testing.T) {
	ps := newParkServer(t, true)
	cl := dialConn(t, ps.url)
	c := receive(t, ps.opened, "started connection")
	cl.sendRaw(websocket.MessageText, []byte("x"))
	cl.expectText("echo x")
	if c.poll != nil {
		t.Fatal("connection uses the poller with noPoll set")
	}
	select {
	case <-ps.parks:
		t.Fatal("a connection without poller parked")
	default:
	}
	cl.conn.Close(websocket.StatusNormalClosure, "")
	if got := receive(t, ps.ended, "end"); got != c {
		t.Fatal("another connection ended")
	}
}

func TestParkedConnectionWakesForEveryMessage(t *testing.T) {
	ps := newParkServer(t, false)
	cl := dialConn(t, ps.url)
	receive(t, ps.opened, "started connection")
	receive(t, ps.parks, "first parking")
	for i := range 50 {
		msg := strings.Repeat("m", i*40) // up to 2 KB: several reads for the larger ones
		cl.sendRaw(websocket.MessageText, []byte(msg))
		cl.expectText("echo " + msg)
		receive(t, ps.parks, "parking after a message")
	}
}

func TestPipelinedMessagesToAParkedConnectionAreAllAnswered(t *testing.T) {
	ps := newParkServer(t, false)
	cl := dialConn(t, ps.url)
	receive(t, ps.opened, "started connection")
	receive(t, ps.parks, "first parking")
	const n = 300
	go func() {
		for i := range n {
			cl.sendRaw(websocket.MessageText, []byte(strings.Repeat("p", i%200)))
		}
	}()
	for i := range n {
		cl.expectText("echo " + strings.Repeat("p", i%200))
	}
}

func TestParkedConnectionEnds(t *testing.T) {
	cases := []struct {
		name string
		end  func(c *Conn, cl *client)
	}{
		{"server closes", func(c *Conn, cl *client) {
			c.Close(4009, "silent")
			cl.expectClose(4009)
		}},
		{"client closes", func(_ *Conn, cl *client) {
			if err := cl.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Errorf("client close: %v", err)
			}
		}},
		{"client drops TCP", func(_ *Conn, cl *client) { _ = cl.conn.CloseNow() }},
		{"server aborts", func(c *Conn, _ *client) { c.Abort() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := newParkServer(t, false)
			cl := dialConn(t, ps.url)
			c := receive(t, ps.opened, "started connection")
			receive(t, ps.parks, "first parking")
			tc.end(c, cl)
			if got := receive(t, ps.ended, "end of the parked connection"); got != c {
				t.Fatal("another connection ended")
			}
			select {
			case <-c.Closed():
			default:
				t.Fatal("ended ran before the connection was closed")
			}
		})
	}
}

// The flusher frames data itself (appendTextFrame); a real client must
// read every length encoding whole: 7-bit, 16-bit and 64-bit, at their
// edges, and interleaved with the library's own pongs.
func TestFramesOfEveryLengthEncodingReachTheClient(t *testing.T) {
	ps := newParkServer(t, false)
	cl := dialConn(t, ps.url)
	cl.conn.SetReadLimit(1 << 20)
	c := receive(t, ps.opened, "started connection")
	sizes := []int{0, 1, 125, 126, 127, 1000, 0xffff, 0x10000, 0x10001, 200_000}
	for _, n := range sizes {
		frame := make([]byte, n)
		for i := range frame {
			frame[i] = byte('a' + i%26)
		}
		if !c.Enqueue(frame) {
			t.Fatalf("queue refused a frame of %d bytes", n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	// A ping makes the library write a pong among our frames.
	pinged := make(chan error, 1)
	go func() { pinged <- cl.conn.Ping(ctx) }()
	for _, n := range sizes {
		typ, data, err := cl.conn.Read(ctx)
		if err != nil {
			t.Fatalf("read the frame of %d bytes: %v", n, err)
		}
		if typ != websocket.MessageText || len(data) != n || (n > 0 && (data[0] != 'a' || data[n-1] != byte('a'+(n-1)%26))) {
			t.Fatalf("got a %v frame of %d bytes, want text of %d", typ, len(data), n)
		}
	}
	// The pong is read by the Read above, or by this one, which then
	// waits for the close.
	go func() { _, _, _ = cl.conn.Read(ctx) }()
	if err := <-pinged; err != nil {
		t.Fatalf("ping: %v", err)
	}
}
