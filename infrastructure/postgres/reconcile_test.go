package postgres

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
)

// TestReconcilerCompletesWhatTheShardMissed leaves three changes half
// done, as chatd killed between its two writes would: written to the
// directory's index, not to the shard. The reconciler leaves young marks
// alone, then completes all three on the shard with their events.
func TestReconcilerCompletesWhatTheShardMissed(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 1)
	store := NewShardedStore(shards, testLogger())
	shard := shards.byID["s1"]
	users := newUsers(t, db, 3)
	a, b, c := users[0], users[1], users[2]
	ctx := testContext(t)
	dir := shards.home.store

	joinLater := newGroup(t, store, a, b)
	leaveLater := newGroup(t, store, a, b, c)
	spec := domain.NewChannelSpec{Type: domain.ChannelGroup, Name: "half", CreatorID: a, MemberIDs: []string{b}}
	created, err := dir.createChannel(ctx, domain.Actor{UserID: a}, spec, []string{a, b}, placing{id: uuid.NewString(), shardID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dir.indexJoin(ctx, domain.Actor{UserID: c}, joinLater.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.indexLeave(ctx, domain.Actor{UserID: b}, leaveLater.ID); err != nil {
		t.Fatal(err)
	}

	chs, err := store.Channels(ctx, domain.Actor{UserID: a})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chs {
		if ch.ID == created.channel.ID {
			t.Fatal("a channel the shard does not have is listed: the shard's memberships decide")
		}
	}

	if n, err := NewReconciler(shards, time.Hour, time.Second, testLogger()).Reconcile(ctx); err != nil || n != 0 {
		t.Fatalf("Reconcile with an hour's grace = %d, %v; want 0: young marks belong to requests still running", n, err)
	}
	rec := NewReconciler(shards, time.Nanosecond, time.Second, testLogger())
	if n, err := rec.Reconcile(ctx); err != nil || n != 3 {
		t.Fatalf("Reconcile = %d, %v; want 3 channels repaired", n, err)
	}

	member := "SELECT count(*) FROM memberships WHERE channel_id = ?::uuid AND user_id = ?"
	event := "SELECT count(*) FROM outbox WHERE channel_id = ?::uuid AND actor_id = '/reconcile' AND event->>'type' = ?"
	if countRows(t, shard.db, member, created.channel.ID, a) != 1 || countRows(t, shard.db, member, created.channel.ID, b) != 1 {
		t.Fatal("the half-created channel is not on the shard with both members")
	}
	if countRows(t, shard.db, event, created.channel.ID, string(domain.EventChannelCreated)) != 1 {
		t.Fatal("no channel_created event for the completed creation")
	}
	if countRows(t, shard.db, member, joinLater.ID, c) != 1 || countRows(t, shard.db, event, joinLater.ID, string(domain.EventMemberJoined)) != 1 {
		t.Fatal("the half-done join is not completed on the shard with its event")
	}
	if countRows(t, shard.db, member, leaveLater.ID, b) != 0 || countRows(t, shard.db, event, leaveLater.ID, string(domain.EventMemberLeft)) != 1 {
		t.Fatal("the half-done leave is not completed on the shard with its event")
	}
	if n := countRows(t, db, "SELECT count(*) FROM channels WHERE pending_since IS NOT NULL"); n != 0 {
		t.Fatalf("%d index rows still pending", n)
	}
	if n, err := rec.Reconcile(ctx); err != nil || n != 0 {
		t.Fatalf("second Reconcile = %d, %v; want 0", n, err)
	}
	// The request that died, had it only been slow, finds the repair done.
	late, err := shard.store.createChannel(ctx, domain.Actor{UserID: a}, spec, []string{a, b}, placing{id: created.channel.ID, createdAt: created.createdAt})
	if err != nil || late.created || late.channel.ID != created.channel.ID || len(late.channel.MemberIDs) != 2 {
		t.Fatalf("the late shard write = %+v, %v; want the repaired channel, not created again", late, err)
	}
	// The completed channel now works like any other.
	msg := send(t, store, b, created.channel.ID, "after repair")
	if msg.Seq != 1 {
		t.Fatalf("first message of the repaired channel has seq %d", msg.Seq)
	}
}
