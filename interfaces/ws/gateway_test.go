package ws

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

func TestReadyIsFirstFrame(t *testing.T) {
	store := newMemStore("u1", "u2", "u3")
	group := store.addChannel(domain.ChannelGroup, "u1", "u3")
	direct := store.addChannel(domain.ChannelDirect, "u1", "u2")
	store.channels[direct.ID].LastSeq = 42
	env := newEnv(t, store, Config{NodeID: "node-a", HeartbeatInterval: 0, PresenceTimeout: 0})

	c := env.connect("u1")

	want := protocol.Ready{
		ProtocolVersion: "1.1", UserID: "u1", SessionID: c.ready.SessionID, NodeID: "node-a",
		HeartbeatIntervalMs: 10000, PresenceTimeoutMs: 30000,
		Channels: []protocol.ReadyChannel{
			{ChannelID: group.ID, ChannelType: "group", LastSeq: 0},
			{ChannelID: direct.ID, ChannelType: "direct", LastSeq: 42, UnreadCount: 42},
		},
	}
	if diff := cmp.Diff(want, c.ready); diff != "" {
		t.Errorf("ready mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(c.ready.SessionID, "s-") || len(c.ready.SessionID) != len("s-")+36 {
		t.Errorf("sessionId = %q, want s-<uuid>", c.ready.SessionID)
	}
	if other := env.connect("u1"); other.ready.SessionID == c.ready.SessionID {
		t.Errorf("two connections share session id %q", c.ready.SessionID)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	store := newMemStore("u1")
	env := newEnv(t, store, Config{AllowedOrigins: []string{"localhost:3000", "*.example.com"}})
	host := strings.TrimPrefix(env.srv.URL, "http://")

	tests := []struct {
		name   string
		query  string
		header http.Header
		status int
		code   string
	}{
		{name: "no token", status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "bad token", header: http.Header{"Authorization": {"Bearer forged"}}, status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "unknown user", header: http.Header{"Authorization": {"Bearer token-ghost"}}, status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "not a bearer header", header: http.Header{"Authorization": {"Basic dTE6cHc="}}, status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "empty bearer", header: http.Header{"Authorization": {"Bearer "}}, status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "bad query token", query: "?access_token=forged", status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "identity store down", header: http.Header{"Authorization": {"Bearer down"}}, status: http.StatusServiceUnavailable, code: "unavailable"},
		{name: "foreign origin", header: http.Header{"Authorization": {"Bearer token-u1"}, "Origin": {"https://evil.test"}}, status: http.StatusForbidden, code: "forbidden"},
		{name: "pattern needs the port", header: http.Header{"Authorization": {"Bearer token-u1"}, "Origin": {"http://localhost:3001"}}, status: http.StatusForbidden, code: "forbidden"},
		{name: "wildcard needs a subdomain", header: http.Header{"Authorization": {"Bearer token-u1"}, "Origin": {"https://example.com"}}, status: http.StatusForbidden, code: "forbidden"},
		{name: "origin null", header: http.Header{"Authorization": {"Bearer token-u1"}, "Origin": {"null"}}, status: http.StatusForbidden, code: "forbidden"},
		{name: "origin refused before token", header: http.Header{"Origin": {"https://evil.test"}}, status: http.StatusForbidden, code: "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := env.dialRaw(env.wsURL()+tt.query, tt.header)
			if err == nil {
				_ = conn.CloseNow()
				t.Fatal("handshake succeeded, want refusal")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("response = %v, want status %d", resp, tt.status)
			}
			var body struct{ Code, Message string }
			if err := json.Unmarshal([]byte(readBody(t, resp)), &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if body.Code != tt.code || body.Message == "" {
				t.Errorf("body = %+v, want code %q and a message", body, tt.code)
			}
		})
	}

	accepted := []struct {
		name   string
		query  string
		header http.Header
	}{
		{name: "no origin", header: http.Header{"Authorization": {"Bearer token-u1"}}},
		{name: "same host", header: http.Header{"Authorization": {"Bearer token-u1"}, "Origin": {"http://" + host}}},
		{name: "exact pattern", header: http.Header{"Authorization": {"Bearer token-u1"}, "Origin": {"http://localhost:3000"}}},
		{name: "wildcard pattern, any case", header: http.Header{"Authorization": {"bearer token-u1"}, "Origin": {"https://App.Example.com"}}},
		{name: "query token", query: "?access_token=token-u1"},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			conn, resp, err := env.dialRaw(env.wsURL()+tt.query, tt.header)
			if err != nil {
				t.Fatalf("dial: %v (status %v, body %s)", err, resp.StatusCode, readBody(t, resp))
			}
			c := &client{t: t, conn: conn}
			c.expect(protocol.TypeReady, "")
			_ = conn.CloseNow()
		})
	}
}

func TestChannelListFailureRefusesHandshake(t *testing.T) {
	store := newMemStore("u1")
	env := newEnv(t, store, Config{})
	store.fail("Channels", domain.ErrUnavailable)

	_, resp, err := env.dialRaw(env.wsURL(), http.Header{"Authorization": {"Bearer token-u1"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial = %v, %v; want 503", err, resp)
	}
	if n := env.hub.sessionCount("u1"); n != 0 {
		t.Errorf("hub holds %d sessions of a refused connection", n)
	}
}

func TestInvalidOriginPatternFailsConstruction(t *testing.T) {
	_, err := NewGateway(Config{AllowedOrigins: []string{"[a-"}}, NewHub(nil), nil, nil, nil, nil)
	if err == nil {
		t.Fatal("NewGateway accepted a malformed pattern")
	}
}
