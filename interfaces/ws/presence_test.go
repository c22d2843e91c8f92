package ws

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// tick runs the presence worker's step after moving the clock by d.
func (e *testEnv) tick(d time.Duration) {
	e.t.Helper()
	e.clock.advance(d)
	if err := e.presence.Tick(context.Background()); err != nil {
		e.t.Fatalf("presence Tick: %v", err)
	}
}

func (c *client) heartbeat(requestID, status string) {
	c.t.Helper()
	c.send(protocol.TypeHeartbeat, requestID, protocol.Heartbeat{Status: status})
	c.expect(protocol.TypeHeartbeatAck, requestID)
}

// expectPresence reads the next frame and checks it is presence_updated
// for userID with status.
func (c *client) expectPresence(userID, status string) {
	c.t.Helper()
	var p protocol.UserPresence
	c.expect(protocol.TypePresenceUpdated, "").decode(&p)
	if p.UserID != userID || p.Status != status || p.LastEventAt == nil {
		c.t.Fatalf("presence_updated %+v, want %s %s with a time", p, userID, status)
	}
}

func TestHeartbeatCommand(t *testing.T) {
	store := newMemStore("u1", "u2")
	env := newEnv(t, store, Config{})
	c := env.connect("u1")

	c.send(protocol.TypeHeartbeat, "r1", protocol.Heartbeat{UserID: "u1", Status: "online"})
	var ack protocol.HeartbeatAck
	c.expect(protocol.TypeHeartbeatAck, "r1").decode(&ack)
	if !time.Time(ack.ServerTime).Equal(epoch) {
		t.Fatalf("serverTime %v, want the clock's %v", ack.ServerTime, epoch)
	}
	c.send(protocol.TypeHeartbeat, "r2", protocol.Heartbeat{UserID: "u2", Status: "online"})
	c.expectError("r2", protocol.TypeHeartbeat, protocol.CodeForbidden)
	c.send(protocol.TypeHeartbeat, "r3", protocol.Heartbeat{Status: "away"})
	c.expectError("r3", protocol.TypeHeartbeat, protocol.CodeValidationFailed)
}

func TestPresenceFansOutOncePerSessionToChannelPartners(t *testing.T) {
	store := newMemStore("u1", "u2", "u3")
	store.addChannel(domain.ChannelGroup, "u1", "u2")
	store.addChannel(domain.ChannelDirect, "u1", "u2")
	store.addChannel(domain.ChannelGroup, "u2", "u3")
	env := newEnv(t, store, Config{})
	phone, laptop := env.connect("u1"), env.connect("u1")
	partner, stranger := env.connect("u2"), env.connect("u3")

	phone.heartbeat("h1", "online")
	env.tick(0)
	partner.expectPresence("u1", "online") // once, though they share two channels
	partner.expectNothing()
	stranger.expectNothing()
	laptop.expectNothing()
	phone.expectNothing()

	// Heartbeats that change nothing send nothing.
	laptop.heartbeat("h2", "online")
	env.tick(10 * time.Second)
	phone.heartbeat("h3", "online")
	env.tick(10 * time.Second)
	partner.expectNothing()

	// The laptop's offline leaves the phone, heartbeating 10 s ago, online.
	laptop.heartbeat("h4", "offline")
	env.tick(0)
	partner.expectNothing()
	phone.heartbeat("h5", "offline")
	env.tick(0)
	partner.expectPresence("u1", "offline")
	partner.expectNothing()
}

func TestClosedConnectionKeepsUserOnlineUntilTheTimeout(t *testing.T) {
	store := newMemStore("u1", "u2")
	store.addChannel(domain.ChannelDirect, "u1", "u2")
	env := newEnv(t, store, Config{PresenceTimeout: 30 * time.Second})
	partner := env.connect("u2")
	c := env.connect("u1")
	c.heartbeat("h1", "online")
	env.tick(0)
	partner.expectPresence("u1", "online")

	_ = c.conn.CloseNow()
	waitFor(t, func() bool { return env.hub.sessionCount("u1") == 0 })
	env.tick(29 * time.Second)
	partner.expectNothing()
	env.tick(time.Second)
	partner.expectPresence("u1", "offline")
}

func TestGetPresence(t *testing.T) {
	store := newMemStore("u1", "u2", "u3")
	store.addChannel(domain.ChannelDirect, "u1", "u2")
	env := newEnv(t, store, Config{})
	other := env.connect("u2")
	other.heartbeat("h1", "online")
	env.tick(time.Second)
	c := env.connect("u1")

	c.send(protocol.TypeGetPresence, "p1", protocol.GetPresence{UserIDs: []string{"u2", "u3"}})
	f := c.expect(protocol.TypePresence, "p1")
	var raw struct {
		Users []map[string]any `json:"users"`
	}
	if err := json.Unmarshal(f.Payload, &raw); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"userId": "u2", "status": "online", "lastEventAt": protocol.FormatTime(epoch)},
		{"userId": "u3", "status": "offline", "lastEventAt": nil},
	}
	if diff := cmp.Diff(want, raw.Users); diff != "" {
		t.Fatalf("presence (-want +got):\n%s", diff)
	}

	ids := make([]string, 101)
	for i := range ids {
		ids[i] = "u2"
	}
	c.send(protocol.TypeGetPresence, "p2", protocol.GetPresence{UserIDs: ids})
	c.expectError("p2", protocol.TypeGetPresence, protocol.CodeValidationFailed)
}

func TestHubRoutesPresenceChanged(t *testing.T) {
	h := quietHub()
	c2 := domain.Channel{ID: "c2", Type: domain.ChannelGroup}
	self := join(t, h, "u1", 8, c1, c2)
	both := join(t, h, "u2", 8, c1, c2)
	one := join(t, h, "u3", 8, c2)
	none := join(t, h, "u4", 8)

	// A session joining meanwhile gets it once it is ready.
	late := newSession(domain.User{ID: "u5"}, 8)
	h.register(late)

	p := domain.UserPresence{UserID: "u1", Status: domain.PresenceOnline, LastEventAt: epoch}
	deliver(t, h, domain.Event{Type: domain.EventPresenceChanged, UserID: "u1", Presence: &p, ChannelIDs: []string{"c1", "c2"}})

	updated := []seen{{Type: protocol.TypePresenceUpdated, UserID: "u1"}}
	expectFrames(t, "the user itself", self, nil)
	expectFrames(t, "partner in both channels", both, updated)
	expectFrames(t, "partner in one channel", one, updated)
	expectFrames(t, "no shared channel", none, nil)

	if !h.activate(late, []domain.Channel{c1}, readyOf) {
		t.Fatal("activate failed")
	}
	expectFrames(t, "late joiner", late, append([]seen{{Type: protocol.TypeReady}}, updated...))
}

// waitFor polls cond until it holds, failing after ioTimeout. It waits
// for the server to notice a closed connection, which has no event of its
// own to wait on.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in time")
		}
		time.Sleep(time.Millisecond)
	}
}
