package wsconn

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/chatd/chat/interfaces/wsconn/wsconntest"
)

// connServer upgrades every request to a Conn served by handle, the way
// the chat gateway does but without hub and use cases. before runs on the
// Conn ahead of the upgrade; opened, if not nil, gets each Conn once it
// runs. The handler returns then. The Conn's log lines name it as
// session s-test of user u.
func connServer(tb testing.TB, log *slog.Logger, before func(*Conn), opened chan<- *Conn, handle connHandler) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := New(testQueueSize)
		if before != nil {
			before(s)
		}
		if err := s.Upgrade(w, r, Options{WriteTimeout: ioTimeout, ReadLimit: testReadLimit, Log: log, Peer: testPeer{}}); err != nil {
			tb.Errorf("Upgrade: %v", err)
			return
		}
		go s.Serve(func(ctx context.Context, typ websocket.MessageType, data []byte) { handle(ctx, s, typ, data) })
		if opened != nil {
			opened <- s
		}
	}))
	tb.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dialConn(t *testing.T, url string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &client{t: t, conn: conn}
}

func TestPanickingCommandClosesItsConnectionWith1011(t *testing.T) {
	t.Parallel()
	logs := &wsconntest.LogBuffer{}
	url := connServer(t, slog.New(slog.NewTextHandler(logs, nil)), nil, nil, func(_ context.Context, s *Conn, _ websocket.MessageType, data []byte) {
		if string(data) == "boom" {
			panic("a bug in a command")
		}
		s.Enqueue(bytes.Clone(data)) // data is valid only during the call
	})
	c := dialConn(t, url)

	c.sendRaw(websocket.MessageText, []byte(`"echo"`))
	if _, data, err := c.conn.Read(context.Background()); err != nil || string(data) != `"echo"` {
		t.Fatalf("echo = %q, %v", data, err)
	}
	c.sendRaw(websocket.MessageText, []byte("boom"))
	c.expectClose(websocket.StatusInternalError)
	if !strings.Contains(logs.String(), "a bug in a command") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
	// The Peer's attributes are inlined, as the gateway's own lines have them.
	if !strings.Contains(logs.String(), "session=s-test user=u") {
		t.Errorf("panic logged without the peer's session and user:\n%s", logs.String())
	}
}

func TestCloseRequestedDuringUpgradeIsSentOnceUpgraded(t *testing.T) {
	t.Parallel()
	// Shutdown may close a connection before its upgrade; the flusher
	// that the upgrade starts must still send the code.
	url := connServer(t, slog.New(slog.DiscardHandler), func(s *Conn) {
		s.Close(websocket.StatusServiceRestart, "service restart, reconnect")
	}, nil, func(context.Context, *Conn, websocket.MessageType, []byte) {})
	dialConn(t, url).expectClose(websocket.StatusServiceRestart)
}

func TestFramesQueuedAfterTheQueueEmptiedStillArrive(t *testing.T) {
	t.Parallel()
	// Every frame is answered with three, each queued on its own: the
	// flusher ends whenever it finds the queue empty and the next frame
	// starts another, so this crosses that hand-over many times.
	url := connServer(t, slog.New(slog.DiscardHandler), nil, nil, func(_ context.Context, s *Conn, _ websocket.MessageType, data []byte) {
		for i := range 3 {
			s.Enqueue([]byte(string(data) + "." + string(rune('a'+i))))
		}
	})
	c := dialConn(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	for round := range 200 {
		msg := strings.Repeat("x", round%7+1)
		c.sendRaw(websocket.MessageText, []byte(msg))
		for i := range 3 {
			_, data, err := c.conn.Read(ctx)
			if want := msg + "." + string(rune('a'+i)); err != nil || string(data) != want {
				t.Fatalf("round %d frame %d = %q, %v; want %q", round, i, data, err, want)
			}
		}
	}
}
