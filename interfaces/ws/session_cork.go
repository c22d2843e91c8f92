package ws

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// corkConn is the hijacked connection under a session's websocket.Conn. The
// library flushes every message with its own write(2); in fan-out a session
// often has many frames queued, and one system call per frame was most of
// the server's CPU. While corked, writes collect in a pooled buffer, and
// uncork sends them with one write(2) under one deadline. Uncorked, writes
// pass straight through. The mutex keeps the library's own writes (the
// reader's close replies) whole and in order with the corked ones.
type corkConn struct {
	net.Conn

	mu     sync.Mutex
	corked bool
	buf    *[]byte // from corkBufs while corked

	// ahead, when the socket allows it, is where reads go
	// (session_readahead.go). The library reads the connection it was
	// handed, not the bufio.Reader's source, so it has to sit here.
	ahead *readAhead
}

// Read reads through the read-ahead buffer when there is one.
func (c *corkConn) Read(p []byte) (int, error) {
	if c.ahead != nil {
		return c.ahead.Read(p)
	}
	return c.Conn.Read(p)
}

// corkBufs holds the buffers of drains in progress, so an idle connection
// keeps none.
var corkBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 16<<10)
	return &b
}}

// maxPooledCork bounds the buffers returned to the pool: a drain of huge
// history pages should not pin their memory for good.
const maxPooledCork = 256 << 10

// Write appends p while corked and writes it otherwise.
func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// cork starts collecting writes.
func (c *corkConn) cork() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		c.corked = true
		c.buf = corkBufs.Get().(*[]byte)
	}
}

// uncork writes what was collected in one system call, bounded by timeout,
// and lets later writes through.
func (c *corkConn) uncork(timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return nil
	}
	c.corked = false
	buf := c.buf
	c.buf = nil
	defer func() {
		if cap(*buf) <= maxPooledCork {
			*buf = (*buf)[:0]
			corkBufs.Put(buf)
		}
	}()
	if len(*buf) == 0 {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if _, err := c.Conn.Write(*buf); err != nil {
		return fmt.Errorf("write %d queued bytes: %w", len(*buf), err)
	}
	return c.Conn.SetWriteDeadline(time.Time{})
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
// corkConn in the session.
type corkingWriter struct {
	http.ResponseWriter
	s *session
}

// corking wraps w so that the upgraded connection of s can be corked.
func (s *session) corking(w http.ResponseWriter) http.ResponseWriter {
	return &corkingWriter{ResponseWriter: w, s: s}
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
	cc := &corkConn{Conn: conn}
	cc.ahead, _ = newReadAhead(conn)
	reader := brw.Reader
	if reader.Buffered() == 0 {
		// The usual case: the client waits for the 101 before it sends.
		// One that sent early keeps net/http's reader, whose buffered
		// bytes the library reads first.
		reader = bufio.NewReaderSize(cc, readBufferSize)
	}
	w.s.mu.Lock()
	w.s.cork = cc
	w.s.rd = reader
	w.s.ahead = cc.ahead
	w.s.mu.Unlock()
	return cc, bufio.NewReadWriter(reader, bufio.NewWriterSize(cc, writeBufferSize)), nil
}
