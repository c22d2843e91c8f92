package wsconn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestCloseFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want websocket.StatusCode
	}{
		{"invalid UTF-8", errInvalidUTF8, websocket.StatusInvalidFramePayloadData},
		{"client close", fmt.Errorf("failed to get reader: %w", websocket.CloseError{Code: websocket.StatusGoingAway}), websocket.StatusNormalClosure},
		{"too big", fmt.Errorf("failed to read: %w", websocket.ErrMessageTooBig), websocket.StatusNormalClosure},
		{"peer gone", fmt.Errorf("failed to read frame header: %w", io.EOF), websocket.StatusNormalClosure},
		{"cut mid-frame", fmt.Errorf("failed to read frame payload: %w", io.ErrUnexpectedEOF), websocket.StatusNormalClosure},
		{"closed here", fmt.Errorf("failed to get reader: %w", net.ErrClosed), websocket.StatusNormalClosure},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", errors.New("connection reset by peer"))}, websocket.StatusNormalClosure},
		{"unmasked", errors.New("failed to get reader: received unmasked frame from client"), websocket.StatusProtocolError},
	}
	for _, tt := range tests {
		if got, _ := closeFor(tt.err); got != tt.want {
			t.Errorf("%s: closeFor(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

// readCloseCode reads the server's frames until its close frame and
// returns the code in it.
func readCloseCode(t *testing.T, c *rawClient) websocket.StatusCode {
	t.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	for {
		var head [2]byte
		if _, err := io.ReadFull(c.br, head[:]); err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		length := int(head[1] & 0x7f)
		if length == 126 {
			var ext [2]byte
			if _, err := io.ReadFull(c.br, ext[:]); err != nil {
				t.Fatal(err)
			}
			length = int(binary.BigEndian.Uint16(ext[:]))
		}
		payload := make([]byte, length)
		if _, err := io.ReadFull(c.br, payload); err != nil {
			t.Fatal(err)
		}
		if head[0]&0x0f == 0x8 {
			if len(payload) < 2 {
				t.Fatalf("close frame without a code: % x", payload)
			}
			return websocket.StatusCode(binary.BigEndian.Uint16(payload))
		}
	}
}

func TestBadClientFramesCloseWithTheirRFCCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		frame []byte
		want  websocket.StatusCode
	}{
		// RFC 6455 section 8.1: a text message must be UTF-8.
		{"invalid UTF-8", textFrame("ok \xff\xfe"), websocket.StatusInvalidFramePayloadData},
		// Section 5.1: a server closes on an unmasked client frame (1002).
		{"unmasked", []byte{0x81, 2, 'h', 'i'}, websocket.StatusProtocolError},
		// Reserved bits: the library's own 1002, still 1002.
		{"RSV2 set", append([]byte{0xa1}, textFrame("x")[1:]...), websocket.StatusProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			handled := make(chan string, 4)
			url := connServer(t, slog.New(slog.DiscardHandler), nil, nil, func(_ context.Context, s *Conn, _ websocket.MessageType, data []byte) {
				handled <- string(data)
				s.EnqueueReply([]byte("re:" + string(data)))
			})
			c := dialRaw(t, url)
			// A good frame first: the connection works until the bad one.
			if _, err := c.conn.Write(textFrame("fine")); err != nil {
				t.Fatal(err)
			}
			if got := readFrames(t, c); len(got) != 1 || got[0] != "re:fine" {
				t.Fatalf("reply to a good frame = %q", got)
			}
			if _, err := c.conn.Write(tt.frame); err != nil {
				t.Fatal(err)
			}
			if got := readCloseCode(t, c); got != tt.want {
				t.Fatalf("closed with %d, want %d", got, tt.want)
			}
			if len(handled) != 1 {
				t.Errorf("%d messages reached the handler, want only the good one", len(handled))
			}
		})
	}
}
