package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
)

func signToken(t testing.TB, secret, sub string, exp time.Time) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: sub, ExpiresAt: jwt.NewNumericDate(exp)}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUpgradeRefusedBeforeHandshake(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	id, good := s.newUser("auth")
	tests := []struct {
		name   string
		url    string
		token  string
		origin string
		status int
	}{
		{"no token", s.wsURL(), "", "", http.StatusUnauthorized},
		{"malformed token", s.wsURL(), "abc.def", "", http.StatusUnauthorized},
		{"expired token", s.wsURL(), signToken(t, testJWTSecret, id, time.Now().Add(-time.Hour)), "", http.StatusUnauthorized},
		{"wrongly signed token", s.wsURL(), signToken(t, "another-secret-0123456789", id, time.Now().Add(time.Hour)), "", http.StatusUnauthorized},
		{"token of an unknown user", s.wsURL(), signToken(t, testJWTSecret, "nobody", time.Now().Add(time.Hour)), "", http.StatusUnauthorized},
		{"bad query token", s.wsURL() + "?access_token=nope", "", "", http.StatusUnauthorized},
		{"foreign origin", s.wsURL(), good, "https://evil.example.org", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			conn, resp, err := dialWS(ctx, tt.url, tt.token, h)
			if err == nil {
				conn.Close(websocket.StatusNormalClosure, "")
				t.Fatal("upgrade succeeded")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("response = %v, want HTTP %d", resp, tt.status)
			}
		})
	}
	for _, o := range []string{"", "http://" + s.addr, "https://app.example.com"} {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		h := http.Header{}
		if o != "" {
			h.Set("Origin", o)
		}
		conn, _, err := dialWS(ctx, s.wsURL(), good, h)
		cancel()
		if err != nil {
			t.Fatalf("origin %q refused: %v", o, err)
		}
		conn.Close(websocket.StatusNormalClosure, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, _, err := dialWS(ctx, s.wsURL()+"?access_token="+good, "", nil)
	if err != nil {
		t.Fatalf("query token refused: %v", err)
	}
	conn.Close(websocket.StatusNormalClosure, "")
}

func TestReadyFrame(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, aliceID := s.login("alice")
	if alice.ready.UserID != aliceID || alice.ready.NodeID != "test-node" || alice.ready.SessionID == "" ||
		alice.ready.HeartbeatIntervalMs != int(s.cfg.HeartbeatInterval.Milliseconds()) || alice.ready.PresenceTimeoutMs != 30000 || len(alice.ready.Channels) != 0 {
		t.Fatalf("ready = %+v", alice.ready)
	}
	bobID, bobToken := s.newUser("bob")
	var ch channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &ch)
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "hi", "clientMessageId": "1"}, "message_sent", nil)
	bob := s.connect(t, bobToken)
	if len(bob.ready.Channels) != 1 || bob.ready.Channels[0].ChannelID != ch.ChannelID ||
		bob.ready.Channels[0].LastSeq != 1 || bob.ready.Channels[0].ChannelType != "direct" {
		t.Fatalf("bob's ready channels = %+v", bob.ready.Channels)
	}
	other := s.connect(t, bobToken)
	if other.ready.SessionID == bob.ready.SessionID {
		t.Fatal("two connections share a session id")
	}
}

func TestAdminAuthAndGatewayLookup(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for _, bearer := range []string{"", "wrong-token-0123456789", testAdminToken + "x"} {
		if code := s.do("POST", "/admin/v1/users", bearer, map[string]string{"name": "x"}, nil); code != http.StatusUnauthorized {
			t.Errorf("admin with %q: HTTP %d, want 401", bearer, code)
		}
	}
	var errBody struct{ Code, Message string }
	if code := s.do("POST", "/admin/v1/users/nobody/tokens", testAdminToken, nil, &errBody); code != http.StatusNotFound || errBody.Code != "not_found" {
		t.Fatalf("token for unknown user: HTTP %d %+v", code, errBody)
	}
	if code := s.do("POST", "/admin/v1/users", testAdminToken, map[string]any{"name": "x", "admin": true}, &errBody); code != http.StatusBadRequest || errBody.Code != "bad_request" {
		t.Fatalf("unknown field: HTTP %d %+v", code, errBody)
	}
	if code := s.do("POST", "/admin/v1/users", testAdminToken, map[string]any{"name": ""}, &errBody); code != http.StatusBadRequest || errBody.Code != "validation_failed" {
		t.Fatalf("empty name: HTTP %d %+v", code, errBody)
	}
	var created struct{ ID, Name, CreatedAt string }
	if code := s.do("POST", "/admin/v1/users", testAdminToken, map[string]any{"name": "Generated"}, &created); code != http.StatusCreated || created.ID == "" || !isRFC3339Millis(created.CreatedAt) {
		t.Fatalf("create without id: HTTP %d %+v", code, created)
	}
	if code := s.do("POST", "/admin/v1/users", testAdminToken, map[string]any{"id": created.ID, "name": "again"}, &errBody); code != http.StatusConflict {
		t.Fatalf("duplicate id: HTTP %d %+v", code, errBody)
	}
	_, token := s.newUser("gw")
	var gw struct{ URL, NodeID string }
	if code := s.do("GET", "/v1/gateway", token, nil, &gw); code != http.StatusOK || gw.URL != s.wsURL() || gw.NodeID != "test-node" {
		t.Fatalf("gateway: HTTP %d %+v", code, gw)
	}
	if code := s.do("GET", "/v1/gateway", "bad", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("gateway with bad token: HTTP %d", code)
	}
	var health struct{ Status string }
	if code := s.do("GET", "/readyz", "", nil, &health); code != http.StatusOK || health.Status != "ok" {
		t.Fatalf("readyz: HTTP %d %+v", code, health)
	}
	if code := s.do("GET", "/healthz", "", nil, &health); code != http.StatusOK {
		t.Fatalf("healthz: HTTP %d", code)
	}
	resp, err := http.Get(s.httpURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(metrics), "process_resident_memory_bytes") {
		t.Fatalf("metrics: HTTP %d without process metrics", resp.StatusCode)
	}
}

// A connection does not outlive its token: when the token expires, the
// server closes the connection with 4001, and the client must get a new
// token before it connects again.
func TestConnectionClosesWhenItsTokenExpires(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	id, longToken := s.newUser("brief")
	var tok struct{ Token, ExpiresAt string }
	if code := s.do("POST", "/admin/v1/users/"+id+"/tokens", testAdminToken, map[string]any{"ttlSeconds": 1}, &tok); code != http.StatusCreated {
		t.Fatalf("mint a 1 s token: HTTP %d", code)
	}
	brief := s.connect(t, tok.Token)
	steady := s.connect(t, longToken) // the same user with a day-long token
	if code := brief.awaitClose(); code != websocket.StatusCode(4001) {
		t.Fatalf("connection with an expired token closed with %d, want 4001", code)
	}
	steady.heartbeat("online") // still served
}
