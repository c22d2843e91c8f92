package wsconn

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/interfaces/wsconn/wsconntest"
)

func TestWholeDataFrame(t *testing.T) {
	t.Parallel()
	masked := func(b0 byte, payload int) []byte {
		return append([]byte{b0, 0x80 | byte(payload), 1, 2, 3, 4}, make([]byte, payload)...)
	}
	long := append([]byte{0x81, 0x80 | 126, 0x01, 0x00, 1, 2, 3, 4}, make([]byte, 256)...)
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"empty", nil, false},
		{"one byte", []byte{0x81}, false},
		{"text, whole", masked(0x81, 5), true},
		{"binary, whole", masked(0x82, 5), true},
		{"text, one byte short", masked(0x81, 5)[:10], false},
		{"text, then more", append(masked(0x81, 5), 0x81), true},
		{"unmasked, whole", []byte{0x81, 2, 'h', 'i'}, true},
		{"fragment", masked(0x01, 5), false},
		{"continuation", masked(0x80, 5), false},
		{"ping", masked(0x89, 5), false},
		{"close", masked(0x88, 2), false},
		{"16-bit length, whole", long, true},
		{"16-bit length, short", long[:len(long)-1], false},
		{"16-bit length, header cut", long[:3], false},
		{"64-bit length", []byte{0x81, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wholeDataFrame(tt.b, nil); got != tt.want {
				t.Errorf("wholeDataFrame(% x) = %v, want %v", tt.b, got, tt.want)
			}
			// The same bytes split anywhere between the bufio.Reader and
			// the read-ahead buffer read the same.
			for cut := range len(tt.b) + 1 {
				if got := wholeDataFrame(tt.b[:cut], tt.b[cut:]); got != tt.want {
					t.Errorf("wholeDataFrame split at %d of % x = %v, want %v", cut, tt.b, got, tt.want)
				}
			}
		})
	}
}

// rawClient is a WebSocket client over a bare TCP connection, so a test
// controls how frames are grouped into write(2)s and sees how the server's
// frames arrive.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, wsURL string) *rawClient {
	t.Helper()
	host := strings.TrimPrefix(wsURL, "ws://")
	conn, err := net.DialTimeout("tcp", host, ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", host)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if br.Buffered() != 0 {
		t.Fatalf("%d bytes after the 101 before anything was sent", br.Buffered())
	}
	return &rawClient{conn: conn, br: br}
}

// textFrame is a final, masked client text frame.
func textFrame(payload string) []byte {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	frame := append([]byte{0x81, 0x80 | byte(len(payload))}, key[:]...)
	for i := range len(payload) {
		frame = append(frame, payload[i]^key[i%4])
	}
	return frame
}

// readFrames reads the server's unmasked text frames out of what one
// read(2) returned.
func readFrames(t *testing.T, c *rawClient) []string {
	t.Helper()
	buf := make([]byte, 64<<10)
	n, err := c.conn.Read(buf)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var frames []string
	for b := buf[:n]; len(b) > 0; {
		if len(b) < 2 || b[0] != 0x81 || b[1] >= 126 || len(b) < 2+int(b[1]) {
			t.Fatalf("not whole short text frames: % x", b)
		}
		frames = append(frames, string(b[2:2+b[1]]))
		b = b[2+b[1]:]
	}
	return frames
}

