package ws

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/application/typing"
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
	"github.com/chatd/chat/interfaces/wsconn/wsconntest"
)

// ioTimeout only turns a hang into a failure; no test waits on it to make
// progress.
const ioTimeout = 10 * time.Second

// testEnv is a gateway over the real chat use cases and memStore, served by
// httptest, with the store's relay wired straight into the hub.
type testEnv struct {
	t        *testing.T
	store    *memStore
	hub      *Hub
	gw       *Gateway
	srv      *httptest.Server
	logs     *wsconntest.LogBuffer
	presence *presence.Service // over memPresence, on clock
	clock    *fakeClock
}

func newEnv(t *testing.T, store *memStore, cfg Config) *testEnv {
	t.Helper()
	logs := &wsconntest.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	hub := NewHub(log)
	store.relay = func(events []domain.Event) {
		if err := hub.Deliver(context.Background(), events); err != nil {
			t.Errorf("Deliver: %v", err)
		}
	}
	if cfg.NodeID == "" {
		cfg.NodeID = "n1"
	}
	clock := &fakeClock{now: epoch}
	presenceService := presence.NewService(newMemPresence(store), presence.NewTracker(cfg.PresenceTimeout), clock, nil, presence.Config{NodeID: cfg.NodeID})
	chatService := chat.NewService(store, allowAll{}, nil)
	if cfg.Typing == nil {
		cfg.Typing = typing.NewService(clock, chatService, hub, log)
	}
	gw, err := NewGateway(cfg, hub, chatService, presenceService, fakeAuth{store: store}, log)
	if err != nil {
		t.Fatalf("NewGateway: %v", err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		srv.Close()
	})
	return &testEnv{t: t, store: store, hub: hub, gw: gw, srv: srv, logs: logs, presence: presenceService, clock: clock}
}

func (e *testEnv) wsURL() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") }

// dialRaw opens a connection with the given headers and returns the HTTP
// response of a refused handshake.
func (e *testEnv) dialRaw(url string, header http.Header) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
}

// connect opens a connection as userID and reads its ready frame.
func (e *testEnv) connect(userID string) *client {
	e.t.Helper()
	conn, _, err := e.dialRaw(e.wsURL(), http.Header{"Authorization": {"Bearer token-" + userID}})
	if err != nil {
		e.t.Fatalf("dial as %s: %v", userID, err)
	}
	conn.SetReadLimit(1 << 20)
	e.t.Cleanup(func() { _ = conn.CloseNow() })
	c := &client{t: e.t, conn: conn}
	f := c.next()
	if f.Type != protocol.TypeReady {
		e.t.Fatalf("first frame of %s is %s, want ready", userID, f.Type)
	}
	f.decode(&c.ready)
	return c
}

// client is the test's end of one connection.
type client struct {
	t     *testing.T
	conn  *websocket.Conn
	ready protocol.Ready
}

// wireFrame is a server frame with its payload still raw.
type wireFrame struct {
	t         *testing.T
	Type      string          `json:"type"`
	RequestID string          `json:"requestId"`
	Payload   json.RawMessage `json:"payload"`
}

func (f wireFrame) decode(dst any) {
	f.t.Helper()
	if err := json.Unmarshal(f.Payload, dst); err != nil {
		f.t.Fatalf("decode %s payload %s: %v", f.Type, f.Payload, err)
	}
}

func (c *client) sendRaw(typ websocket.MessageType, data []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, typ, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(typ, requestID string, payload any) {
	c.t.Helper()
	data, err := protocol.Encode(typ, requestID, payload)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.MessageText, data)
}

// read returns the next frame or the read error (a close, typically).
func (c *client) read() (wireFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		return wireFrame{}, err
	}
	f := wireFrame{t: c.t}
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("server sent invalid JSON %q: %v", data, err)
	}
	return f, nil
}

func (c *client) next() wireFrame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// expect reads the next frame and checks its type and requestId.
func (c *client) expect(typ, requestID string) wireFrame {
	c.t.Helper()
	f := c.next()
	if f.Type != typ || f.RequestID != requestID {
		c.t.Fatalf("got %s (requestId %q) %s, want %s (requestId %q)", f.Type, f.RequestID, f.Payload, typ, requestID)
	}
	return f
}

// expectNothing checks that no frame is waiting: it sends a probe command
// and requires its reply to be the next frame. Frames are queued in order,
// so anything sent before the probe would come first.
func (c *client) expectNothing() {
	c.t.Helper()
	c.send(protocol.TypeGetUsers, "probe", protocol.GetUsers{UserIDs: []string{}})
	c.expect(protocol.TypeUsers, "probe")
}

// expectError reads an error reply and checks its code and echo.
func (c *client) expectError(requestID, command, code string) protocol.Error {
	c.t.Helper()
	var e protocol.Error
	c.expect(protocol.TypeError, requestID).decode(&e)
	if e.Code != code || e.Command != command {
		c.t.Fatalf("error = %+v, want code %q command %q", e, code, command)
	}
	return e
}

// expectClose reads until the connection ends and checks the close code.
func (c *client) expectClose(code protocol.CloseCode) {
	c.t.Helper()
	for {
		_, err := c.read()
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != websocket.StatusCode(code) {
			c.t.Fatalf("connection ended with %v (status %d), want close %d", err, got, code)
		}
		return
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	if resp == nil || resp.Body == nil {
		return ""
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(data)
}
