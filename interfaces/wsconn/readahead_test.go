package wsconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client, server
}

func TestReadAheadHandsOnEveryByteAndKeepsNoBufferWhenDrained(t *testing.T) {
	t.Parallel()
	client, server := tcpPair(t)
	ra, ok := newReadAhead(server)
	if !ok {
		t.Fatal("a TCP connection has no read-ahead")
	}
	sent := strings.Repeat("0123456789", 150)
	if _, err := client.Write([]byte(sent)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	p := make([]byte, 100)
	for len(got) < len(sent) {
		n, err := ra.Read(p)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, p[:n]...)
		if len(got) < len(sent) && ra.buf == nil && len(ra.pending()) > 0 {
			t.Fatal("pending bytes without a buffer")
		}
	}
	if string(got) != sent {
		t.Fatalf("read %q", got)
	}
	if ra.buf != nil || len(ra.pending()) != 0 {
		t.Errorf("drained read-ahead still holds a buffer (%d bytes pending)", len(ra.pending()))
	}

	// Waiting for data holds no buffer either: a read that ends without
	// data (here at its deadline) leaves none behind.
	if err := server.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Read(p); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read of an idle connection = %v, want the deadline", err)
	}
	if ra.buf != nil {
		t.Error("a read that waited in the poller kept a buffer")
	}
	if err := server.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}

	// A big read goes straight to the socket; the peer's close reads as EOF.
	big := bytes.Repeat([]byte{'b'}, readAheadSize)
	if _, err := client.Write(big[:10]); err != nil {
		t.Fatal(err)
	}
	if n, err := ra.Read(big); err != nil || n != 10 {
		t.Fatalf("big read = %d, %v", n, err)
	}
	_ = client.Close()
	if _, err := ra.Read(p); !errors.Is(err, io.EOF) {
		t.Errorf("read after the peer closed = %v, want EOF", err)
	}
	if ra.buf != nil {
		t.Error("EOF kept a buffer")
	}
}
