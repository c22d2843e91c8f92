package main

import (
	"context"
	"io"
	"sync"

	"github.com/coder/websocket"
)

// frameBuffer holds one server message at a time. coder/websocket's
// Conn.Read allocates a fresh slice per message (io.ReadAll), a fifth of
// chatbench's CPU per heartbeat with the garbage collection it caused; the
// read loop reads into these instead. A buffer is taken only once a
// message has started and given back once it is handled, so thousands of
// idle connections share a few.
type frameBuffer struct {
	data []byte
}

var frameBuffers = sync.Pool{New: func() any { return &frameBuffer{data: make([]byte, 0, 1024)} }}

// maxPooledFrame bounds the buffers kept for reuse: a history page can
// take a buffer to readLimit, and a pool of those would hold megabytes
// for the rare frame that needs them.
const maxPooledFrame = 64 << 10

// readFrame waits for the next message and reads it into a pooled
// buffer, which the caller releases once done with the data.
func readFrame(ctx context.Context, conn *websocket.Conn) ([]byte, *frameBuffer, error) {
	_, r, err := conn.Reader(ctx)
	if err != nil {
		return nil, nil, err
	}
	buf := frameBuffers.Get().(*frameBuffer)
	data, err := buf.readFrom(r)
	if err != nil {
		buf.release()
		return nil, nil, err
	}
	return data, buf, nil
}

// readFrom reads the rest of a message to EOF, as io.ReadAll does (so the
// read limit applies as before), into the buffer.
func (b *frameBuffer) readFrom(r io.Reader) ([]byte, error) {
	data := b.data[:0]
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		b.data = data
		// Only the bare io.EOF ends a message, as in io.ReadAll: a
		// wrapped one is a connection that broke in the middle of it.
		if err == io.EOF { //nolint:errorlint // see above
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// release gives the buffer back; the data read into it must not be used
// afterwards.
func (b *frameBuffer) release() {
	if cap(b.data) <= maxPooledFrame {
		frameBuffers.Put(b)
	}
}
