package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// readLimit is the largest frame chatbench accepts: a page of 100 messages
// of 1,000 four-byte characters, with room for the JSON around them.
const readLimit = 1 << 20

// user is a benchmark user with its token.
type user struct {
	ID    string
	Token string
}

// frameHandler receives every frame that is not the reply to a call: pushed
// events and the replies to fire-and-forget commands (send_message). It
// runs on the connection's read goroutine, so frames of one connection are
// handled one at a time and in arrival order.
type frameHandler func(c *client, f inFrame, at time.Time)

// client is one WebSocket connection of one benchmark user: a read
// goroutine that hands frames to the scenario's handler or to a waiting
// call, and writes from any goroutine (the library serialises them).
type client struct {
	index   int // the connection's number over the whole run: picks its source address
	user    user
	handler frameHandler
	// onReady, if set, runs after each ready frame and before any other
	// frame of that connection is handled.
	onReady func(c *client)

	conn  *websocket.Conn
	cork  *corkConn // under conn; nil if the dial did not record it
	ready readyPayload

	// closing is set before an intended close, so the read loop does not
	// count the end of the connection as a drop.
	closing atomic.Bool
	done    chan struct{}
	dropErr error // why the connection ended, when it was not closing; set before done closes

	nextID  atomic.Int64
	callsMu sync.Mutex
	calls   map[string]waiter

	// mu guards the scenario state kept per client (streams and the like).
	mu      sync.Mutex
	streams map[string]*Stream
	state   any
}

func newClient(index int, u user, handler frameHandler) *client {
	return &client{index: index, user: u, handler: handler, streams: make(map[string]*Stream)}
}

// dial opens the connection, waits for ready and starts the read loop.
func (c *client) dial(ctx context.Context, wsURL string, httpClient *http.Client) error {
	header := http.Header{"Authorization": []string{"Bearer " + c.user.Token}}
	var cork *corkConn
	conn, resp, err := websocket.Dial(withCorkSlot(ctx, &cork), wsURL, &websocket.DialOptions{HTTPClient: httpClient, HTTPHeader: header})
	if err != nil {
		if resp != nil {
			return fmt.Errorf("dial %s as %s: HTTP %d: %w", wsURL, c.user.ID, resp.StatusCode, err)
		}
		return fmt.Errorf("dial %s as %s: %w", wsURL, c.user.ID, err)
	}
	conn.SetReadLimit(readLimit)
	_, data, err := conn.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return fmt.Errorf("read ready of %s: %w", c.user.ID, err)
	}
	var first inFrame
	if err := json.Unmarshal(data, &first); err != nil || first.Type != "ready" {
		conn.CloseNow()
		return fmt.Errorf("first frame of %s is not ready: %.200s", c.user.ID, data)
	}
	if err := decodePayload(first, &c.ready); err != nil {
		conn.CloseNow()
		return err
	}
	c.conn, c.cork = conn, cork
	if c.onReady != nil {
		c.onReady(c)
	}
	c.closing.Store(false)
	c.done = make(chan struct{})
	c.dropErr = nil
	c.calls = make(map[string]waiter)
	go c.readLoop(c.conn, c.done)
	return nil
}

func (c *client) readLoop(conn *websocket.Conn, done chan struct{}) {
	defer close(done)
	for {
		data, buf, err := readFrame(context.Background(), conn)
		at := time.Now()
		if err != nil {
			if !c.closing.Load() {
				c.dropErr = err
			}
			return
		}
		if !c.handleFrame(data, at) {
			buf.release()
			conn.CloseNow()
			return
		}
		buf.release()
	}
}

// handleFrame hands one frame to its waiting call or to the handler, and
// reports false when the frame is not JSON. data is valid only during the
// call.
func (c *client) handleFrame(data []byte, at time.Time) bool {
	var f inFrame
	if err := parseInFrame(data, &f); err != nil {
		c.dropErr = fmt.Errorf("frame is not JSON: %.200s", data)
		return false
	}
	if f.RequestID == "" || !c.deliverReply(f) {
		c.handler(c, f, at)
	}
	return true
}

// waiter is where the reply to a command goes. A reply of type bare
// arrives without its payload, which its waiter does not read: copying
// every heartbeat_ack's payload out of the reused read buffer was an
// allocation per heartbeat. Any other reply (an error) keeps a copy.
type waiter struct {
	ch   chan inFrame // nil: the call gave up
	bare string
}

