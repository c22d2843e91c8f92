package ws

import (
	"bytes"
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

// sessionServer upgrades every request to a session served by handle, the
// way the Gateway does but without hub and use cases. before runs on the
// session ahead of the upgrade; opened, if not nil, gets each session once
// it runs. The handler returns then.
func sessionServer(tb testing.TB, log *slog.Logger, before func(*session), opened chan<- *session, handle frameHandler) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := newSession(domain.User{ID: "u"}, DefaultQueueSize)
		if before != nil {
			before(s)
		}
		conn, err := websocket.Accept(s.corking(w), r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			tb.Errorf("Accept: %v", err)
			return
		}
		s.attach(conn, ioTimeout, log)
		go s.serve(handle)
		if opened != nil {
			opened <- s
		}
	}))
	tb.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dialSession(t *testing.T, url string) *client {
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
	logs := &syncBuffer{}
	url := sessionServer(t, slog.New(slog.NewTextHandler(logs, nil)), nil, nil, func(_ context.Context, s *session, _ websocket.MessageType, data []byte) {
		if string(data) == "boom" {
			panic("a bug in a command")
		}
		s.enqueue(bytes.Clone(data)) // data is valid only during the call
	})
	c := dialSession(t, url)

	c.sendRaw(websocket.MessageText, []byte(`"echo"`))
	if _, data, err := c.conn.Read(context.Background()); err != nil || string(data) != `"echo"` {
		t.Fatalf("echo = %q, %v", data, err)
	}
	c.sendRaw(websocket.MessageText, []byte("boom"))
	c.expectClose(protocol.CloseInternalError)
	if !strings.Contains(logs.String(), "a bug in a command") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
}

func TestCloseRequestedDuringUpgradeIsSentOnceUpgraded(t *testing.T) {
	t.Parallel()
	// Shutdown may close a session between track and attach; the flusher
	// that attach starts must still send the code.
	url := sessionServer(t, slog.New(slog.DiscardHandler), func(s *session) {
		s.close(protocol.CloseServiceRestart, restartReason)
	}, nil, func(context.Context, *session, websocket.MessageType, []byte) {})
	dialSession(t, url).expectClose(protocol.CloseServiceRestart)
}

func TestFramesQueuedAfterTheQueueEmptiedStillArrive(t *testing.T) {
	t.Parallel()
	// Every frame is answered with three, each queued on its own: the
	// flusher ends whenever it finds the queue empty and the next frame
	// starts another, so this crosses that hand-over many times.
	url := sessionServer(t, slog.New(slog.DiscardHandler), nil, nil, func(_ context.Context, s *session, _ websocket.MessageType, data []byte) {
		for i := range 3 {
			s.enqueue([]byte(string(data) + "." + string(rune('a'+i))))
		}
	})
	c := dialSession(t, url)
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