func TestFramesReadTogetherAreAnsweredInOrderInOneWrite(t *testing.T) {
	t.Parallel()
	handled := make(chan string, 16)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := New(testQueueSize)
		if err := s.Upgrade(w, r, Options{WriteTimeout: ioTimeout}); err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		go s.Serve(func(_ context.Context, _ websocket.MessageType, data []byte) {
			handled <- string(data)
			s.EnqueueReply([]byte("re:" + string(data)))
		})
	}))
	counter := &wsconntest.WriteCounter{Listener: srv.Listener}
	srv.Listener = counter
	srv.Start()
	t.Cleanup(srv.Close)
	c := dialRaw(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	before := counter.Writes()

	var burst []byte
	for i := range 4 {
		burst = append(burst, textFrame(fmt.Sprintf("hb-%d", i))...)
	}
	if _, err := c.conn.Write(burst); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 4 {
		got = append(got, readFrames(t, c)...)
	}
	want := []string{"re:hb-0", "re:hb-1", "re:hb-2", "re:hb-3"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("replies %q, want %q", got, want)
	}
	// The four frames came in one read(2); their replies leave in one
	// write(2).
	if n := counter.Writes() - before; n != 1 {
		t.Errorf("four replies took %d writes, want 1", n)
	}
	for i := range 4 {
		if h := <-handled; h != fmt.Sprintf("hb-%d", i) {
			t.Errorf("command %d handled was %q", i, h)
		}
	}

	// A frame alone is answered alone, without waiting for another.
	if _, err := c.conn.Write(textFrame("alone")); err != nil {
		t.Fatal(err)
	}
	if got := readFrames(t, c); len(got) != 1 || got[0] != "re:alone" {
		t.Fatalf("reply to a lone frame = %q", got)
	}
}

func TestBurstLargerThanTheReadBufferIsAnsweredInOneWrite(t *testing.T) {
	t.Parallel()
	// 16 heartbeats in flight, as chatbench's presence run keeps them,
	// are more than the Conn's 512-byte bufio.Reader holds; the read
	// ahead below it must still show them all to handleBatch.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := New(testQueueSize)
		if err := s.Upgrade(w, r, Options{WriteTimeout: ioTimeout}); err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		if s.cork == nil {
			t.Error("the connection was not upgraded through a corkConn")
		}
		if s.ahead == nil {
			t.Error("the connection does not read ahead")
		}
		go s.Serve(func(_ context.Context, _ websocket.MessageType, data []byte) {
			s.EnqueueReply([]byte("re:" + string(data)))
		})
	}))
	counter := &wsconntest.WriteCounter{Listener: srv.Listener}
	srv.Listener = counter
	srv.Start()
	t.Cleanup(srv.Close)
	c := dialRaw(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	before := counter.Writes()

	var burst []byte
	var want []string
	for i := range 16 {
		hb := fmt.Sprintf(`{"type":"heartbeat","requestId":"h%02d","payload":{"status":"online"}}`, i)
		burst = append(burst, textFrame(hb)...)
		want = append(want, "re:"+hb)
	}
	if len(burst) <= readBufferSize {
		t.Fatalf("the burst of %d bytes fits the bufio.Reader; the test needs more", len(burst))
	}
	if _, err := c.conn.Write(burst); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(want) {
		got = append(got, readFrames(t, c)...)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("replies %q, want %q", got, want)
	}
	if n := counter.Writes() - before; n != 1 {
		t.Errorf("16 replies took %d writes, want 1", n)
	}
}

func TestFrameSplitAcrossReadsIsHandledOnceWhole(t *testing.T) {
	t.Parallel()
	url := connServer(t, slog.New(slog.DiscardHandler), nil, nil, func(_ context.Context, s *Conn, _ websocket.MessageType, data []byte) {
		s.EnqueueReply([]byte("re:" + string(data)))
	})
	c := dialRaw(t, url)
	// The second frame is cut: the worker must not wait in a read for its
	// tail while holding the first reply.
	second := textFrame("second")
	if _, err := c.conn.Write(append(textFrame("first"), second[:4]...)); err != nil {
		t.Fatal(err)
	}
	if got := readFrames(t, c); len(got) != 1 || got[0] != "re:first" {
		t.Fatalf("reply to the whole frame = %q", got)
	}
	if _, err := c.conn.Write(second[4:]); err != nil {
		t.Fatal(err)
	}
	if got := readFrames(t, c); len(got) != 1 || got[0] != "re:second" {
		t.Fatalf("reply to the completed frame = %q", got)
	}
}
