package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// waitTimeout bounds every wait for a frame. It is a failure deadline, not
// a synchronisation sleep: tests proceed as soon as the frame arrives.
const waitTimeout = 10 * time.Second

// frame is a decoded server frame, kept generic so these tests see the wire
// exactly as an outside client does.
type frame struct {
	Type      string          `json:"type"`
	RequestID string          `json:"requestId,omitempty"`
	Payload   json.RawMessage `json:"payload"`
}

func (f frame) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(f.Payload, v); err != nil {
		t.Fatalf("decode %s payload %s: %v", f.Type, f.Payload, err)
	}
}

func (f frame) errorCode(t testing.TB) string {
	t.Helper()
	if f.Type != "error" {
		t.Fatalf("got %s %s, want an error", f.Type, f.Payload)
	}
	var p struct{ Code, Message, Command string }
	f.decode(t, &p)
	if p.Message == "" {
		t.Fatalf("error %s has no message", f.Payload)
	}
	return p.Code
}

// client is one WebSocket connection of a test user.
type client struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan frame
	closed chan websocket.StatusCode
	ready  readyPayload
	next   atomic.Int64
	// pending holds frames read while waiting for another one.
	pending []frame
	// readErr is why the read loop ended; set before frames is closed.
	readErr error
}

type readyPayload struct {
	ProtocolVersion     string `json:"protocolVersion"`
	UserID              string `json:"userId"`
	SessionID           string `json:"sessionId"`
	NodeID              string `json:"nodeId"`
	HeartbeatIntervalMs int    `json:"heartbeatIntervalMs"`
	PresenceTimeoutMs   int    `json:"presenceTimeoutMs"`
	Channels            []struct {
		ChannelID   string `json:"channelId"`
		ChannelType string `json:"channelType"`
		LastSeq     int64  `json:"lastSeq"`
		LastReadSeq int64  `json:"lastReadSeq"`
		UnreadCount int64  `json:"unreadCount"`
	} `json:"channels"`
}

func dialWS(ctx context.Context, url, token string, header http.Header) (*websocket.Conn, *http.Response, error) {
	if header == nil {
		header = http.Header{}
	}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
}

// connect opens a connection and waits for its ready frame.
func (s *testServer) connect(t testing.TB, token string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, _, err := dialWS(ctx, s.wsURL(), token, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &client{t: t, conn: conn, frames: make(chan frame, 1024), closed: make(chan websocket.StatusCode, 1)}
	go c.readLoop()
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "test done") })
	f := c.next1()
	if f.Type != "ready" {
		t.Fatalf("first frame is %s %s, want ready", f.Type, f.Payload)
	}
	f.decode(t, &c.ready)
	return c
}

func (c *client) readLoop() {
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.readErr = err
			c.closed <- websocket.CloseStatus(err)
			close(c.frames)
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			f = frame{Type: "<not json>", Payload: json.RawMessage(fmt.Sprintf("%q", data))}
		}
		c.frames <- f
	}
}

// next1 returns the next frame not yet consumed.
func (c *client) next1() frame {
	c.t.Helper()
	if len(c.pending) > 0 {
		f := c.pending[0]
		c.pending = c.pending[1:]
		return f
	}
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection closed while waiting for a frame")
		}
		return f
	case <-time.After(waitTimeout):
		c.t.Fatalf("no frame within %s", waitTimeout)
	}
	return frame{}
}

// await returns the first frame that matches, keeping the others in order.
func (c *client) await(match func(frame) bool, what string) frame {
	c.t.Helper()
	for i, f := range c.pending {
		if match(f) {
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			return f
		}
	}
	deadline := time.After(waitTimeout)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("connection closed while waiting for %s", what)
			}
			if match(f) {
				return f
			}
			c.pending = append(c.pending, f)
		case <-deadline:
			c.t.Fatalf("no %s within %s; other frames: %v", what, waitTimeout, c.pending)
		}
	}
}

// awaitType returns the next pushed event of a type.
func (c *client) awaitType(typ string) frame {
	c.t.Helper()
	return c.await(func(f frame) bool { return f.Type == typ && f.RequestID == "" }, typ)
}

func (c *client) sendRaw(data string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(data)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// request sends a command and returns the reply carrying its requestId.
func (c *client) request(typ string, payload any) frame {
	c.t.Helper()
	id := fmt.Sprintf("r-%d", c.next.Add(1))
	body, err := json.Marshal(map[string]any{"type": typ, "requestId": id, "payload": payload})
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(body))
	return c.await(func(f frame) bool { return f.RequestID == id }, "reply to "+typ)
}

// mustRequest is request that fails the test on an error reply.
func (c *client) mustRequest(typ string, payload any, wantType string, out any) {
	c.t.Helper()
	f := c.request(typ, payload)
	if f.Type != wantType {
		c.t.Fatalf("%s: got %s %s, want %s", typ, f.Type, f.Payload, wantType)
	}
	if out != nil {
		f.decode(c.t, out)
	}
}

// awaitClose waits for the server to close the connection.
func (c *client) awaitClose() websocket.StatusCode {
	c.t.Helper()
	for {
		select {
		case <-c.frames:
		case code := <-c.closed:
			return code
		case <-time.After(waitTimeout):
			c.t.Fatalf("connection not closed within %s", waitTimeout)
		}
	}
}

// assertNoFrame checks that nothing but frames accepted by ignore arrived
// before the barrier frame matched by barrier.
func (c *client) assertNothingBefore(barrier func(frame) bool, what string) {
	c.t.Helper()
	for _, f := range c.pending {
		c.t.Fatalf("unexpected frame before %s: %s %s", what, f.Type, f.Payload)
	}
	for {
		f := c.next1()
		if barrier(f) {
			return
		}
		c.t.Fatalf("unexpected frame before %s: %s %s", what, f.Type, f.Payload)
	}
}

func isMessage(channelID string, seq int64) func(frame) bool {
	return func(f frame) bool {
		if f.Type != "message_received" {
			return false
		}
		var m messagePayload
		_ = json.Unmarshal(f.Payload, &m)
		return m.ChannelID == channelID && m.Seq == seq
	}
}

type messagePayload struct {
	ChannelID       string `json:"channelId"`
	MessageID       string `json:"messageId"`
	ClientMessageID string `json:"clientMessageId"`
	SenderID        string `json:"senderId"`
	Body            string `json:"body"`
	CreatedAt       string `json:"createdAt"`
	Seq             int64  `json:"seq"`
}

type channelPayload struct {
	ChannelID   string   `json:"channelId"`
	ChannelType string   `json:"channelType"`
	Name        string   `json:"name"`
	MemberIDs   []string `json:"memberIds"`
	LastSeq     int64    `json:"lastSeq"`
	CreatedAt   string   `json:"createdAt"`
}

func isRFC3339Millis(s string) bool {
	ts, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && strings.HasSuffix(s, "Z") && len(s) == len("2006-01-02T15:04:05.000Z") && ts.Location() == time.UTC
}
