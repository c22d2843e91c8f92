package postgres

import (
	"testing"
	"time"
)

func TestRelaysOnOneDatabaseDeliverEachEventOnce(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	other, err := Open(testContext(t), Config{URL: url, ActorKey: testActorKey}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	store := NewChatStore(db)
	sinks := []*recordingSink{newRecordingSink(), newRecordingSink()}
	startRelay(t, NewOutboxRelay(db, sinks[0], testLogger(), 5*time.Millisecond))
	startRelay(t, NewOutboxRelay(other, sinks[1], testLogger(), 5*time.Millisecond))

	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])
	const messages = 60
	for i := range messages {
		send(t, store, users[i%2], ch.ID, "x")
	}
	total := func() int {
		n := 0
		for _, s := range sinks {
			s.mu.Lock()
			n += len(s.events)
			s.mu.Unlock()
		}
		return n
	}
	// Deliveries may land in either sink; wait on both.
	deadline := time.After(waitTimeout)
	for total() < messages+1 {
		select {
		case <-sinks[0].delivered:
		case <-sinks[1].delivered:
		case <-deadline:
			t.Fatalf("timed out: %d events delivered", total())
		}
	}
	seen := map[int64]bool{}
	for _, s := range sinks {
		s.mu.Lock()
		last := int64(0)
		for _, e := range s.events {
			if e.Message == nil {
				continue
			}
			if seen[e.Message.Seq] {
				t.Fatalf("seq %d delivered twice", e.Message.Seq)
			}
			if e.Message.Seq <= last {
				t.Fatalf("a relay delivered seq %d after %d", e.Message.Seq, last)
			}
			seen[e.Message.Seq], last = true, e.Message.Seq
		}
		s.mu.Unlock()
	}
	if len(seen) != messages {
		t.Fatalf("%d distinct messages delivered, want %d", len(seen), messages)
	}
}
