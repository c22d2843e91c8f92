package wsconn

import (
	"context"
	"runtime/debug"

	"github.com/coder/websocket"
)

// Handler handles one message read from the client. data is valid only
// during the call: the connection reads its next message into the same
// pooled buffer (read.go), so a handler copies whatever it keeps. A
// handler answers with EnqueueReply.
type Handler func(ctx context.Context, typ websocket.MessageType, data []byte)

// Start serves an upgraded connection and returns at once: handle runs the
// client's messages, one after the other, and ended is called once, after
// the connection is closed and the last of them has returned.
//
// While the client sends nothing the connection has no goroutine: it
// parks its socket in the poller (poll_linux.go) and a pool worker reads
// once data arrives, until the read buffers are empty again. Without a
// poller (another system, or a connection that does not expose its socket)
// a goroutine of its own reads, parked in the library's read while idle.
//
// Reads get a context that never ends: with one that can, coder/websocket
// registers a cancel callback per read, and the upgrade request's context
// ends anyway when ServeHTTP returns. Shutdown and broken connections end
// the read by closing the connection instead.
func (c *Conn) Start(handle Handler, ended func()) {
	c.handle, c.ended = handle, ended
	c.wake = c.readRound
	if c.ahead != nil && !c.noPoll {
		if p := sharedPoller(); p != nil {
			c.poll, c.token = p, p.add(c)
		}
	}
	if c.poll == nil {
		go c.readRound()
		return
	}
	if !c.inputBuffered() && c.park() {
		return
	}
	commandWorkers.run(c.wake)
}

// Serve is Start that returns once the connection is closed and its last
// command has run.
func (c *Conn) Serve(handle Handler) {
	done := make(chan struct{})
	c.Start(handle, func() { close(done) })
	<-done
}

// readRound reads and handles messages until the read buffers are empty,
// then parks the connection; with no poller, until the connection ends.
// Pings between messages are answered before the library reads
// (pings.go), so a client that only pings still lets the round park.
// Only one round runs at a time: the poller reports a parked socket once
// (one-shot), and nothing else starts one.
func (c *Conn) readRound() {
	c.mu.Lock()
	c.reading = true
	c.mu.Unlock()
	ctx := context.Background()
	// The poller starts a round when the socket turns readable: the first
	// look reads it (answerPings).
	woken := c.poll != nil
	for {
		if c.poll != nil && !c.answerPings(woken) && c.park() {
			return
		}
		woken = false
		typ, data, buf, err := c.readMessage(ctx, nil)
		if err == nil {
			if c.poll == nil {
				err = runBatch(ctx, c, c.handle, typ, data, buf)
			} else {
				// A round runs on a pool worker already.
				err = c.handleBatch(ctx, c.handle, typ, data, buf)
			}
			buf.release(c.readLimit)
		}
		if err != nil {
			// Client closes, 1009, protocol errors, shutdown and broken
			// TCP all end here; none of them is a server fault.
			c.log.Debug("connection ended", c.peerAttr(), "err", err)
			// Have the flusher finish, with the code the read calls for
			// (closeFor); a close requested earlier keeps its own.
			c.Close(closeFor(err))
			c.stopReading()
			return
		}
	}
}

// inputBuffered reports whether bytes the client sent wait above the
// socket, in the read-ahead or the bufio.Reader: the poller would not
// report them, so the round must read on. The caller reads the
// connection, so nothing else moves these bytes but the close handshake,
// under peekMu; while it runs, the answer is yes: the read that follows
// waits for the handshake and reports the end.
func (c *Conn) inputBuffered() bool {
	if !c.peekMu.TryLock() {
		return true
	}
	defer c.peekMu.Unlock()
	return c.rd.Buffered() > 0 || len(c.ahead.pending()) > 0
}

// park ends the round: the socket is armed in the poller, whose next event
// starts a new round. It reports false when the socket could not be armed
// (it was closed underneath, mostly); the caller then reads on, and that
// read reports the end. Taking mu after the round's last read orders that
// read before the next round's first one.
func (c *Conn) park() bool {
	c.mu.Lock()
	first := !c.armed
	c.armed = true
	c.mu.Unlock()
	if c.stopReading() {
		return true
	}
	if err := c.poll.arm(c.ahead.raw, c.token, first); err != nil {
		c.mu.Lock()
		c.reading = true
		c.mu.Unlock()
		return false
	}
	if c.afterPark != nil {
		c.afterPark()
	}
	return true
}

// stopReading records that no round runs and reports whether the
// connection is closed, in which case the connection has ended.
func (c *Conn) stopReading() (ended bool) {
	c.mu.Lock()
	c.reading = false
	ended = c.isClosed()
	c.mu.Unlock()
	if ended {
		c.finish()
	}
	return ended
}

// markClosed records that the connection is closed (the flusher's last
// act); the connection has ended unless a round still runs, which then
// ends it when it stops.
func (c *Conn) markClosed() {
	close(c.closed)
	c.mu.Lock()
	reading := c.reading
	c.mu.Unlock()
	if !reading {
		c.finish()
	}
}

// finish calls ended, once.
func (c *Conn) finish() {
	c.endOnce.Do(func() {
		if c.poll != nil {
			c.poll.remove(c.token)
		}
		if c.ended != nil {
			c.ended()
		}
	})
}

func (c *Conn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// handleFrame runs one message's command. It runs on a pool worker
// (workers.go): decoding, the use case and encoding the reply take the
// stack past 4 KB, and the few workers keep theirs from one command to
// the next. A reader goroutine of its own (no poller) hands its commands
// to a worker and waits, because Go gives a grown stack back only when a
// GC finds it parked using under a quarter of it, which the library's
// read chain never does.
//
// handleFrame also recovers a panic: the upgrading ServeHTTP has returned,
// so net/http no longer does, and a bug in one command must cost its
// connection, not the process.
func (c *Conn) handleFrame(ctx context.Context, handle Handler, typ websocket.MessageType, data []byte) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("command panicked; closing connection", c.peerAttr(), "panic", v, "stack", string(debug.Stack()))
			c.Close(websocket.StatusInternalError, "internal error; reconnect")
		}
	}()
	handle(ctx, typ, data)
}
