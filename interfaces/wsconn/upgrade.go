package wsconn

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// Options are what an upgraded connection needs besides its queue.
type Options struct {
	// WriteTimeout bounds one write(2) of queued frames, so a client that
	// stopped reading holds the connection's flusher for at most this long.
	WriteTimeout time.Duration
	// ReadLimit is the largest message the client may send, in bytes; a
	// larger one closes the connection with 1009. Zero means 32 KiB, the
	// library's default.
	ReadLimit int
	// Log receives what the connection reports itself: a panicking
	// handler (error), a failed write (info), the end of the connection
	// (debug).
	Log *slog.Logger
	// Peer names the other end in those log lines; its LogValue is a group
	// whose attributes are inlined (for example session and user ids).
	Peer slog.LogValuer
}

// Upgrade answers the WebSocket handshake of r and attaches the upgraded
// connection; frames queued and a close requested before it now go out.
// The caller has checked the request's origin and credentials. On error
// Upgrade has answered the request (websocket.Accept writes the HTTP error
// of a request that is not a WebSocket handshake).
func (c *Conn) Upgrade(w http.ResponseWriter, r *http.Request, opts Options) error {
	conn, err := websocket.Accept(&corkingWriter{ResponseWriter: w, c: c, timeout: opts.WriteTimeout}, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the caller's origin policy has decided already
		CompressionMode:    websocket.CompressionDisabled,
		// A ping is a frame from the client too: it counts for Silence.
		OnPingReceived: func(context.Context, []byte) bool {
			c.reads.heard()
			return true
		},
	})
	if err != nil {
		return err
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = defaultReadLimit
	}
	conn.SetReadLimit(int64(opts.ReadLimit))
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Peer == nil {
		opts.Peer = anonymous{}
	}
	c.attach(conn, opts)
	return nil
}

const defaultReadLimit = 32 << 10

// anonymous is the Peer of a connection that was given none.
type anonymous struct{}

func (anonymous) LogValue() slog.Value { return slog.GroupValue() }

// peerAttr is the Peer as a log attribute; its empty key inlines the
// group, so log lines read session=... user=... and not peer.session=...
func (c *Conn) peerAttr() slog.Attr {
	return slog.Attr{Key: "", Value: slog.AnyValue(c.peer)}
}

// Buffer sizes of an upgraded connection. net/http hands a hijacker its
// 4 KB reader and 4 KB writer, and coder/websocket keeps whatever it is
// given for the life of the connection: 8 KB of an idle connection's
// memory. These are enough for the usual frame (a heartbeat is 68 bytes, a
// send_message with a short body about 240); a bigger one costs one more
// read(2). Every control frame the library answers on its own (pong, the
// close reply) fits the writer whole, and the flusher's frames go to the
// corkConn's pooled buffer anyway.
const (
	readBufferSize  = 512
	writeBufferSize = 128
)

// corkingWriter hands websocket.Accept a hijacked connection whose writes
// go through a corkConn, with small buffers of its own, and records the
// corkConn in the Conn.
type corkingWriter struct {
	http.ResponseWriter
	c       *Conn
	timeout time.Duration // the write timeout of Options, for the corkConn
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *corkingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hijacks the connection and replaces net/http's buffers with small
// ones over a corkConn.
func (w *corkingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("response writer %T cannot hijack", w.ResponseWriter)
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Flush before redirecting: whatever net/http left buffered must reach
	// the client first and uncorked.
	if err := brw.Writer.Flush(); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("flush before upgrade: %w", err)
	}
	cc := &corkConn{Conn: conn, timeout: w.timeout}
	cc.ahead, _ = newReadAhead(conn)
	reader := brw.Reader
	if reader.Buffered() == 0 {
		// The usual case: the client waits for the 101 before it sends.
		// One that sent early keeps net/http's reader, whose buffered
		// bytes the library reads first.
		reader = bufio.NewReaderSize(cc, readBufferSize)
	}
	w.c.mu.Lock()
	w.c.cork = cc
	w.c.rd = reader
	w.c.ahead = cc.ahead
	w.c.mu.Unlock()
	return cc, bufio.NewReadWriter(reader, bufio.NewWriterSize(cc, writeBufferSize)), nil
}
