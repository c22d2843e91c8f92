package wsconn

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// readAhead sits between a Conn's small bufio.Reader and its TCP
// connection (in corkConn.Read). The bufio.Reader is 512 bytes because the library keeps it
// for the life of the connection (upgrade.go), but a client that
// pipelines commands sends more than that at once: 16 heartbeats in
// flight are about 1.2 KB. With only 512 bytes in view, handleBatch saw a
// third of them complete, so their replies left in three write(2)s and the
// reader made three read(2)s, the largest part of chatd's CPU per
// heartbeat.
//
// readAhead reads up to readAheadSize bytes per read(2) into a pooled
// buffer and hands them to the bufio.Reader as it asks. It takes the
// buffer only once the socket has data (it waits for readability in the
// runtime's poller without one), and gives it back as soon as the last
// byte is handed on, so an idle connection, parked in a read, holds none.
type readAhead struct {
	conn net.Conn
	raw  syscall.RawConn
	buf  *[]byte // held only while unread is not empty
	// unread are the bytes read from the socket that the bufio.Reader has
	// not taken yet. Only whoever reads the connection touches it, and
	// handleBatch's look ahead does so under peekMu like bufio's bytes.
	unread []byte

	// readFd is the callback of raw.Read, made once: a closure made per
	// fill escaped to the heap (three allocations per read). It leaves its
	// results in n and readErr.
	readFd func(fd uintptr) bool
	// noWait makes readFd report an empty socket as done instead of
	// waiting (tryFill); a flag rather than a second callback, which
	// would cost every connection a closure.
	noWait  bool
	n       int
	readErr error
}

const readAheadSize = 4096

var readAheadBuffers = sync.Pool{New: func() any {
	b := make([]byte, readAheadSize)
	return &b
}}

// newReadAhead returns a readAhead over conn, which must expose its file
// descriptor (a *net.TCPConn does); ok is false otherwise, and the caller
// reads conn directly.
func newReadAhead(conn net.Conn) (*readAhead, bool) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	r := &readAhead{conn: conn, raw: rc}
	r.readFd = r.readSocket
	return r, true
}

// Read hands on read-ahead bytes, reading more from the socket when there
// are none.
func (r *readAhead) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(r.unread) == 0 {
		if len(p) >= readAheadSize {
			return r.conn.Read(p) // a big read needs no copy
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.unread)
	r.unread = r.unread[n:]
	if len(r.unread) == 0 {
		r.releaseBuffer()
	}
	return n, nil
}

// fill reads what the socket holds into a pooled buffer, waiting for data
// without one: the callback returns false on EAGAIN, which parks the
// goroutine in the poller until the socket is readable, and is run again
// then. Deadlines and Close end the wait as for conn.Read.
func (r *readAhead) fill() error {
	err := r.raw.Read(r.readFd)
	n, readErr := r.n, r.readErr
	r.readErr = nil
	switch {
	case err != nil:
		r.releaseBuffer()
		return err
	case readErr != nil:
		r.releaseBuffer()
		return &net.OpError{Op: "read", Net: r.conn.LocalAddr().Network(), Source: r.conn.LocalAddr(), Addr: r.conn.RemoteAddr(), Err: os.NewSyscallError("read", readErr)}
	case n <= 0:
		r.releaseBuffer()
		return io.EOF
	}
	r.unread = (*r.buf)[:n]
	return nil
}

// tryFill reads what the socket holds now, as fill does, but does not wait
// when it holds nothing. An end or error it meets is not reported: a
// socket that ended reports an end to the next Read as well.
func (r *readAhead) tryFill() fillResult {
	r.noWait = true
	err := r.raw.Read(r.readFd)
	r.noWait = false
	n, readErr := r.n, r.readErr
	r.readErr = nil
	switch {
	case errors.Is(readErr, syscall.EAGAIN):
		return fillIdle // readSocket gave the buffer back
	case err != nil || readErr != nil || n <= 0:
		r.releaseBuffer()
		return fillEnded
	}
	r.unread = (*r.buf)[:n]
	return fillData
}

// readSocket is fill's callback: one read(2) into a pooled buffer, which
// it gives back when the socket has nothing yet (and then has raw.Read
// wait for readability, unless noWait).
func (r *readAhead) readSocket(fd uintptr) bool {
	r.buf = readAheadBuffers.Get().(*[]byte)
	for {
		r.n, r.readErr = syscall.Read(int(fd), *r.buf)
		if !errors.Is(r.readErr, syscall.EINTR) {
			break
		}
	}
	if errors.Is(r.readErr, syscall.EAGAIN) {
		r.releaseBuffer()
		return r.noWait
	}
	return true
}

func (r *readAhead) releaseBuffer() {
	if r.buf != nil {
		readAheadBuffers.Put(r.buf)
	}
	r.buf, r.unread = nil, nil
}

// pending returns the bytes read from the socket and not yet taken by the
// bufio.Reader above.
func (r *readAhead) pending() []byte {
	if r == nil {
		return nil
	}
	return r.unread
}
