package postgres

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

// liveNode registers a node with a fresh heartbeat; deadNode one whose
// last heartbeat was an hour ago.
func liveNode(t *testing.T, db *DB) string {
	t.Helper()
	n := NewNodeLiveness(db, randomID("node-"), time.Second, time.Minute, nil, testLogger())
	if err := n.Register(testContext(t)); err != nil {
		t.Fatal(err)
	}
	return n.nodeID
}

func deadNode(t *testing.T, db *DB) string {
	t.Helper()
	id := liveNode(t, db)
	if err := db.system.Exec("UPDATE nodes SET heartbeat_at = now() - interval '1 hour' WHERE node_id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func goOnline(t *testing.T, store *PresenceStore, node string, users ...string) {
	t.Helper()
	changes := make([]domain.UserPresence, len(users))
	for i, u := range users {
		changes[i] = domain.UserPresence{UserID: u, Status: domain.PresenceOnline, LastEventAt: presenceT0}
	}
	record(t, store, node, changes...)
}

func TestSweeperMarksOfflineTheUsersOfADeadNode(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	chats, store := NewChatStore(db), NewPresenceStore(db)
	users := newUsers(t, db, 5)
	stranded, safe, cameBack, orphan, partner := users[0], users[1], users[2], users[3], users[4]
	ch := newGroup(t, chats, stranded, partner)
	live, dead := liveNode(t, db), deadNode(t, db)

	goOnline(t, store, dead, stranded, cameBack)
	goOnline(t, store, live, safe, cameBack) // cameBack reconnected to the live node
	goOnline(t, store, "gone-"+dead, orphan) // a node whose row is gone already

	var swept []int
	sweeper := NewPresenceSweeper(db, time.Minute, time.Hour, func(n int) { swept = append(swept, n) }, testLogger())
	n, acted, err := sweeper.Sweep(testContext(t))
	if err != nil || !acted || n != 2 {
		t.Fatalf("Sweep = %d, acted=%v, %v; want 2 users", n, acted, err)
	}
	for user, want := range map[string]string{stranded: "offline", orphan: "offline", safe: "online", cameBack: "online"} {
		if status, _ := storedPresence(t, db, user); status != want {
			t.Errorf("%s is %s, want %s", user, status, want)
		}
	}
	events := presenceEvents(t, db, stranded)
	if len(events) != 2 || events[1].Presence.Status != domain.PresenceOffline || !slices.Equal(events[1].ChannelIDs, []string{ch.ID}) {
		t.Fatalf("events of the stranded user: %+v", events)
	}
	if got := len(presenceEvents(t, db, safe, cameBack)); got != 2 {
		t.Fatalf("%d events about users that stayed online, want their 2 online events", got)
	}
	if got := countRows(t, db, "SELECT count(*) FROM nodes WHERE node_id = ?", dead); got != 0 {
		t.Fatal("the dead node's row was kept after its users were swept")
	}
	if got := countRows(t, db, "SELECT count(*) FROM nodes WHERE node_id = ?", live); got != 1 {
		t.Fatal("the live node's row was deleted")
	}
	if n, _, err := sweeper.Sweep(testContext(t)); err != nil || n != 0 {
		t.Fatalf("second Sweep = %d, %v; want nothing left", n, err)
	}
	if !slices.Equal(swept, []int{2}) {
		t.Fatalf("onSwept saw %v, want [2]", swept)
	}
}

func TestSweeperWaitsOutTheGracePeriod(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewPresenceStore(db)
	u := newUsers(t, db, 1)[0]
	quiet := deadNode(t, db) // silent for an hour
	goOnline(t, store, quiet, u)
	sweeper := NewPresenceSweeper(db, 2*time.Hour, time.Hour, nil, testLogger())
	if n, acted, err := sweeper.Sweep(testContext(t)); err != nil || !acted || n != 0 {
		t.Fatalf("Sweep within the grace period = %d, acted=%v, %v; want nothing swept", n, acted, err)
	}
}

func TestOnlyOneSweeperActsAtATime(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	store := NewPresenceStore(db)
	dead := deadNode(t, db)
	// More users than one batch, inserted directly for speed.
	const users = sweepBatch + 100
	prefix := randomID("bulk-")
	if err := db.system.Exec(`INSERT INTO users (id, name, created_at)
		SELECT ? || i, 'bulk', now() FROM generate_series(1, ?) AS i`, prefix, users).Error; err != nil {
		t.Fatal(err)
	}
	ids := make([]string, users)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	goOnline(t, store, dead, ids...)

	// While another sweeper holds the lock, this one does nothing.
	holder := db.system.WithContext(testContext(t)).Begin()
	if err := holder.Exec("SELECT pg_advisory_xact_lock(?)", sweeperLockID).Error; err != nil {
		t.Fatal(err)
	}
	sweeper := NewPresenceSweeper(db, time.Minute, time.Hour, nil, testLogger())
	n, acted, err := sweeper.Sweep(testContext(t))
	if err != nil || acted || n != 0 {
		t.Fatalf("Sweep while locked = %d, acted=%v, %v; want it to stand aside", n, acted, err)
	}
	if err := holder.Rollback().Error; err != nil {
		t.Fatal(err)
	}

	// Two sweepers on two pools at once: every user is announced once.
	other, err := Open(testContext(t), Config{URL: url, ActorKey: testActorKey}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	sweepers := []*PresenceSweeper{sweeper, NewPresenceSweeper(other, time.Minute, time.Hour, nil, testLogger())}
	results := make([]int, len(sweepers))
	var wg sync.WaitGroup
	for i, s := range sweepers {
		wg.Go(func() {
			// A sweeper that finds the lock taken stops; sweep until done.
			for {
				n, _, err := s.Sweep(testContext(t))
				if err != nil {
					t.Errorf("Sweep: %v", err)
					return
				}
				results[i] += n
				var left int64
				if err := db.system.Raw("SELECT count(*) FROM user_presences WHERE status = 'online' AND user_id LIKE ? || '%'", prefix).Scan(&left).Error; err != nil {
					t.Errorf("count online users: %v", err)
					return
				}
				if left == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if total := results[0] + results[1]; total != users {
		t.Fatalf("sweepers took %v users offline, want %d in all", results, users)
	}
	events := presenceEvents(t, db, ids...)
	offline := map[string]int{}
	for _, e := range events {
		if e.Presence.Status == domain.PresenceOffline {
			offline[e.UserID]++
		}
	}
	for _, id := range ids {
		if offline[id] != 1 {
			t.Fatalf("user %s announced offline %d times, want once", id, offline[id])
		}
	}
}
