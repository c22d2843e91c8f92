// Package wsconntest has what tests of WebSocket servers built on wsconn
// share: a listener that counts the write(2)s of its connections (the unit
// wsconn batches frames into) and a log sink for the server's goroutines.
package wsconntest

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// WriteCounter is a net.Listener that counts the Write calls, one write(2)
// each, of the connections it accepts. Put it in an
// httptest.NewUnstartedServer's Listener before Start.
type WriteCounter struct {
	net.Listener
	writes atomic.Int64
}

// Writes is how many writes the accepted connections have made so far.
func (l *WriteCounter) Writes() int64 { return l.writes.Load() }

// Accept wraps the accepted connection so that its writes are counted.
func (l *WriteCounter) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: conn, writes: &l.writes}, nil
}

type countedConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// SyscallConn exposes the socket, so that connections behind a counting
// listener read ahead as they do behind a real one.
func (c *countedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("%T has no file descriptor", c.Conn)
	}
	return sc.SyscallConn()
}

// LogBuffer is a log sink safe for the server's goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
