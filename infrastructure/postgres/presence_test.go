package postgres

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

// presenceEvents returns the presence_changed events in the outbox about
// users, in outbox order.
func presenceEvents(t *testing.T, db *DB, users ...string) []domain.Event {
	t.Helper()
	var rows []struct {
		Event     string  `gorm:"column:event"`
		ChannelID *string `gorm:"column:channel_id"`
	}
	err := db.system.WithContext(testContext(t)).Raw(`SELECT event::text AS event, channel_id::text AS channel_id FROM outbox
		WHERE event->>'type' = 'presence_changed' AND event->>'userId' = ANY (?::text[]) ORDER BY id`, textArray(users)).Scan(&rows).Error
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	var out []domain.Event
	for _, r := range rows {
		if r.ChannelID != nil {
			t.Fatalf("presence event has channel_id %s, want NULL", *r.ChannelID)
		}
		e, err := eventcodec.DecodeEvent([]byte(r.Event))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func presenceEvent(p domain.UserPresence, channels ...string) domain.Event {
	return domain.Event{Type: domain.EventPresenceChanged, UserID: p.UserID, Presence: &p, ChannelIDs: channels}
}

func record(t *testing.T, store *PresenceStore, node string, presences ...domain.UserPresence) []domain.UserPresence {
	t.Helper()
	changes := make([]presence.Change, len(presences))
	for i, p := range presences {
		changes[i] = presence.Change{UserPresence: p}
	}
	return recordChanges(t, store, node, changes...)
}

func recordChanges(t *testing.T, store *PresenceStore, node string, changes ...presence.Change) []domain.UserPresence {
	t.Helper()
	got, err := store.Record(testContext(t), node, changes)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	return got
}

func storedPresence(t *testing.T, db *DB, userID string) (status, node string) {
	t.Helper()
	var row struct {
		Status string  `gorm:"column:status"`
		NodeID *string `gorm:"column:node_id"`
	}
	if err := db.system.WithContext(testContext(t)).Raw("SELECT status, node_id FROM user_presences WHERE user_id = ?", userID).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	if row.NodeID != nil {
		node = *row.NodeID
	}
	return row.Status, node
}

var presenceT0 = time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

func TestPresenceRecordWritesAndAnnouncesOnlyChanges(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	chats, store := NewChatStore(db), NewPresenceStore(db)
	users := newUsers(t, db, 3)
	a := users[0]
	g1, g2 := newGroup(t, chats, a, users[1]), newGroup(t, chats, a, users[2])
	wantChannels := []string{g1.ID, g2.ID}
	slices.Sort(wantChannels)

	on := domain.UserPresence{UserID: a, Status: domain.PresenceOnline, LastEventAt: presenceT0}
	if diff := cmp.Diff([]domain.UserPresence{on}, record(t, store, "n1", on)); diff != "" {
		t.Fatalf("first online (-want +got):\n%s", diff)
	}
	// Online again, on this node or another: no change, but the other node
	// becomes the owner.
	later := on
	later.LastEventAt = presenceT0.Add(time.Minute)
	if got := record(t, store, "n1", later); len(got) != 0 {
		t.Fatalf("repeated online announced %v", got)
	}
	if got := record(t, store, "n2", later); len(got) != 0 {
		t.Fatalf("online on another node announced %v", got)
	}
	if status, node := storedPresence(t, db, a); status != "online" || node != "n2" {
		t.Fatalf("stored %s on %q, want online on n2", status, node)
	}
	// n1 no longer owns the user: its timeout is not the user's.
	off := domain.UserPresence{UserID: a, Status: domain.PresenceOffline, LastEventAt: presenceT0.Add(2 * time.Minute)}
	if got := record(t, store, "n1", off); len(got) != 0 {
		t.Fatalf("offline from a node that does not own the user announced %v", got)
	}
	if got := record(t, store, "n2", off); len(got) != 1 {
		t.Fatalf("offline from the owner announced %v", got)
	}
	if got := record(t, store, "n2", off); len(got) != 0 {
		t.Fatalf("repeated offline announced %v", got)
	}

	want := []domain.Event{presenceEvent(on, wantChannels...), presenceEvent(off, wantChannels...)}
	if diff := cmp.Diff(want, presenceEvents(t, db, a)); diff != "" {
		t.Fatalf("outbox (-want +got):\n%s", diff)
	}
}

func TestPresenceRecordNeverMovesLastEventAtBack(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewPresenceStore(db)
	u := newUsers(t, db, 1)[0]
	record(t, store, "n1", domain.UserPresence{UserID: u, Status: domain.PresenceOnline, LastEventAt: presenceT0})
	// A node whose clock runs behind.
	got := record(t, store, "n1", domain.UserPresence{UserID: u, Status: domain.PresenceOffline, LastEventAt: presenceT0.Add(-time.Hour)})
	want := []domain.UserPresence{{UserID: u, Status: domain.PresenceOffline, LastEventAt: presenceT0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("announced (-want +got):\n%s", diff)
	}
}

func TestPresenceRecordSkipsUnknownUsers(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewPresenceStore(db)
	u := newUsers(t, db, 1)[0]
	got := record(t, store, "n1",
		domain.UserPresence{UserID: "deleted-" + u, Status: domain.PresenceOnline, LastEventAt: presenceT0},
		domain.UserPresence{UserID: u, Status: domain.PresenceOnline, LastEventAt: presenceT0})
	if len(got) != 1 || got[0].UserID != u {
		t.Fatalf("announced %v, want only %s", got, u)
	}
	// A user in no channel is announced too, to nobody in particular.
	if diff := cmp.Diff([]domain.Event{presenceEvent(got[0])}, presenceEvents(t, db, u)); diff != "" {
		t.Fatalf("outbox (-want +got):\n%s", diff)
	}
}

func TestPresencesSeeOnlyUsersSharingAChannel(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	chats, store := NewChatStore(db), NewPresenceStore(db)
	users := newUsers(t, db, 4)
	me, friend, stranger, neverSeen := users[0], users[1], users[2], users[3]
	newDirect(t, chats, me, friend)
	newDirect(t, chats, me, neverSeen)
	for _, u := range []string{me, friend, stranger} {
		record(t, store, "n1", domain.UserPresence{UserID: u, Status: domain.PresenceOnline, LastEventAt: presenceT0})
	}
	got, err := store.Presences(testContext(t), me, []string{me, friend, stranger, neverSeen, "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b domain.UserPresence) int {
		if a.UserID < b.UserID {
			return -1
		}
		return 1
	})
	want := []domain.UserPresence{
		{UserID: me, Status: domain.PresenceOnline, LastEventAt: presenceT0},
		{UserID: friend, Status: domain.PresenceOnline, LastEventAt: presenceT0},
	}
	slices.SortFunc(want, func(a, b domain.UserPresence) int {
		if a.UserID < b.UserID {
			return -1
		}
		return 1
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Presences (-want +got):\n%s", diff)
	}
}

func TestOwnedOnline(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewPresenceStore(db)
	users := newUsers(t, db, 3)
	record(t, store, "n1",
		domain.UserPresence{UserID: users[0], Status: domain.PresenceOnline, LastEventAt: presenceT0},
		domain.UserPresence{UserID: users[1], Status: domain.PresenceOnline, LastEventAt: presenceT0})
	record(t, store, "n2", domain.UserPresence{UserID: users[2], Status: domain.PresenceOnline, LastEventAt: presenceT0})
	record(t, store, "n1", domain.UserPresence{UserID: users[1], Status: domain.PresenceOffline, LastEventAt: presenceT0})
	got, err := store.OwnedOnline(testContext(t), "n1")
	if err != nil || !slices.Equal(got, users[:1]) {
		t.Fatalf("OwnedOnline(n1) = %v, %v; want %v", got, err, users[:1])
	}
}

func TestPresenceReclaimRestoresOnlyUsersSweptFromThisNode(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewPresenceStore(db)
	users := newUsers(t, db, 3)
	swept, stillOnline, moved := users[0], users[1], users[2]
	for _, u := range users {
		record(t, store, "n1", domain.UserPresence{UserID: u, Status: domain.PresenceOnline, LastEventAt: presenceT0})
	}
	// A sweeper took swept offline (keeping its node); moved went to n2
	// and offline there.
	if err := db.system.Exec("UPDATE user_presences SET status = 'offline' WHERE user_id = ?", swept).Error; err != nil {
		t.Fatal(err)
	}
	record(t, store, "n2", domain.UserPresence{UserID: moved, Status: domain.PresenceOnline, LastEventAt: presenceT0})
	record(t, store, "n2", domain.UserPresence{UserID: moved, Status: domain.PresenceOffline, LastEventAt: presenceT0.Add(time.Second)})

	at := presenceT0.Add(time.Minute)
	var changes []presence.Change
	for _, u := range users {
		changes = append(changes, presence.Change{UserPresence: domain.UserPresence{UserID: u, Status: domain.PresenceOnline, LastEventAt: at}, Reclaim: true})
	}
	got := recordChanges(t, store, "n1", changes...)
	want := []domain.UserPresence{{UserID: swept, Status: domain.PresenceOnline, LastEventAt: at}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("announced (-want +got):\n%s", diff)
	}
	if status, node := storedPresence(t, db, moved); status != "offline" || node != "n2" {
		t.Fatalf("moved user is %s on %q; a reclaim must not take it back", status, node)
	}
	if status, node := storedPresence(t, db, stillOnline); status != "online" || node != "n1" {
		t.Fatalf("user never swept is %s on %q", status, node)
	}
}
