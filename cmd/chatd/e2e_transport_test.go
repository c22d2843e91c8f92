package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/infrastructure/config"
)

// directChannel has the raw client create a direct channel with bob and
// returns its id.
func directChannel(t *testing.T, raw *rawWS, bob *client, bobID string) string {
	t.Helper()
	typ, payload := raw.request("create_channel", "c", map[string]any{"channelType": "direct", "memberIds": []string{bobID}})
	var ch channelPayload
	if err := json.Unmarshal(payload, &ch); typ != "channel_created" || err != nil || ch.ChannelID == "" {
		t.Fatalf("create_channel: %s %s %v", typ, payload, err)
	}
	bob.awaitType("channel_created")
	return ch.ChannelID
}

// storedMessages is what get_messages returns to bob for the channel.
func storedMessages(t *testing.T, bob *client, channelID string) []messagePayload {
	t.Helper()
	var page struct{ Messages []messagePayload }
	bob.mustRequest("get_messages", map[string]any{"channelId": channelID}, "messages", &page)
	return page.Messages
}

func TestInvalidUTF8ClosesWith1007AndStoresNothing(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	_, aliceToken := s.newUser("alice")
	raw := s.dialRawWS(t, aliceToken)
	bob, bobID := s.login("bob")
	channelID := directChannel(t, raw, bob, bobID)

	// "caf\xe9" is Latin-1, not UTF-8: it used to be stored as "caf\uFFFD".
	send := []byte(`{"type":"send_message","requestId":"s","payload":{"channelId":"` + channelID + `","body":"caf` + "\xe9" + `","clientMessageId":"m-1"}}`)
	raw.write(maskedText(send))
	if code, _ := raw.awaitClose(); code != websocket.StatusInvalidFramePayloadData {
		t.Fatalf("closed with %d, want 1007", code)
	}
	if got := storedMessages(t, bob, channelID); len(got) != 0 {
		t.Fatalf("a frame that is not UTF-8 was stored: %+v", got)
	}
}

func TestUnmaskedClientFrameClosesWith1002(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	_, token := s.newUser("alice")
	raw := s.dialRawWS(t, token)
	heartbeat := []byte(`{"type":"heartbeat","requestId":"h","payload":{"status":"online"}}`)
	raw.write(append(frameHeader(0x1, uint64(len(heartbeat)), nil), heartbeat...))
	if code, _ := raw.awaitClose(); code != websocket.StatusProtocolError {
		t.Fatalf("closed with %d, want 1002", code)
	}
}

// shortHeartbeat is the interval of the liveness tests: 4009 comes after
// 3 of them, and a frame must be whole within one.
const shortHeartbeat = 300 * time.Millisecond

func TestStalledFrameClosesWith4009(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.HeartbeatInterval = shortHeartbeat })
	for name, length := range map[string]uint64{
		"within the frame limit": 16000,
		"a huge length":          1 << 40,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, token := s.newUser("slowloris")
			raw := s.dialRawWS(t, token)
			// The header and a few bytes, then silence: the connection
			// must not stay open waiting for the rest.
			raw.write(append(frameHeader(0x1, length, maskKey), `{"type"`...))
			code, reason := raw.awaitClose()
			if code != 4009 {
				t.Fatalf("closed with %d %q, want 4009", code, reason)
			}
		})
	}
}

func TestSilentConnectionClosesWith4009(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.HeartbeatInterval = shortHeartbeat })
	silent, _ := s.login("silent")
	if silent.ready.HeartbeatIntervalMs != int(shortHeartbeat.Milliseconds()) {
		t.Fatalf("ready announces heartbeatIntervalMs %d, want %d", silent.ready.HeartbeatIntervalMs, shortHeartbeat.Milliseconds())
	}
	// A client that keeps the interval is never closed: this one
	// heartbeats three times per interval while the silent one times out.
	lively, _ := s.login("lively")
	stop := make(chan struct{})
	defer close(stop)
	beats := make(chan error, 1)
	go func() {
		tick := time.NewTicker(shortHeartbeat / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				err := lively.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"heartbeat","payload":{"status":"online"}}`))
				cancel()
				if err != nil {
					beats <- err
					return
				}
			}
		}
	}()
	if code := silent.awaitClose(); code != 4009 {
		t.Fatalf("silent connection closed with %d, want 4009", code)
	}
	select {
	case err := <-beats:
		t.Fatalf("heartbeating connection broke: %v", err)
	default:
	}
	var users struct{ Users []any }
	lively.mustRequest("get_users", map[string]any{"userIds": []string{}}, "users", &users)
}

func TestConnectionsPerUserCappedWith429(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.MaxConnectionsPerUser = 2 })
	_, token := s.newUser("alice")
	first := s.connect(t, token)
	s.connect(t, token)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, resp, err := dialWS(ctx, s.wsURL(), token, nil)
	if err == nil {
		conn.CloseNow()
		t.Fatal("a third connection of the user was upgraded")
	}
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection: %v, response %v; want HTTP 429", err, resp)
	}

	// Closing one makes room once the server has noticed.
	if err := first.conn.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		conn, resp, err := dialWS(ctx, s.wsURL(), token, nil)
		if err == nil {
			conn.CloseNow()
			break
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after closing one: %v, response %v", err, resp)
		}
		time.Sleep(10 * time.Millisecond) // poll: the server sees the close on its own time
	}
}
