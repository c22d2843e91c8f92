package main

import (
	"context"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

func TestBadFramesKeepTheConnection(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	long := strings.Repeat("x", 65)
	tests := map[string]string{
		"not json":            `hello`,
		"json array":          `[1,2]`,
		"no type":             `{"requestId":"a","payload":{}}`,
		"unknown type":        `{"type":"launch_rockets","requestId":"a","payload":{}}`,
		"missing field":       `{"type":"send_message","requestId":"a","payload":{"channelId":"c","clientMessageId":"x"}}`,
		"mistyped field":      `{"type":"send_message","requestId":"a","payload":{"channelId":"c","body":42,"clientMessageId":"x"}}`,
		"fractional seq":      `{"type":"get_messages","requestId":"a","payload":{"channelId":"c","afterSeq":1.5}}`,
		"requestId too long":  `{"type":"get_channel","requestId":"` + long + `","payload":{"channelId":"c"}}`,
		"payload not object":  `{"type":"get_channel","requestId":"a","payload":"c"}`,
		"memberIds not array": `{"type":"create_channel","requestId":"a","payload":{"channelType":"group","memberIds":"u"}}`,
	}
	for name, raw := range tests {
		alice.sendRaw(raw)
		f := alice.await(func(f frame) bool { return f.Type == "error" }, "error for "+name)
		if code := f.errorCode(t); code != "bad_request" {
			t.Errorf("%s: code %q, want bad_request", name, code)
		}
		if strings.Contains(raw, `"requestId":"a"`) && f.RequestID != "a" {
			t.Errorf("%s: requestId %q not echoed", name, f.RequestID)
		}
	}
	var users struct{ Users []struct{ UserID string } }
	alice.mustRequest("get_users", map[string]any{"userIds": []string{alice.ready.UserID}}, "users", &users)
	if len(users.Users) != 1 {
		t.Fatalf("connection not usable after bad frames: %+v", users)
	}
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	big := `{"type":"send_message","payload":{"channelId":"c","clientMessageId":"x","body":"` + strings.Repeat("a", 17*1024) + `"}}`
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_ = alice.conn.Write(ctx, websocket.MessageText, []byte(big)) // the server may close before it reads it all
	if code := alice.awaitClose(); code != websocket.StatusMessageTooBig {
		t.Fatalf("close status %d, want 1009", code)
	}
}

func TestShutdownTellsClientsToReconnect(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	s.stop()
	if code := alice.awaitClose(); code != websocket.StatusServiceRestart {
		t.Fatalf("close status %d, want 1012 service restart", code)
	}
}
