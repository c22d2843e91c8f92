package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chat/infrastructure/config"
)

type presencePayload struct {
	UserID      string  `json:"userId"`
	Status      string  `json:"status"`
	LastEventAt *string `json:"lastEventAt"`
}

// isPresence matches the presence_updated of userID with status.
func isPresence(userID, status string) func(frame) bool {
	return func(f frame) bool {
		if f.Type != "presence_updated" {
			return false
		}
		var p presencePayload
		_ = json.Unmarshal(f.Payload, &p)
		return p.UserID == userID && p.Status == status
	}
}

// awaitPresence waits for the presence_updated of userID with status and
// checks its time.
func (c *client) awaitPresence(userID, status string) presencePayload {
	c.t.Helper()
	var p presencePayload
	c.await(isPresence(userID, status), "presence_updated "+userID+" "+status).decode(c.t, &p)
	if p.LastEventAt == nil || !isRFC3339Millis(*p.LastEventAt) {
		c.t.Fatalf("presence_updated %+v: lastEventAt must be an RFC 3339 time in ms", p)
	}
	return p
}

func (c *client) heartbeat(status string) {
	c.t.Helper()
	c.mustRequest("heartbeat", map[string]any{"status": status}, "heartbeat_ack", nil)
}

// assertQuiet proves that nothing reached c since its last frame: a reply
// is queued after any event already routed to the connection.
func (c *client) assertQuiet(what string) {
	c.t.Helper()
	id := "quiet-" + what
	c.sendRaw(`{"type":"get_presence","requestId":"` + id + `","payload":{"userIds":[]}}`)
	c.assertNothingBefore(func(f frame) bool { return f.RequestID == id }, what)
}

// metrics returns the text of /metrics.
func (s *testServer) metrics() string {
	s.t.Helper()
	resp, err := http.Get(s.httpURL() + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(body)
}

func TestHeartbeatAndPresenceUpdates(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	aliceID, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	bob, bobID := s.login("bob")
	carol, carolID := s.login("carol") // shares no channel with alice
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", nil)
	bob.awaitType("channel_created")

	var ack struct{ ServerTime string }
	alice.mustRequest("heartbeat", map[string]any{"userId": aliceID, "status": "online"}, "heartbeat_ack", &ack)
	if !isRFC3339Millis(ack.ServerTime) {
		t.Fatalf("heartbeat_ack serverTime %q", ack.ServerTime)
	}
	if code := alice.request("heartbeat", map[string]any{"userId": bobID, "status": "online"}).errorCode(t); code != "forbidden" {
		t.Fatalf("heartbeat for another user: %s, want forbidden", code)
	}
	if code := alice.request("heartbeat", map[string]any{"status": "away"}).errorCode(t); code != "validation_failed" {
		t.Fatalf("heartbeat with status away: %s, want validation_failed", code)
	}
	online := bob.awaitPresence(aliceID, "online")
	// Routed to everyone in one step: when bob has it, the others would too.
	alice.assertQuiet("alice's own presence")
	carol.assertQuiet("a stranger's presence")

	// Counted before the acknowledgement above was sent; refused heartbeats
	// do not count.
	metrics := s.metrics()
	for _, series := range []string{`chatd_presence_online_users{node="test-node"} 1`, "chatd_presence_heartbeats_total 1"} {
		if !strings.Contains(metrics, "\n"+series+"\n") {
			t.Errorf("/metrics lacks %q", series)
		}
	}

	carol.heartbeat("online")
	var got struct{ Users []presencePayload }
	bob.mustRequest("get_presence", map[string]any{"userIds": []string{aliceID, carolID, "ghost-" + bobID, aliceID}}, "presence", &got)
	if len(got.Users) != 3 ||
		got.Users[0].UserID != aliceID || got.Users[0].Status != "online" || got.Users[0].LastEventAt == nil || *got.Users[0].LastEventAt != *online.LastEventAt ||
		got.Users[1].UserID != carolID || got.Users[1].Status != "offline" || got.Users[1].LastEventAt != nil ||
		got.Users[2].Status != "offline" || got.Users[2].LastEventAt != nil {
		t.Fatalf("get_presence = %+v; want alice online at %s, carol (no shared channel) and the ghost offline with null lastEventAt", got.Users, *online.LastEventAt)
	}
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = aliceID
	}
	if code := bob.request("get_presence", map[string]any{"userIds": ids}).errorCode(t); code != "validation_failed" {
		t.Fatalf("get_presence of 101 ids: %s, want validation_failed", code)
	}

	// Repeated heartbeats and a second device change nothing; the second
	// device's offline neither, since the first still heartbeats.
	alice.heartbeat("online")
	laptop := s.connect(t, aliceToken)
	laptop.heartbeat("online")
	alice.heartbeat("online")
	laptop.heartbeat("offline")
	// Then the last device goes offline: bob's next presence frame must be
	// that offline, so none came before it.
	alice.heartbeat("offline")
	bob.assertNothingBefore(isPresence(aliceID, "offline"), "alice's offline")
	alice.assertQuiet("alice's own offline")
	laptop.assertQuiet("alice's own offline")
}

func TestPresenceTimeout(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.PresenceTimeout = 500 * time.Millisecond })
	aliceID, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	if alice.ready.PresenceTimeoutMs != 500 {
		t.Fatalf("ready presenceTimeoutMs = %d, want 500", alice.ready.PresenceTimeoutMs)
	}
	bob, bobID := s.login("bob")
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", nil)
	bob.awaitType("channel_created")

	// An open connection that stops heartbeating goes offline.
	alice.heartbeat("online")
	on := bob.awaitPresence(aliceID, "online")
	off := bob.awaitPresence(aliceID, "offline")
	if *off.LastEventAt < *on.LastEventAt {
		t.Fatalf("offline at %s before online at %s", *off.LastEventAt, *on.LastEventAt)
	}

	// So does a user whose only connection dropped.
	again := s.connect(t, aliceToken)
	again.heartbeat("online")
	bob.awaitPresence(aliceID, "online")
	again.conn.CloseNow()
	bob.awaitPresence(aliceID, "offline")
}
