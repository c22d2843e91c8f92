package wsconn

import (
	"context"
	"errors"

	"github.com/coder/websocket"
)

// flush writes queued frames until the queue is empty, then ends;
// enqueue starts a new flusher for the next frame. Each round takes every
// queued frame as one batch, and the batch leaves in one write(2) under a
// deadline at most writeTimeout away (cork.go), so a client that stopped
// reading holds only its own flusher, for at most that long. Frames keep
// their queue order.
//
// A close request wins over queued frames: a slow consumer gets its close
// as soon as the frames being written are out. The flusher that closes the
// connection is the Conn's last.
func (c *Conn) flush() {
	var spare [][]byte
	for !c.isClosing() {
		batch, stop := c.nextBatch(spare)
		if stop {
			return
		}
		if len(batch) == 0 {
			continue // closing: the loop ends
		}
		var ok bool
		if spare, ok = c.writeTaken(batch); !ok {
			return
		}
	}
	// The close handshake reads the client's close frame; a worker must
	// not peek at the reader meanwhile (batch.go).
	c.peekMu.Lock()
	err := c.ws.Close(c.closeCode, c.closeReason)
	c.peekMu.Unlock()
	if err != nil && !errors.Is(err, context.Canceled) {
		c.log.Debug("close handshake incomplete", c.peerAttr(), "code", int(c.closeCode), "err", err)
	}
	c.markClosed()
}

// nextBatch takes the frames queued for the next write, giving the queue
// spare's array to fill meanwhile. stop reports that the queue was empty
// and the flusher has ended; an empty batch without stop means a close
// came in.
//
// spare is handed over once: after a take the queue owns its array. An
// empty take followed by a frame arriving before stopFlush used to hand
// the same spare over again, so the batch taken next and the queue were
// one array: frames queued during the write overwrote the batch's, and
// clearing the written batch emptied them, which went out as empty
// frames (seen under load as "frame is not JSON" in chatbench).
func (c *Conn) nextBatch(spare [][]byte) (batch [][]byte, stop bool) {
	for {
		batch = c.take(spare)
		spare = nil
		if len(batch) > 0 {
			return batch, false
		}
		if c.afterEmptyTake != nil {
			c.afterEmptyTake()
		}
		if c.stopFlush() {
			return nil, true
		}
		if c.isClosing() {
			return nil, false
		}
	}
}

// flushOnce is one round of flush in the caller's goroutine, for a caller
// that has just set flushing: the worker that ran a client's commands
// writes their replies itself instead of handing them to a new goroutine.
// What is left afterwards (frames queued meanwhile, a close) goes to a
// flusher goroutine as usual.
func (c *Conn) flushOnce() {
	if !c.isClosing() {
		if batch := c.take(nil); len(batch) > 0 {
			if _, ok := c.writeTaken(batch); !ok {
				return
			}
		}
		if c.stopFlush() {
			return
		}
	}
	go c.flush()
}

// writeTaken writes a batch from take and returns it emptied for reuse
// when it is small. On a write error it drops the connection, ends the
// Conn's flushing for good and reports false.
func (c *Conn) writeTaken(batch [][]byte) (spare [][]byte, ok bool) {
	err := c.writeBatch(batch)
	c.done()
	clear(batch) // the frames may be large; do not keep them
	if cap(batch) <= minQueueCap {
		spare = batch // small enough to reuse for the next batch
	}
	if err != nil {
		// The connection is broken or stuck; the reader will see it
		// closed and end the connection.
		c.log.Info("write failed; dropping connection", c.peerAttr(), "err", err)
		c.Close(websocket.StatusNormalClosure, "") // starts no flusher: this one runs
		_ = c.ws.CloseNow()                        // it is already closed or must be now
		c.markClosed()
		return nil, false
	}
	return spare, true
}

// writeBatch writes frames in order into the corked connection, stopping
// early when the Conn is closed, and sends them with one write(2).
// A close the library sends on its own (the reply to a client's close,
// from the reader) is seen by the corked connection, which drops frames
// after it.
func (c *Conn) writeBatch(frames [][]byte) error {
	c.cork.cork()
	for i, frame := range frames {
		if i > 0 && c.isClosing() {
			break // the close wins; send what is written so far
		}
		c.cork.appendText(frame)
	}
	return c.cork.uncork(c.writeTimeout)
}
