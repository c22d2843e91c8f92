package wsconn

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// corkConn is the hijacked connection under a Conn's websocket.Conn. The
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
	// (readahead.go). The library reads the connection it was
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
