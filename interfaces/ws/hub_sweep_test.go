package ws

import (
	"testing"
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

func TestHubClosesSilentSessionsWith4009(t *testing.T) {
	store := newMemStore("quiet", "talks")
	env := newEnv(t, store, Config{})
	quiet, talks := env.connect("quiet"), env.connect("talks")
	const heartbeat = time.Minute

	// Sessions are checked against times ahead instead of waiting: two
	// intervals from now nobody is late, three are too long for quiet.
	if n := env.hub.closeSilent(time.Now().Add(2*heartbeat), heartbeat); n != 0 {
		t.Fatalf("closed %d sessions silent for less than 3 intervals", n)
	}
	// Both connected before start; talks sends a frame after it, so three
	// intervals after start quiet has been silent for 3 and talks for less.
	start := time.Now()
	talks.send(protocol.TypeGetUsers, "r1", protocol.GetUsers{UserIDs: []string{}})
	talks.expect(protocol.TypeUsers, "r1")
	if n := env.hub.closeSilent(start.Add(3*heartbeat), heartbeat); n != 1 {
		t.Fatalf("closed %d sessions, want only the quiet one", n)
	}
	quiet.expectClose(protocol.CloseSessionTimeout)
	if env.hub.sessionCount("quiet") != 0 || env.hub.sessionCount("talks") != 1 {
		t.Errorf("after the sweep: %d quiet, %d talking sessions routed; want 0 and 1",
			env.hub.sessionCount("quiet"), env.hub.sessionCount("talks"))
	}
	talks.expectNothing()
}