// deliverReply hands a reply to its waiting call. A call that gave up
// (its context ended) leaves a nil channel, so its late reply is dropped
// here instead of reaching the handler as an unexpected frame. The call
// gets its own copy of the payload: the read buffer is reused.
func (c *client) deliverReply(f inFrame) bool {
	c.callsMu.Lock()
	w, ok := c.calls[f.RequestID]
	delete(c.calls, f.RequestID)
	c.callsMu.Unlock()
	if ok && w.ch != nil {
		reply := inFrame{Type: f.Type, RequestID: f.RequestID}
		if f.Type != w.bare {
			reply.Payload = bytes.Clone(f.Payload)
		}
		w.ch <- reply
	}
	return ok
}

// expect has the reply with requestId id delivered on ch, which must have
// room for it: the read loop does not wait. A reply of type bare comes
// without its payload.
func (c *client) expect(id, bare string, ch chan inFrame) {
	c.callsMu.Lock()
	c.calls[id] = waiter{ch: ch, bare: bare}
	c.callsMu.Unlock()
}

// send writes a command without waiting for its reply; the reply goes to
// the handler.
func (c *client) send(typ string, payload any) error {
	return c.write(outFrame{Type: typ, Payload: payload})
}

// call writes a command with a fresh requestId and waits for the reply
// with that id (which may be an error frame) until ctx ends.
func (c *client) call(ctx context.Context, typ string, payload any) (inFrame, error) {
	id := "b" + strconv.FormatInt(c.nextID.Add(1), 10)
	reply := make(chan inFrame, 1)
	c.callsMu.Lock()
	c.calls[id] = waiter{ch: reply}
	c.callsMu.Unlock()
	abandon := func() {
		c.callsMu.Lock()
		if _, waiting := c.calls[id]; waiting {
			c.calls[id] = waiter{} // the reply may still come; drop it then
		}
		c.callsMu.Unlock()
	}
	if err := c.write(outFrame{Type: typ, RequestID: id, Payload: payload}); err != nil {
		abandon()
		return inFrame{}, err
	}
	select {
	case f := <-reply:
		return f, nil
	case <-c.done:
		return inFrame{}, fmt.Errorf("%s of %s: connection ended: %v", typ, c.user.ID, c.dropErr)
	case <-ctx.Done():
		abandon()
		return inFrame{}, fmt.Errorf("%s of %s: no reply: %w", typ, c.user.ID, ctx.Err())
	}
}

// write sends one frame. The library closes the connection when the
// context of a write ends mid-frame, so the write gets its own timeout
// instead of the caller's context: a phase that ends while a frame is on
// its way must not cut the connection.
func (c *client) write(f outFrame) error {
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode %s: %w", f.Type, err)
	}
	if err := c.writeData(data); err != nil {
		return fmt.Errorf("write %s: %w", f.Type, err)
	}
	return nil
}

// writeData writes one encoded frame.
func (c *client) writeData(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("write frame of %s: %w", c.user.ID, err)
	}
	return nil
}

// writeFrames sends already encoded frames in order, in one write(2) when
// the connection can be corked.
func (c *client) writeFrames(frames [][]byte) error {
	if c.cork == nil {
		for _, data := range frames {
			if err := c.writeData(data); err != nil {
				return err
			}
		}
		return nil
	}
	// Corked writes never wait for the network, so they need no timeout
	// context (one costs a timer per frame); uncork bounds the write that
	// does.
	c.cork.cork()
	var err error
	for _, data := range frames {
		if err = c.conn.Write(context.Background(), websocket.MessageText, data); err != nil {
			err = fmt.Errorf("write frame of %s: %w", c.user.ID, err)
			break
		}
	}
	if uerr := c.cork.uncork(writeTimeout); err == nil && uerr != nil {
		err = fmt.Errorf("write %d frames of %s: %w", len(frames), c.user.ID, uerr)
	}
	return err
}

// close ends the connection on purpose: with the close handshake when
// graceful, else by dropping the TCP connection the way a network failure
// would.
func (c *client) close(graceful bool) {
	if c.conn == nil {
		return
	}
	c.closing.Store(true)
	if graceful {
		_ = c.conn.Close(websocket.StatusNormalClosure, "benchmark done") // the peer may be gone already
	} else {
		_ = c.conn.CloseNow()
	}
	<-c.done
}

// dropped returns why the connection ended if it ended without being
// asked to, else nil.
func (c *client) dropped() error {
	if c.done == nil {
		return errors.New("never connected")
	}
	select {
	case <-c.done:
		if c.closing.Load() {
			return nil
		}
		if c.dropErr == nil {
			return errors.New("connection ended")
		}
		return c.dropErr
	default:
		return nil
	}
}

// stream returns the client's checker for a channel, if it has one.
func (c *client) stream(channelID string) *Stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.streams[channelID]
}

// subscribe starts checking a channel from lastSeq unless it is checked
// already.
func (c *client) subscribe(channelID string, lastSeq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.streams[channelID]; !ok {
		c.streams[channelID] = NewStream(lastSeq)
	}
}
