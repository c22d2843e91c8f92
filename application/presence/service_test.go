package presence

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

type fixture struct {
	t       *testing.T
	clock   *fakeClock
	store   *memStore
	metrics *countingMetrics
	svc     *Service
}

func newFixture(t *testing.T) *fixture {
	clock := &fakeClock{now: t0}
	store := newMemStore()
	metrics := &countingMetrics{}
	svc := NewService(store, NewTracker(30*time.Second), clock, metrics, Config{NodeID: "n1"})
	return &fixture{t: t, clock: clock, store: store, metrics: metrics, svc: svc}
}

func (f *fixture) heartbeat(d time.Duration, user, session, status string) {
	f.t.Helper()
	f.clock.set(d)
	got, err := f.svc.Heartbeat(context.Background(), domain.Actor{UserID: user, SessionID: session}, HeartbeatInput{Status: status})
	if err != nil {
		f.t.Fatalf("Heartbeat: %v", err)
	}
	if !got.Equal(at(d)) {
		f.t.Fatalf("server time %v, want %v", got, at(d))
	}
}

// tick runs the worker's step at +d and returns what it announced.
func (f *fixture) tick(d time.Duration) []domain.UserPresence {
	f.t.Helper()
	f.clock.set(d)
	if err := f.svc.Tick(context.Background()); err != nil {
		f.t.Fatalf("Tick: %v", err)
	}
	return f.store.takeAnnounced()
}

func (f *fixture) expectAnnounced(d time.Duration, want ...domain.UserPresence) {
	f.t.Helper()
	if diff := cmp.Diff(want, f.tick(d)); diff != "" {
		f.t.Fatalf("announced at +%v (-want +got):\n%s", d, diff)
	}
}

func TestHeartbeatRefusesOtherUsersAndUnknownStatuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.Heartbeat(ctx, domain.Actor{UserID: "u1", SessionID: "s1"}, HeartbeatInput{UserID: "u2", Status: "online"})
	if domain.KindOf(err) != domain.KindForbidden {
		t.Fatalf("heartbeat for another user: %v, want forbidden", err)
	}
	_, err = f.svc.Heartbeat(ctx, domain.Actor{UserID: "u1", SessionID: "s1"}, HeartbeatInput{UserID: "u1", Status: "away"})
	if domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("heartbeat with status away: %v, want validation", err)
	}
	if _, err := f.svc.Heartbeat(ctx, domain.Actor{UserID: "u1", SessionID: "s1"}, HeartbeatInput{UserID: "u1", Status: "online"}); err != nil {
		t.Fatalf("heartbeat naming oneself: %v", err)
	}
	f.expectAnnounced(0, online("u1", 0))
	if f.metrics.heartbeats != 1 {
		t.Fatalf("counted %d heartbeats, want the 1 valid one", f.metrics.heartbeats)
	}
}

func TestOnlyChangesAreWritten(t *testing.T) {
	f := newFixture(t)
	f.heartbeat(0, "u1", "s1", "online")
	select {
	case <-f.svc.Wake():
	default:
		t.Fatal("a status change did not wake the worker")
	}
	f.expectAnnounced(0, online("u1", 0))
	for _, d := range []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second} {
		f.heartbeat(d, "u1", "s1", "online")
		f.expectAnnounced(d)
	}
	select {
	case <-f.svc.Wake():
		t.Fatal("heartbeats that changed nothing woke the worker")
	default:
	}
	f.expectAnnounced(59*time.Second + 999*time.Millisecond)
	f.expectAnnounced(60*time.Second, offline("u1", 60*time.Second))
	f.expectAnnounced(2 * time.Minute)
	if f.metrics.changes[domain.PresenceOnline] != 1 || f.metrics.changes[domain.PresenceOffline] != 1 {
		t.Fatalf("counted changes %v, want one of each", f.metrics.changes)
	}
}

func TestServiceMultiDeviceAndExplicitOffline(t *testing.T) {
	f := newFixture(t)
	f.heartbeat(0, "u1", "phone", "online")
	f.heartbeat(time.Second, "u1", "laptop", "online")
	f.expectAnnounced(time.Second, online("u1", 0))
	f.heartbeat(2*time.Second, "u1", "laptop", "offline")
	f.expectAnnounced(2 * time.Second) // the phone keeps the user online
	f.heartbeat(3*time.Second, "u1", "phone", "offline")
	f.expectAnnounced(3*time.Second, offline("u1", 3*time.Second))
}

