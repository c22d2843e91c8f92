package postgres

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// markReadSQL marks seq read in channel as user, straight through
// chat_mark_read, and returns its status.
func markReadSQL(tx *gorm.DB, channel string, seq int64) (string, error) {
	var status string
	err := tx.Raw("SELECT out_status FROM chat_mark_read(?::uuid, ?, '')", channel, seq).Scan(&status).Error
	return status, err
}

// markFixture is a group of two on one shard, the first member having
// sent bodies, for the second to mark read.
func markFixture(t *testing.T, bodies ...string) (*Shards, *ShardedStore, []string, domain.Channel) {
	t.Helper()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 1)
	store := NewShardedStore(shards, testLogger())
	users := newUsers(t, db, 2)
	ch := newGroup(t, store, users[0], users[1])
	for _, body := range bodies {
		send(t, store, users[0], ch.ID, body)
	}
	return shards, store, users, ch
}

// TestAFenceWaitsForAMarkInFlight is the race a mark used to lose: a mark
// whose transaction is open when the mover fences its channel. The fence
// waits for it, so the copy the mover reads next holds the mark; a mark
// after the fence is refused with 'fenced' at the SQL level, so it cannot
// land on the copy being left.
func TestAFenceWaitsForAMarkInFlight(t *testing.T) {
	t.Parallel()
	shards, _, users, ch := markFixture(t, "one", "two")
	ctx := testContext(t)
	sh, err := shards.locate(ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}

	marked, release, markDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		markDone <- sh.db.inUserTx(ctx, users[1], func(tx *gorm.DB) (bool, error) {
			status, err := markReadSQL(tx, ch.ID, 1)
			if err != nil || status != "ok" {
				return false, fmt.Errorf("mark in flight: status %q, %w", status, err)
			}
			close(marked)
			<-release // the transaction stays open until the fence has had its try
			return true, nil
		})
	}()
	select {
	case <-marked:
	case err := <-markDone:
		t.Fatalf("the mark ended before it was in flight: %v", err)
	}
	fenced := make(chan error, 1)
	go func() {
		found, err := fenceForMove(sh.db.system.WithContext(ctx), ch.ID)
		if err == nil && !found {
			err = errors.New("the shard has no such channel")
		}
		fenced <- err
	}()
	waitForLockWait(t, sh.db, "%fenced = true%")
	select {
	case err := <-fenced:
		t.Fatalf("the fence went ahead of the mark in flight: %v", err)
	default:
	}
	close(release)
	if err := <-markDone; err != nil {
		t.Fatal(err)
	}
	if err := <-fenced; err != nil {
		t.Fatal(err)
	}

	c, found, err := readCopy(ctx, sh.db, ch.ID)
	if err != nil || !found {
		t.Fatalf("read the copy: found %v, %v", found, err)
	}
	for _, m := range c.members {
		if m.UserID == users[1] && m.LastReadSeq != 1 {
			t.Fatalf("the copy holds read position %d for the marking member, want 1", m.LastReadSeq)
		}
	}
	err = sh.db.inUserTx(ctx, users[1], func(tx *gorm.DB) (bool, error) {
		status, err := markReadSQL(tx, ch.ID, 2)
		if err == nil && status != "fenced" {
			err = fmt.Errorf("a mark after the fence: status %q, want fenced", status)
		}
		return false, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, sh.db, "SELECT count(*) FROM memberships WHERE channel_id = ?::uuid AND last_read_seq = 2", ch.ID); n != 0 {
		t.Fatal("a mark after the fence moved the read position on the copy being left")
	}
}

// TestAMarkReadOnAFencedChannelIsUnavailable: through the sharded store a
// mark waits for the move like a send, and past fencePatience the client
// is told to retry; nothing moves on the fenced copy.
func TestAMarkReadOnAFencedChannelIsUnavailable(t *testing.T) {
	t.Parallel()
	shards, store, users, ch := markFixture(t, "one")
	sh := fenceChannel(t, shards, ch.ID)

	_, err := store.MarkRead(testContext(t), domain.Actor{UserID: users[1], SessionID: "s"}, ch.ID, 1)
	if domain.KindOf(err) != domain.KindUnavailable || domain.RetryAfterOf(err) <= 0 || !errors.Is(err, errFenced) {
		t.Fatalf("a mark on a channel fenced for good: %v (retry after %v); want unavailable with a retry hint", err, domain.RetryAfterOf(err))
	}
	if n := countRows(t, sh.db, "SELECT count(*) FROM memberships WHERE channel_id = ?::uuid AND last_read_seq > 0", ch.ID); n != 0 {
		t.Fatalf("%d read positions moved on the fenced channel", n)
	}
}

// waitForLockWait waits until a session of db waits for a row lock in a
// statement like pattern (or the test's deadline).
func waitForLockWait(t *testing.T, db *DB, pattern string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		n := countRows(t, db, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE ?`, pattern)
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session waits for a lock in a statement like %q", pattern)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
