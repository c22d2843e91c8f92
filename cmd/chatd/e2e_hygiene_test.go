package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Input hygiene of protocol v1.1, from outside: U+0000 anywhere is
// validation_failed (REST 400, JWT 401) and never an error in the log;
// invisible-only bodies are refused; JWT times must be numbers and not
// far in the future.

// TestNULFloodIsRefusedQuietly sends 1,000 frames with U+0000 in every
// kind of string a command carries: each is answered validation_failed,
// the connection stays open, and the server logs no error.
func TestNULFloodIsRefusedQuietly(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	frames := []string{
		`{"type":"create_channel","requestId":"%d","payload":{"channelType":"group","name":"a\u0000","memberIds":[]}}`,
		`{"type":"create_channel","requestId":"%d","payload":{"channelType":"direct","memberIds":["b\u0000"]}}`,
		`{"type":"get_users","requestId":"%d","payload":{"userIds":["\u0000"]}}`,
		`{"type":"get_presence","requestId":"%d","payload":{"userIds":["x\u0000y"]}}`,
		`{"type":"send_message","requestId":"%d","payload":{"channelId":"c","body":"hi\u0000","clientMessageId":"k"}}`,
		`{"type":"send_message","requestId":"%d","payload":{"channelId":"c","body":"hi","clientMessageId":"k\u0000"}}`,
		`{"type":"join_channel","requestId":"%d","payload":{"channelId":"\u0000"}}`,
		`{"type":"heartbeat","requestId":"%d","payload":{"userId":"\u0000","status":"online"}}`,
	}
	const n = 1000
	for i := range n {
		alice.sendRaw(fmt.Sprintf(frames[i%len(frames)], i))
	}
	for i := range n {
		id := strconv.Itoa(i)
		f := alice.await(func(f frame) bool { return f.RequestID == id }, "reply "+id)
		if code := f.errorCode(t); code != "validation_failed" {
			t.Fatalf("frame %d (%s): %s, want validation_failed", i, frames[i%len(frames)], code)
		}
	}
	alice.mustRequest("get_presence", map[string]any{"userIds": []string{}}, "presence", nil)
	if errs := s.logged("level=ERROR"); errs != 0 {
		t.Fatalf("the flood logged %d errors", errs)
	}
}

func TestInvisibleBodiesAreRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	_, bobID := s.login("bob")
	var ch struct{ ChannelID string }
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &ch)
	for i, body := range []string{"\u200b", "\ufeff\ufeff", "\u3164", "\u2800", "\u115f\u1160 \uffa0"} {
		f := alice.request("send_message", map[string]any{"channelId": ch.ChannelID, "body": body, "clientMessageId": fmt.Sprint("inv-", i)})
		if code := f.errorCode(t); code != "validation_failed" {
			t.Fatalf("body %q: %s, want validation_failed", body, code)
		}
	}
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "\u200bvisible", "clientMessageId": "vis"}, "message_sent", nil)
}

func TestRESTRefusesNUL(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	id, _ := s.newUser("nul")
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/admin/v1/users", `{"id":"a\u0000b","name":"x"}`},
		{"POST", "/admin/v1/users", `{"name":"x\u0000"}`},
		{"GET", "/admin/v1/users/a%00b", ""},
		{"POST", "/admin/v1/users/a%00/tokens", ""},
		{"GET", "/admin/v1/users/" + id + "/presence?x=%00", ""},
		{"GET", "/admin/v1/channels?memberId=a%00", ""},
		{"GET", "/admin/v1/channels/%00/messages", ""},
		{"DELETE", "/admin/v1/channels/00000000-0000-4000-8000-000000000000/members/%00", ""},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, answer := s.raw(tt.method, tt.path, tt.body)
			if code != http.StatusBadRequest || !strings.Contains(answer, `"validation_failed"`) {
				t.Fatalf("HTTP %d %s, want 400 validation_failed", code, answer)
			}
		})
	}
	if errs := s.logged("level=ERROR"); errs != 0 {
		t.Fatalf("refusals logged %d errors", errs)
	}
}

func TestTokensWithBadClaimsAreRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	id, _ := s.newUser("claims")
	exp := time.Now().Add(time.Hour)
	sign := func(claims jwt.Claims) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testJWTSecret))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for name, token := range map[string]string{
		"NUL in sub":          sign(jwt.RegisteredClaims{Subject: id + "\x00", ExpiresAt: jwt.NewNumericDate(exp)}),
		"string exp":          sign(jwt.MapClaims{"sub": id, "exp": strconv.FormatInt(exp.Unix(), 10)}),
		"iat 2 minutes ahead": sign(jwt.MapClaims{"sub": id, "exp": exp.Unix(), "iat": time.Now().Add(2 * time.Minute).Unix()}),
		"nbf 2 minutes ahead": sign(jwt.MapClaims{"sub": id, "exp": exp.Unix(), "nbf": time.Now().Add(2 * time.Minute).Unix()}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			if conn, resp, err := dialWS(ctx, s.wsURL(), token, nil); err == nil {
				conn.CloseNow()
				t.Fatal("upgrade succeeded")
			} else if resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("upgrade answered %v, want 401", resp)
			}
			if code := s.do("GET", "/v1/gateway", token, nil, nil); code != http.StatusUnauthorized {
				t.Fatalf("GET /v1/gateway: HTTP %d, want 401", code)
			}
		})
	}
	if errs := s.logged("level=ERROR"); errs != 0 {
		t.Fatalf("refusals logged %d errors", errs)
	}
}

// raw sends body as is, with the admin token, and returns the status and
// the answer's text.
func (s *testServer) raw(method, path, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.httpURL()+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}
