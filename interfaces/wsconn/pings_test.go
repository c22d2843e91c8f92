package wsconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A client that only pings gets its pongs, and its connection parks after
// each ping instead of keeping a goroutine in the library's read until
// the next message.
func TestPingsAloneLeaveTheConnectionParked(t *testing.T) {
	ps := newParkServer(t, false)
	cl := dialConn(t, ps.url)
	c := receive(t, ps.opened, "started connection")
	receive(t, ps.parks, "first parking")
	cl.conn.CloseRead(context.Background()) // reads the pongs for Ping
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		err := cl.conn.Ping(ctx)
		cancel()
		if err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
		receive(t, ps.parks, fmt.Sprintf("parking after ping %d", i))
	}
	if n := readersInStacks(); n != 0 {
		t.Fatalf("%d goroutines read a connection that only pings, want none", n)
	}
	if c.poll == nil {
		t.Fatal("the connection does not use the poller")
	}
}

// Pings among pipelined messages are answered, and every message still
// is, in order.
func TestPingsAmongMessagesAreAnswered(t *testing.T) {
	ps := newParkServer(t, false)
	cl := dialConn(t, ps.url)
	receive(t, ps.opened, "started connection")
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	echoes := make(chan string, 64)
	go func() {
		for {
			_, data, err := cl.conn.Read(ctx) // also reads the pongs
			if err != nil {
				close(echoes)
				return
			}
			echoes <- string(data)
		}
	}()
	const n = 20
	for i := range n {
		cl.sendRaw(websocket.MessageText, []byte(fmt.Sprint(i)))
		if i%3 == 0 {
			if err := cl.conn.Ping(ctx); err != nil {
				t.Fatalf("ping after message %d: %v", i, err)
			}
		}
	}
	for i := range n {
		if got, want := <-echoes, fmt.Sprintf("echo %d", i); got != want {
			t.Fatalf("echo %d: got %q, want %q", i, got, want)
		}
	}
}

func TestPingFrameSizeTakesOnlyWholeMaskedPingHeaders(t *testing.T) {
	for _, c := range []struct {
		what            string
		buffered, ahead []byte
		size            int
		ok              bool
	}{
		{"an empty ping", []byte{0x89, 0x80}, nil, 6, true},
		{"a ping of 125 bytes", []byte{0x89, 0x80 | 125}, nil, 131, true},
		{"a header split between the buffers", []byte{0x89}, []byte{0x85}, 11, true},
		{"a header all in the read-ahead", nil, []byte{0x89, 0x81}, 7, true},
		{"one byte only", []byte{0x89}, nil, 0, false},
		{"an unmasked ping", []byte{0x89, 0x05}, nil, 0, false},
		{"a ping that is not final", []byte{0x09, 0x80}, nil, 0, false},
		{"a ping over 125 bytes", []byte{0x89, 0x80 | 126}, nil, 0, false},
		{"a text frame", []byte{0x81, 0x80}, nil, 0, false},
		{"a close", []byte{0x88, 0x80}, nil, 0, false},
		{"a pong", []byte{0x8a, 0x80}, nil, 0, false},
	} {
		if size, ok := pingFrameSize(c.buffered, c.ahead); size != c.size || ok != c.ok {
			t.Errorf("%s: size %d, %v; want %d, %v", c.what, size, ok, c.size, c.ok)
		}
	}
}

func TestPongForUnmasksThePingsPayload(t *testing.T) {
	key := []byte{0x12, 0x34, 0x56, 0x78}
	payload := []byte("are you there?")
	ping := append([]byte{finPing, 0x80 | byte(len(payload))}, key...)
	for i, b := range payload {
		ping = append(ping, b^key[i%4])
	}
	want := append([]byte{finPong, byte(len(payload))}, payload...)
	if got := pongFor(ping); !bytes.Equal(got, want) {
		t.Fatalf("pong % x, want % x", got, want)
	}
}

// A pong to a client that reads nothing waits at most the write timeout,
// as a batch would, even before any batch has set a deadline: the reader
// that writes it must not hang in the write.
func TestPongWriteToAClientThatReadsNothingIsBounded(t *testing.T) {
	server, client := net.Pipe() // a pipe write waits until the other end reads
	t.Cleanup(func() { _ = server.Close(); _ = client.Close() })
	cc := &corkConn{Conn: server, timeout: 50 * time.Millisecond}
	done := make(chan error, 1)
	go func() {
		_, err := cc.Write([]byte{finPong, 0})
		done <- err
	}()
	if err := receive(t, done, "end of the pong write"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("pong write to a client that reads nothing: %v, want the deadline exceeded", err)
	}
}
