package wsconn

import (
	"context"
	"encoding/binary"

	"github.com/coder/websocket"
)

// handleBatch runs the command in data and then every further command
// whose frame is already complete in the read buffer, and writes all their
// replies together. A client that pipelines commands (heartbeats in
// flight, a burst of sends) has several frames arrive in one read(2); each
// used to cost a hand-over to a worker and a write(2) of its own, which
// was most of chatd's CPU per heartbeat. It runs on a pool worker (a read
// round, or for a reader goroutine of its own) and returns the error of a
// read that ended the connection. data was read into buf, and so are the further commands:
// each handler call has returned before the next message overwrites it.
func (c *Conn) handleBatch(ctx context.Context, handle Handler, typ websocket.MessageType, data []byte, buf *readBuffer) error {
	c.mu.Lock()
	c.holdReplies = true
	c.mu.Unlock()
	defer c.writeReplies()
	for {
		c.handleFrame(ctx, handle, typ, data)
		if !c.frameBuffered() {
			return nil
		}
		var err error
		// The whole frame is buffered, so this read does not wait for the
		// network: the worker never parks in a read of its own.
		if typ, data, _, err = c.readMessage(ctx, buf); err != nil {
			return err
		}
	}
}

// writeReplies ends holdReplies and writes what the commands queued, in
// this goroutine, unless a flusher already runs (an event came in and took
// the replies along).
func (c *Conn) writeReplies() {
	c.mu.Lock()
	c.holdReplies = false
	start := len(c.queue) > 0 && c.startFlushLocked()
	c.mu.Unlock()
	if start {
		c.flushOnce()
	}
}

// frameBuffered reports whether the read buffer holds a whole data frame
// that ends a message, so that the next read returns it without touching
// the network. Anything else (a partial frame, a fragment, a control frame
// the library would answer and read past, a frame over 64 KiB) reads as
// false: the reader then reads it in the usual way.
//
// The library's close handshake reads from the same buffer on the
// flusher's goroutine, under peekMu; a worker that cannot take peekMu at
// once simply does not batch.
func (c *Conn) frameBuffered() bool {
	if c.rd == nil || !c.peekMu.TryLock() {
		return false
	}
	defer c.peekMu.Unlock()
	if c.isClosing() {
		return false
	}
	b, _ := c.rd.Peek(c.rd.Buffered())
	return wholeDataFrame(b, c.ahead.pending())
}

// wholeDataFrame reports whether the bytes of buffered followed by those
// of ahead start with a complete final text or binary frame (RFC 6455
// section 5.2).
func wholeDataFrame(buffered, ahead []byte) bool {
	var head [maxClientFrameHeader]byte
	n := copy(head[:], buffered)
	n += copy(head[n:], ahead)
	total, ok := dataFrameSize(head[:n])
	return ok && len(buffered)+len(ahead) >= total
}

// maxClientFrameHeader is the longest header dataFrameSize reads: two
// bytes, a 16-bit length and a masking key.
const maxClientFrameHeader = 8

// dataFrameSize returns the size, header included, of the final text or
// binary frame whose header starts b; ok is false when b does not hold the
// whole header or the frame is of another kind or over 64 KiB.
func dataFrameSize(b []byte) (size int, ok bool) {
	if len(b) < 2 {
		return 0, false
	}
	final, opcode := b[0]&0x80 != 0, b[0]&0x0f
	if !final || (opcode != 1 && opcode != 2) {
		return 0, false
	}
	length, header := int(b[1]&0x7f), 2
	switch length {
	case 126:
		if len(b) < 4 {
			return 0, false
		}
		length, header = int(binary.BigEndian.Uint16(b[2:4])), 4
	case 127:
		return 0, false
	}
	if b[1]&0x80 != 0 {
		header += 4 // masking key
	}
	if len(b) < header {
		return 0, false
	}
	return header + length, true
}
