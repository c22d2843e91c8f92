package ws

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/coder/websocket"

	"github.com/chatd/chat/interfaces/protocol"
)

// frameHandler handles one frame read from the client. data is valid only
// during the call: the session reads its next message into the same
// pooled buffer (session_read.go), so a handler copies whatever it keeps.
type frameHandler func(ctx context.Context, s *session, typ websocket.MessageType, data []byte)

// serve reads the client's frames and has them handled, one after the
// other, until either side ends the connection; it returns once the
// flusher has closed it. Its goroutine is the connection's only one while
// nothing is written, and it spends its life parked in the library's read.
//
// Reads get a context that never ends: with one that can, coder/websocket
// registers a cancel callback per read, and the upgrade request's context
// ends anyway when ServeHTTP returns. Shutdown and broken connections end
// the read by closing the connection instead.
func (s *session) serve(handle frameHandler) {
	ctx := context.Background()
	for {
		typ, data, buf, err := s.readMessage(ctx, nil)
		if err == nil {
			err = runBatch(ctx, s, handle, typ, data, buf)
			buf.release()
		}
		if err != nil {
			// Client closes, 1009, shutdown and broken TCP all end here;
			// none of them is a server fault.
			s.log.Debug("connection ended", "session", s.id, "user", s.user.ID, "err", err)
			break
		}
	}
	// The client left or the connection broke; have the flusher finish.
	s.close(protocol.CloseNormal, "")
	<-s.closed
}

// handleFrame runs one frame's command. serve has it run by a pool worker
// (workers.go) and waits, which keeps the reader's stack small: decoding,
// the use case and encoding the reply take the stack past 4 KB, and Go
// gives a grown stack back only when a GC finds it parked using under a
// quarter of it, which the library's read chain never does. A reader that
// handled one heartbeat would keep 8 KB for the life of its connection;
// the few workers keep theirs instead. The hand-over costs two goroutine
// switches per command.
//
// handleFrame also recovers a panic: ServeHTTP has returned, so net/http
// no longer does, and a bug in one command must cost its connection, not
// the process.
func (s *session) handleFrame(ctx context.Context, handle frameHandler, typ websocket.MessageType, data []byte) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("command panicked; closing connection", "session", s.id, "user", s.user.ID, "panic", v, "stack", string(debug.Stack()))
			s.close(protocol.CloseInternalError, "internal error; reconnect")
		}
	}()
	handle(ctx, s, typ, data)
}

// flush writes queued frames until the queue is empty, then ends;
// enqueue starts a new flusher for the next frame. Each round takes every
// queued frame as one batch, and the batch leaves in one write(2) under
// one deadline of writeTimeout (session_cork.go), so a client that stopped
// reading holds only its own flusher, for at most that long. Frames keep
// their queue order.
//
// A close request wins over queued frames: a slow consumer gets its 4008
// as soon as the frames being written are out. The flusher that closes the
// connection is the session's last.
func (s *session) flush() {
	var spare [][]byte
	for !s.isClosing() {
		batch := s.take(spare)
		if len(batch) == 0 {
			if s.stopFlush() {
				return
			}
			continue
		}
		var ok bool
		if spare, ok = s.writeTaken(batch); !ok {
			return
		}
	}
	// The close handshake reads the client's close frame; a worker must
	// not peek at the reader meanwhile (session_batch.go).
	s.peekMu.Lock()
	err := s.conn.Close(websocket.StatusCode(s.closeCode), s.closeReason)
	s.peekMu.Unlock()
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Debug("close handshake incomplete", "session", s.id, "user", s.user.ID, "code", int(s.closeCode), "err", err)
	}
	close(s.closed)
}

// flushOnce is one round of flush in the caller's goroutine, for a caller
// that has just set flushing: the worker that ran a client's commands
// writes their replies itself instead of handing them to a new goroutine.
// What is left afterwards (frames queued meanwhile, a close) goes to a
// flusher goroutine as usual.
func (s *session) flushOnce() {
	if !s.isClosing() {
		if batch := s.take(nil); len(batch) > 0 {
			if _, ok := s.writeTaken(batch); !ok {
				return
			}
		}
		if s.stopFlush() {
			return
		}
	}
	go s.flush()
}

// writeTaken writes a batch from take and returns it emptied for reuse
// when it is small. On a write error it drops the connection, ends the
// session's flushing for good and reports false.
func (s *session) writeTaken(batch [][]byte) (spare [][]byte, ok bool) {
	err := s.writeBatch(batch)
	s.done()
	clear(batch) // the frames may be large; do not keep them
	if cap(batch) <= minQueueCap {
		spare = batch // small enough to reuse for the next batch
	}
	if err != nil {
		// The connection is broken or stuck; the reader will see it
		// closed and end the session.
		s.log.Info("write failed; dropping connection", "session", s.id, "user", s.user.ID, "err", err)
		s.close(protocol.CloseNormal, "") // starts no flusher: this one runs
		_ = s.conn.CloseNow()             // it is already closed or must be now
		close(s.closed)
		return nil, false
	}
	return spare, true
}

// writeBatch writes frames in order into the corked connection, stopping
// early when the session is closed, and sends them with one write(2).
func (s *session) writeBatch(frames [][]byte) error {
	// Corked writes never wait for the network, so they need no context
	// deadline; uncork bounds the one write that does.
	ctx := context.Background()
	s.cork.cork()
	var err error
	for i, frame := range frames {
		if i > 0 && s.isClosing() {
			break // the close wins; send what is written so far
		}
		if err = s.conn.Write(ctx, websocket.MessageText, frame); err != nil {
			err = fmt.Errorf("write frame %d of %d: %w", i+1, len(frames), err)
			break
		}
	}
	if uerr := s.cork.uncork(s.writeTimeout); err == nil {
		err = uerr
	}
	return err
}