func TestServiceNoFlappingOnQuickReconnect(t *testing.T) {
	f := newFixture(t)
	f.heartbeat(0, "u1", "s-old", "online")
	f.expectAnnounced(0, online("u1", 0))
	// The connection dropped; the next one heartbeats 20 s later.
	f.heartbeat(20*time.Second, "u1", "s-new", "online")
	f.expectAnnounced(49 * time.Second)
	f.expectAnnounced(50*time.Second, offline("u1", 50*time.Second))
}

func TestServiceKeepsChangesWhenTheStoreFails(t *testing.T) {
	f := newFixture(t)
	f.heartbeat(0, "u1", "s1", "online")
	f.store.failNext = errors.New("database down")
	f.clock.set(time.Second)
	if err := f.svc.Tick(context.Background()); err == nil {
		t.Fatal("Tick hid a store failure")
	}
	f.expectAnnounced(2*time.Second, online("u1", 0))
}

func TestRestoreTimesOutUsersOwnedBeforeARestart(t *testing.T) {
	f := newFixture(t)
	f.heartbeat(0, "u1", "s1", "online")
	f.heartbeat(0, "u2", "s1", "online")
	f.expectAnnounced(0, online("u1", 0), online("u2", 0))

	// The node restarts: a new service over the same store.
	restarted := NewService(f.store, NewTracker(30*time.Second), f.clock, nil, Config{NodeID: "n1"})
	f.svc = restarted
	f.clock.set(10 * time.Second)
	if n, err := restarted.Restore(context.Background()); err != nil || n != 2 {
		t.Fatalf("Restore = %d, %v; want 2 users", n, err)
	}
	f.heartbeat(15*time.Second, "u2", "s2", "online") // u2 reconnects in time
	f.expectAnnounced(15 * time.Second)
	f.expectAnnounced(40*time.Second, offline("u1", 40*time.Second))
	f.expectAnnounced(45*time.Second, offline("u2", 45*time.Second))
}

func TestReannounceRestoresOnlyWhatTheSweeperChanged(t *testing.T) {
	f := newFixture(t)
	f.heartbeat(0, "u1", "s1", "online")
	f.heartbeat(0, "u2", "s1", "online")
	f.heartbeat(0, "u3", "s1", "online")
	f.tick(0)
	// While this node looked dead, a sweeper marked u1 offline, and u3
	// moved to another node and went offline there.
	f.store.rows["u1"] = storedPresence{offline("u1", time.Second), "n1"}
	f.store.rows["u3"] = storedPresence{offline("u3", time.Second), "n2"}
	f.clock.set(5 * time.Second)
	f.svc.Reannounce()
	f.expectAnnounced(5*time.Second, online("u1", 5*time.Second))
	if row := f.store.rows["u3"]; row.Status != domain.PresenceOffline || row.node != "n2" {
		t.Fatalf("u3 is %s on %s; a reclaim took it from the node it moved to", row.Status, row.node)
	}
}

func TestPresences(t *testing.T) {
	f := newFixture(t)
	f.heartbeat(0, "friend", "s1", "online")
	f.heartbeat(0, "stranger", "s1", "online")
	f.tick(0)
	f.store.visible = map[string]bool{"friend": true}
	got, err := f.svc.Presences(context.Background(), "me", []string{"ghost", "friend", "stranger", "friend"})
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.UserPresence{
		{UserID: "ghost", Status: domain.PresenceOffline},
		online("friend", 0),
		{UserID: "stranger", Status: domain.PresenceOffline},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Presences (-want +got):\n%s", diff)
	}

	ids := make([]string, MaxLookupIDs+1)
	for i := range ids {
		ids[i] = "u" + string(rune('a'+i%26))
	}
	if _, err := f.svc.Presences(context.Background(), "me", ids); domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("%d ids: %v, want validation", len(ids), err)
	}
	if got, err := f.svc.Presences(context.Background(), "me", nil); err != nil || len(got) != 0 {
		t.Fatalf("no ids: %v, %v", got, err)
	}
}
