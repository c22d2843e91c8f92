package postgres

import (
	"context"
	"testing"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// TestShardAdminRefusesWhatWouldBreakTheMap tries to add the directory,
// a shard under a second id, bad ids and weights, and to drain the last
// shard: each is refused with its kind, and the map is unchanged.
func TestShardAdminRefusesWhatWouldBreakTheMap(t *testing.T) {
	t.Parallel()
	db, dirURL := openTestDB(t)
	shards := openTestShards(t, db, 1)
	shardAdmin := NewShardAdmin(shards, NewShardMover(shards, testLogger()), false)
	ctx := testContext(t)
	s1URL := shards.byID["s1"].spec.URL
	for _, c := range []struct {
		what, id, url string
		weight        int
		want          domain.Kind
	}{
		{"the directory itself", "s2", dirURL, 1, domain.KindConflict},
		{"shard s1 again, under another id", "s2", s1URL, 1, domain.KindConflict},
		{"an id in use", "s1", pgtest.NewDatabase(t), 1, domain.KindConflict},
		{"an id with capitals", "S2", pgtest.NewDatabase(t), 1, domain.KindValidation},
		{"an empty id", "", pgtest.NewDatabase(t), 1, domain.KindValidation},
		{"a weight over 1000", "s2", pgtest.NewDatabase(t), 1001, domain.KindValidation},
		{"a negative weight", "s2", pgtest.NewDatabase(t), -1, domain.KindValidation},
		{"no url outside embedded mode", "s2", "", 1, domain.KindValidation},
		{"a url that is no PostgreSQL URL", "s2", "postgres://[::1", 1, domain.KindValidation},
	} {
		if _, err := shardAdmin.AddShard(ctx, c.id, c.url, c.weight); domain.KindOf(err) != c.want {
			t.Errorf("adding %s: %v (kind %v), want kind %v", c.what, err, domain.KindOf(err), c.want)
		}
	}
	if err := shardAdmin.DrainShard(ctx, "s1"); domain.KindOf(err) != domain.KindConflict {
		t.Errorf("draining the last active shard: %v, want a conflict", err)
	}
	if err := shardAdmin.DrainShard(ctx, "nope"); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("draining an unknown shard: %v, want not found", err)
	}
	st, err := shardAdmin.Shards(ctx)
	if err != nil || len(st.Shards) != 1 || st.Shards[0].ID != "s1" || st.Shards[0].State != ShardActive {
		t.Fatalf("the map after refusals = %+v, %v; want s1 alone, active", st.Shards, err)
	}
}

// TestDrainingAShardMovesEverythingOffAndRemovesIt drains one of two
// shards: all its channels move to the other, with their messages, and
// the drained shard leaves the map.
func TestDrainingAShardMovesEverythingOffAndRemovesIt(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 2)
	store := NewShardedStore(shards, testLogger())
	users := newUsers(t, db, 2)
	ctx := testContext(t)
	var channels []domain.Channel
	for range 20 {
		ch := newGroup(t, store, users[0], users[1])
		send(t, store, users[0], ch.ID, "before the drain")
		channels = append(channels, ch)
	}
	relayCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- NewShardRelays(shards, newRecordingSink(), testLogger(), 0).Run(relayCtx) }()
	defer func() { stop(); <-done }()

	mover := NewShardMover(shards, testLogger())
	if err := NewShardAdmin(shards, mover, false).DrainShard(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	moveUntilSettled(ctx, t, mover)
	if _, err := shards.byShardID("s1"); err == nil {
		t.Fatal("the drained shard is still in the map")
	}
	for _, ch := range channels {
		if got := placementsOf(t, db)[ch.ID]; got != "s2" {
			t.Fatalf("channel %s is on %q after the drain, want s2", ch.ID, got)
		}
		msgs, _, err := store.Messages(ctx, domain.Actor{UserID: users[1]}, ch.ID, domain.Page{})
		if err != nil || len(msgs) != 1 || msgs[0].Body != "before the drain" {
			t.Fatalf("Messages(%s) after the drain = %+v, %v", ch.ID, msgs, err)
		}
	}
}
