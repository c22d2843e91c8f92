package wsconn

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkWriterBurst is the writer's share of group fan-out: each op
// queues a burst of 50 frames for one connection and reads them back over
// loopback TCP with a plain client, so ns/op includes the client's reads.
func BenchmarkWriterBurst(b *testing.B) { benchmarkWriter(b, 50) }

// BenchmarkWriterOne is a frame to an otherwise idle session, as in a
// direct message: each op queues one frame and reads it back, so it
// includes starting the connection's flusher.
func BenchmarkWriterOne(b *testing.B) { benchmarkWriter(b, 1) }

func benchmarkWriter(b *testing.B, burst int) {
	sessions := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := New(testQueueSize)
		if err := s.Upgrade(w, r, Options{WriteTimeout: time.Minute}); err != nil {
			b.Errorf("Upgrade: %v", err)
			return
		}
		sessions <- s
		s.Serve(func(context.Context, websocket.MessageType, []byte) {})
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer client.CloseNow()
	s := <-sessions
	defer s.Close(websocket.StatusNormalClosure, "")
	frame := []byte(`{"type":"message_received","payload":{"id":"0b6c8a5e-1f7e-4a59-9d0e-3c1e4f2a7b10","channelId":"6f1d2c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b","senderId":"u-sender","clientMessageId":"c-1","body":"a message of fan-out","seq":1,"status":"sent","createdAt":"2026-11-22T23:30:00.000Z"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for range burst {
			if !s.Enqueue(frame) {
				b.Fatal("queue full")
			}
		}
		for range burst {
			if _, _, err := client.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkIdleSessionMemory opens 1,000 upgraded connections per op over
// loopback and reports what each holds once idle, after a GC: live heap
// and goroutine stacks. The clients are raw sockets in the same process,
// so the heap figure includes their side's net.Conn (about 0.3 KB).
func BenchmarkIdleSessionMemory(b *testing.B) {
	const conns = 1000
	opened := make(chan *Conn, conns)
	url := connServer(b, slog.New(slog.DiscardHandler), nil, opened, func(context.Context, *Conn, websocket.MessageType, []byte) {})
	addr := strings.TrimPrefix(url, "ws://")
	var heap, stacks float64
	for b.Loop() {
		before := memStats()
		clients := make([]net.Conn, conns)
		for i := range clients {
			clients[i] = dialUpgraded(b, addr)
		}
		sessions := make([]*Conn, conns)
		for i := range sessions {
			sessions[i] = <-opened
		}
		after := memStats()
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stacks += float64(after.StackInuse) - float64(before.StackInuse)
		for _, c := range clients {
			_ = c.Close()
		}
		for _, s := range sessions { // gone before the next op measures
			<-s.Closed()
		}
	}
	n := float64(b.N) * conns
	b.ReportMetric(heap/n, "heap-B/conn")
	b.ReportMetric(stacks/n, "stack-B/conn")
}

func memStats() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// dialUpgraded opens a WebSocket connection with a hand-written handshake,
// so that the client keeps no buffers of its own, and reads the 101.
func dialUpgraded(b *testing.B, addr string) net.Conn {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		b.Fatal(err)
	}
	var resp []byte
	buf := make([]byte, 256)
	for !bytes.HasSuffix(resp, []byte("\r\n\r\n")) {
		n, err := conn.Read(buf)
		if err != nil {
			b.Fatalf("read handshake response %q: %v", resp, err)
		}
		resp = append(resp, buf[:n]...)
	}
	if !bytes.HasPrefix(resp, []byte("HTTP/1.1 101")) {
		b.Fatalf("handshake response %q", resp)
	}
	return conn
}

// BenchmarkCommandRoundTrip is one frame from the client answered with one
// frame, over loopback: the reader's read, the command's goroutine, the
// flusher's start and write, and the client's side of both.
func BenchmarkCommandRoundTrip(b *testing.B) {
	url := connServer(b, slog.New(slog.DiscardHandler), nil, nil, func(_ context.Context, s *Conn, _ websocket.MessageType, data []byte) {
		s.Enqueue(bytes.Clone(data)) // data is valid only during the call
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer client.CloseNow()
	frame := []byte(`{"type":"heartbeat","requestId":"r-1","payload":{"status":"online"}}`)
	b.ReportAllocs()
	start := processCPU(b)
	for b.Loop() {
		if err := client.Write(ctx, websocket.MessageText, frame); err != nil {
			b.Fatal(err)
		}
		if _, _, err := client.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
	// On a shared machine the wall time of a loopback round trip swings
	// with the scheduler; the CPU it takes (client's side included) does
	// much less.
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time, user and system, this process has used.
func processCPU(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
