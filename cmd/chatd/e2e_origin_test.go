package main

import (
	"bufio"
	"fmt"
	"net/http"
	"testing"

	"github.com/chatd/chat/infrastructure/config"
)

// upgradeStatus sends a WebSocket handshake with the given Host and Origin
// headers over plain TCP (a browser cannot forge Host; an attacker's
// script or proxy can) and returns the response's status.
func upgradeStatus(t *testing.T, s *testServer, token, host, origin string) int {
	t.Helper()
	conn := dialTCP(t, s)
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nAuthorization: Bearer %s\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		host, origin, token)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("handshake with Host %s, Origin %s: %v", host, origin, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestOriginCheckUsesThePublicAddress(t *testing.T) {
	t.Parallel()
	const public = "chat.example.test"
	withPublic := startServer(t, func(c *config.Config) { c.Cluster.PublicWSURL = "wss://" + public + "/ws" })
	_, token := withPublic.newUser("alice")
	tests := []struct {
		name, host, origin string
		status             int
	}{
		{"page of the public address", withPublic.addr, "https://" + public, http.StatusSwitchingProtocols},
		{"allowed pattern", withPublic.addr, "https://app.example.com", http.StatusSwitchingProtocols},
		{"Host forged to match the origin", "evil.example.org", "https://evil.example.org", http.StatusForbidden},
		{"origin of the internal address", withPublic.addr, "http://" + withPublic.addr, http.StatusForbidden},
	}
	for _, tt := range tests {
		if got := upgradeStatus(t, withPublic, token, tt.host, tt.origin); got != tt.status {
			t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.status)
		}
	}

	// Without a public address the Host header is all there is, as before.
	without := startServer(t, nil)
	_, token = without.newUser("bob")
	if got := upgradeStatus(t, without, token, "evil.example.org", "https://evil.example.org"); got != http.StatusSwitchingProtocols {
		t.Errorf("origin matching Host without a public address: HTTP %d, want 101", got)
	}
}
