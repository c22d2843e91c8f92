package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// countedWrites counts a connection's write(2)s.
type countedWrites struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countedWrites) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func TestWriteFramesSendsABurstInOneWrite(t *testing.T) {
	got := make(chan string, 8)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		defer conn.CloseNow()
		ctx := context.Background()
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"ready","payload":{"userId":"u"}}`)); err != nil {
			return
		}
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			got <- string(data)
		}
	}))
	srv.Start()
	defer srv.Close()

	var writes atomic.Int64
	var dialer net.Dialer
	httpClient := &http.Client{Transport: &http.Transport{DialContext: dialCorked(func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countedWrites{Conn: conn, writes: &writes}, nil
	})}}
	c := newClient(0, user{ID: "u"}, func(*client, inFrame, time.Time) {})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), httpClient); err != nil {
		t.Fatal(err)
	}
	defer c.close(false)
	if c.cork == nil {
		t.Fatal("the dial did not record its connection: frames would go one write(2) each")
	}
	before := writes.Load()
	want := []string{string(heartbeatFrame("h1", "online")), string(heartbeatFrame("h2", "online")), string(heartbeatFrame("h3", "offline"))}
	frames := make([][]byte, len(want))
	for i, w := range want {
		frames[i] = []byte(w)
	}
	if err := c.writeFrames(frames); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if g := <-got; g != w {
			t.Fatalf("frame %d = %s, want %s", i, g, w)
		}
	}
	if n := writes.Load() - before; n != 1 {
		t.Errorf("three frames took %d writes, want 1", n)
	}
}
