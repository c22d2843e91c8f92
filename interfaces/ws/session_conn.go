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
// queued frames: a slow consumer gets its 4008 as soon as the frame being
// written is out.
func (s *session) writeLoop(ctx context.Context, conn *websocket.Conn, writeTimeout time.Duration, log *slog.Logger) {
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
		case frame := <-s.out:
			writeCtx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := conn.Write(writeCtx, websocket.MessageText, frame)
			cancel()
			if err != nil {
				// The library has closed the connection; the reader will
				// see that and end the session.
				log.InfoContext(ctx, "write failed; dropping connection", "session", s.id, "user", s.user.ID, "err", err)
				s.close(protocol.CloseNormal, "")
				_ = conn.CloseNow() // it is already closed or must be now
				return
			}
		}
	}
}
