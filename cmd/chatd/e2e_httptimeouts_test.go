package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/chatd/chat/infrastructure/config"
)

// shortHTTP are the HTTP bounds of these tests, far below the defaults so
// that waiting for them stays short.
var shortHTTP = config.HTTPTimeouts{ReadHeader: 300 * time.Millisecond, Read: 500 * time.Millisecond, Idle: 300 * time.Millisecond}

// dialTCP opens a plain TCP connection to the server.
func dialTCP(t *testing.T, s *testServer) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.addr, waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// awaitServerClose reads (and drops) whatever the server sends until it
// closes the connection, failing if that takes longer than waitTimeout.
func awaitServerClose(t *testing.T, conn net.Conn) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("the server kept the connection open for %v", waitTimeout)
	}
}

func TestHTTPClosesSilentPeers(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.HTTP = shortHTTP })

	t.Run("idle keep-alive connection", func(t *testing.T) {
		conn := dialTCP(t, s)
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", s.addr)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("keep-alive request: %v %v", resp, err)
		}
		_ = resp.Body.Close()
		awaitServerClose(t, conn) // no next request: closed after Idle
	})
	t.Run("headers that stall", func(t *testing.T) {
		conn := dialTCP(t, s)
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", s.addr) // no blank line
		awaitServerClose(t, conn)
	})
	t.Run("body that stalls", func(t *testing.T) {
		conn := dialTCP(t, s)
		fmt.Fprintf(conn, "POST /admin/v1/users HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":", s.addr, testAdminToken)
		awaitServerClose(t, conn)
	})
}

func TestWebSocketOutlivesTheHTTPReadTimeout(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.HTTP = shortHTTP })
	alice, _ := s.login("alice")

	// A request opened after the upgrade is cut by the read timeout; by
	// then the upgrade request's own deadline has passed too.
	conn := dialTCP(t, s)
	fmt.Fprintf(conn, "POST /admin/v1/users HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 10\r\n\r\n{", s.addr, testAdminToken)
	awaitServerClose(t, conn)

	var users struct{ Users []any }
	alice.mustRequest("get_users", map[string]any{"userIds": []string{}}, "users", &users)
}
