package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// corkConn is a client's TCP connection under its websocket.Conn. The
// library writes every frame with a write(2) of its own; a client that
// keeps several commands in flight (presence: -inflight heartbeats per
// connection) sends them in a burst, and one system call per frame was a
// third of chatbench's CPU, taken from the server on a shared machine.
// While corked, writes collect in a buffer; uncork sends them in one
// write(2). Uncorked, writes pass straight through.
type corkConn struct {
	net.Conn

	mu     sync.Mutex
	corked int // nesting depth
	buf    []byte
}

// Write appends p while corked and writes it otherwise.
func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked > 0 {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked++
	c.mu.Unlock()
}

// uncork sends what was collected, within timeout, once the outermost
// cork ends.
func (c *corkConn) uncork(timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked--; c.corked > 0 || len(c.buf) == 0 {
		return nil
	}
	n := len(c.buf)
	if err := c.Conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	if err != nil {
		return fmt.Errorf("write %d corked bytes: %w", n, err)
	}
	return c.Conn.SetWriteDeadline(time.Time{})
}

// corkSlot carries, in a dial's context, where the Transport's dialer puts
// the connection it opened: websocket.Dial does not return it.
type corkSlot struct{}

// withCorkSlot returns a context whose dial records its connection in
// *slot.
func withCorkSlot(ctx context.Context, slot **corkConn) context.Context {
	return context.WithValue(ctx, corkSlot{}, slot)
}

// dialCorked wraps a dial function so that its connections can be corked.
func dialCorked(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := &corkConn{Conn: conn}
		if slot, ok := ctx.Value(corkSlot{}).(**corkConn); ok {
			*slot = cc
		}
		return cc, nil
	}
}
