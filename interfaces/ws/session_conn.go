package ws

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/interfaces/protocol"
)

// frameHandler handles one frame read from the client.
type frameHandler func(ctx context.Context, s *session, typ websocket.MessageType, data []byte)

// serve runs the connection until either side ends it: the reader in this
// goroutine, handling commands one after the other, and a writer goroutine
// draining the queue. It returns when both have stopped.
func (s *session) serve(ctx context.Context, conn *websocket.Conn, writeTimeout time.Duration, handle frameHandler, log *slog.Logger) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop(ctx, conn, writeTimeout, log)
	}()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			// Client closes, 1009, shutdown and broken TCP all end here;
			// none of them is a server fault.
			log.DebugContext(ctx, "connection ended", "session", s.id, "user", s.user.ID, "err", err)
			break
		}
		handle(ctx, s, typ, data)
	}
	// The client left or the connection broke; make the writer finish.
	s.close(protocol.CloseNormal, "")
	<-writerDone
}

// writeLoop writes queued frames until the session is closed, then closes
// the connection with the session's close code. A close request wins over
// queued frames: a slow consumer gets its 4008 as soon as the frames being
// written are out.
//
// Each wakeup takes every queued frame as one batch: on a corked
// connection the batch leaves in one write(2) under one deadline of
// writeTimeout; otherwise every frame is its own write under one shared
// deadline. Frames keep their queue order either way.
func (s *session) writeLoop(ctx context.Context, conn *websocket.Conn, writeTimeout time.Duration, log *slog.Logger) {
	s.connMu.Lock()
	cork := s.cork
	s.connMu.Unlock()
	var spare [][]byte
	for {
		select {
		case <-s.closing:
			err := conn.Close(websocket.StatusCode(s.closeCode), s.closeReason)
			if err != nil && !errors.Is(err, context.Canceled) {
				log.DebugContext(ctx, "close handshake incomplete", "session", s.id, "user", s.user.ID, "code", int(s.closeCode), "err", err)
			}
			return
		default:
		}
		select {
		case <-s.closing:
		case <-s.wake:
			batch := s.take(spare)
			err := s.writeBatch(ctx, conn, cork, batch, writeTimeout)
			s.done()
			clear(batch) // the frames may be large; do not keep them
			spare = nil
			if cap(batch) <= minQueueCap {
				spare = batch // small enough to keep for the next batch
			}
			if err != nil {
				// The connection is broken or stuck; the reader will see
				// it closed and end the session.
				log.InfoContext(ctx, "write failed; dropping connection", "session", s.id, "user", s.user.ID, "err", err)
				s.close(protocol.CloseNormal, "")
				_ = conn.CloseNow() // it is already closed or must be now
				return
			}
		}
	}
}

// writeBatch writes frames in order, stopping early when the session is
// closed.
func (s *session) writeBatch(ctx context.Context, conn *websocket.Conn, cork *corkConn, frames [][]byte, writeTimeout time.Duration) error {
	if len(frames) == 0 {
		return nil
	}
	writeCtx := ctx
	if cork != nil {
		// Corked writes never wait for the network; uncork bounds the
		// one that does.
		cork.cork()
	} else {
		var cancel context.CancelFunc
		writeCtx, cancel = context.WithTimeout(ctx, writeTimeout)
		defer cancel()
	}
	var err error
	for i, frame := range frames {
		if i > 0 && s.isClosing() {
			break // the close wins; send what is written so far
		}
		if err = conn.Write(writeCtx, websocket.MessageText, frame); err != nil {
			break
		}
	}
	if cork != nil {
		if uerr := cork.uncork(writeTimeout); err == nil {
			err = uerr
		}
	}
	return err
}
