package wsconn

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"
)

// corkConn is the hijacked connection under a Conn's websocket.Conn. The
// library flushes every message with its own write(2); in fan-out a session
// often has many frames queued, and one system call per frame was most of
// the server's CPU. While corked, writes collect in a pooled buffer, and
// uncork sends them with one write(2) under a deadline. Uncorked, writes
// pass straight through. The mutex keeps the library's own writes (the
// reader's close replies) whole and in order with the corked ones.
type corkConn struct {
	net.Conn

	mu     sync.Mutex
	corked bool
	buf    *[]byte // from corkBufs while corked
	// until is the write deadline in force, zero before the first
	// write; timeout is the connection's write timeout (Options), which
	// uncork is given as well (keepDeadline).
	until   time.Time
	timeout time.Duration
	// closeSent is set once the library has written a close frame;
	// appendText drops data from then on (RFC 6455 section 5.5.1: no
	// data frame after a close).
	closeSent bool

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
	if len(p) > 0 && p[0] == finClose {
		// Every Write of the library is whole frames (see appendText),
		// so this is the header of a close: the library replying to
		// the client's, or closing with a status of ours.
		c.closeSent = true
	}
	if c.corked {
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	// Under the flusher's deadline, as a batch: a client that reads
	// nothing holds a control frame's writer (a pong of pings.go, the
	// library's close) at most timeout, from the first write on.
	if err := c.keepDeadline(c.timeout); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// keepDeadline makes sure the next write has at least half of timeout to
// finish and at most all of it (none when timeout is 0). Setting a
// deadline takes the runtime's timer lock and, on a flusher's young stack,
// grew it by copying: a set and a clear per batch were 7 % of chatd's CPU
// in group fan-out. So a deadline is set only when the one in force runs
// low, and never cleared. The caller holds mu.
func (c *corkConn) keepDeadline(timeout time.Duration) error {
	if timeout <= 0 {
		return nil
	}
	now := time.Now()
	if c.until.Sub(now) >= timeout/2 {
		return nil
	}
	c.until = now.Add(timeout)
	if err := c.Conn.SetWriteDeadline(c.until); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	return nil
}

// appendText appends p as one final, unmasked text frame (RFC 6455
// section 5.2: a server masks nothing) to what is collected; the
// connection must be corked. The flusher frames its data itself:
// coder/websocket's Write took a channel-based lock and reset its message
// writer per frame, a fifth of chatd's CPU in group fan-out. The library
// still writes the control frames (pongs, closes), each with one Write
// under mu, so they never land inside one of these; once one of them was
// a close, data is dropped here.
func (c *corkConn) appendText(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closeSent {
		*c.buf = appendTextFrame(*c.buf, p)
	}
}

// First bytes of a final frame's header, by opcode (RFC 6455 section 5.2).
const (
	finText  = 0x80 | 0x1
	finClose = 0x80 | 0x8
)

func appendTextFrame(b, p []byte) []byte {
	switch n := len(p); {
	case n <= 125:
		b = append(b, finText, byte(n))
	case n <= 0xffff:
		b = append(b, finText, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, finText, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, p...)
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

// uncork writes what was collected in one system call, which may wait at
// most timeout (keepDeadline), and lets later writes through.
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
	c.timeout = timeout
	if err := c.keepDeadline(timeout); err != nil {
		return err
	}
	if _, err := c.Conn.Write(*buf); err != nil {
		return fmt.Errorf("write %d queued bytes: %w", len(*buf), err)
	}
	return nil
}
