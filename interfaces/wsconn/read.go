package wsconn

import (
	"context"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// readBuffer holds one client message at a time. coder/websocket's
// Conn.Read allocates a fresh slice per message (io.ReadAll, 512 bytes and
// up), which was an eighth of chatd's CPU per heartbeat with the garbage
// collection it caused. Conns read into these instead.
//
// A Conn takes a buffer from readBuffers only once a message's header
// has arrived and gives it back when the commands read with it have run,
// so an idle connection holds none (the idle target is 14 KiB per
// connection): there are about as many buffers as messages being handled,
// not as connections.
type readBuffer struct {
	data []byte
}

// messageBufferSize is a new buffer's capacity: a heartbeat or a send of a
// short message fits. A longer message grows the buffer, up to the read
// limit (Options.ReadLimit), and the grown buffer goes back to the
// pool, which the garbage collector empties over time.
const messageBufferSize = 1024

var readBuffers = sync.Pool{New: func() any {
	return &readBuffer{data: make([]byte, 0, messageBufferSize)}
}}

// scrubReadBuffers makes every buffer's old content unreadable before the
// buffer is reused or pooled. Tests turn it on (ScrubReadBuffers), so that
// a handler that keeps data past its call (which the rule of Handler
// forbids) reads garbage and fails, instead of passing by luck.
var scrubReadBuffers = false

// ScrubReadBuffers makes every read buffer's old content unreadable before
// it is reused, for the rest of the process. It is for tests of Handlers:
// one that keeps data past its call then fails instead of passing by luck.
// It costs a memset per message; production never calls it. Call it before
// any connection is served (in a test package's init).
func ScrubReadBuffers() { scrubReadBuffers = true }

func takeReadBuffer() *readBuffer {
	return readBuffers.Get().(*readBuffer)
}

// release gives the buffer back; neither it nor any data read into it may
// be used afterwards. readLimit is the connection's (Options.ReadLimit).
func (b *readBuffer) release(readLimit int) {
	b.scrub()
	if cap(b.data) > readLimit+messageBufferSize {
		return // cannot happen under the read limit; do not pool it anyway
	}
	readBuffers.Put(b)
}

func (b *readBuffer) scrub() {
	if scrubReadBuffers {
		full := b.data[:cap(b.data)]
		for i := range full {
			full[i] = 0xa5
		}
	}
	b.data = b.data[:0]
}

// readFrom reads the rest of a message from r (a Conn.Reader) into the
// buffer, replacing what it held, and returns it. It reads to EOF the way
// io.ReadAll does, so the read limit applies as before: an oversized
// message fails here and the library closes the connection with 1009.
func (b *readBuffer) readFrom(r io.Reader) ([]byte, error) {
	b.scrub()
	data := b.data
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grow, keeping what is read
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		// Only the bare io.EOF ends a message, as in io.ReadAll: a
		// wrapped one is a connection that broke in the middle of it.
		if err == io.EOF { //nolint:errorlint // see above
			b.data = data
			return data, nil
		}
		if err != nil {
			b.data = data
			return nil, err
		}
	}
}

// readMessage waits for the client's next message and reads it into buf,
// or, when buf is nil, into a buffer it takes once the message has
// started; the caller then owns that buffer and must release it. On error
// no buffer is taken. A text message that is not UTF-8 is an error
// (errInvalidUTF8).
func (c *Conn) readMessage(ctx context.Context, buf *readBuffer) (websocket.MessageType, []byte, *readBuffer, error) {
	typ, r, err := c.ws.Reader(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	c.reads.headerIn()
	taken := buf == nil
	if taken {
		buf = takeReadBuffer()
	}
	data, err := buf.readFrom(r)
	if err == nil && typ == websocket.MessageText && !utf8.Valid(data) {
		err = errInvalidUTF8
	}
	if err != nil {
		c.reads.messageEnded()
		if taken {
			buf.release(c.readLimit)
		}
		return 0, nil, nil, err
	}
	c.reads.messageIn()
	return typ, data, buf, nil
}
