package wsconn

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// ioTimeout only turns a hang into a failure; no test waits on it to make
// progress.
const ioTimeout = 10 * time.Second

// testQueueSize and testReadLimit are the chat gateway's defaults.
const (
	testQueueSize = 256
	testReadLimit = 16 << 10
)

// connHandler is a test's Handler with the Conn it runs on, so that it can
// answer.
type connHandler func(ctx context.Context, s *Conn, typ websocket.MessageType, data []byte)

// testPeer names the test connections in log lines.
type testPeer struct{}

func (testPeer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("session", "s-test"), slog.String("user", "u"))
}

// client is the test's end of one connection.
type client struct {
	t    *testing.T
	conn *websocket.Conn
}

func (c *client) sendRaw(typ websocket.MessageType, data []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, typ, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// expectClose reads until the connection ends and checks the close code.
func (c *client) expectClose(code websocket.StatusCode) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	for {
		_, _, err := c.conn.Read(ctx)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != code {
			c.t.Fatalf("connection ended with %v (status %d), want close %d", err, got, code)
		}
		return
	}
}
