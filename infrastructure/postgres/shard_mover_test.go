package postgres

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// placementsOf reads where the directory places each channel.
func placementsOf(t *testing.T, db *DB) map[string]string {
	t.Helper()
	var rows []struct {
		ID      string `gorm:"column:id"`
		ShardID string `gorm:"column:shard_id"`
	}
	if err := db.system.WithContext(testContext(t)).Raw("SELECT id::text AS id, coalesce(shard_id, '') AS shard_id FROM channels").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.ID] = r.ShardID
	}
	return out
}

// TestAddingAShardMovesItsShareAndNothingElse spreads 160 channels with
// history and read positions over three shards, adds a fourth, and lets
// the mover work: exactly the channels the ring now gives the new shard
// moved (about a quarter; the ids are seeded, so the same channels every
// run), each with its members, read positions and
// messages unchanged, and nothing is left behind; the store, its cached
// placements now stale, serves them and keeps their seq dense.
func TestAddingAShardMovesItsShareAndNothingElse(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 3)
	store := NewShardedStore(shards, testLogger())
	seeded := rand.New(rand.NewSource(4))
	store.newID = func() string { return uuid.Must(uuid.NewRandomFromReader(seeded)).String() }
	users := newUsers(t, db, 6)
	ctx := testContext(t)

	const total = 160
	var channels []domain.Channel
	for i := range total {
		ch := newGroup(t, store, users[i%6], users[(i+1)%6], users[(i+2)%6])
		channels = append(channels, ch)
		send(t, store, ch.MemberIDs[0], ch.ID, fmt.Sprint("first of ", i))
		send(t, store, ch.MemberIDs[1], ch.ID, fmt.Sprint("second of ", i))
		if _, err := store.MarkRead(ctx, domain.Actor{UserID: ch.MemberIDs[1]}, ch.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	before := placementsOf(t, db)

	// The relays publish each shard's outbox, as in chatd; a move waits for
	// its channel's events to be published.
	sink := newRecordingSink()
	relayCtx, stopRelays := context.WithCancel(ctx)
	relays := NewShardRelays(shards, sink, testLogger(), 0)
	relaysDone := make(chan error, 1)
	go func() { relaysDone <- relays.Run(relayCtx) }()
	defer func() {
		stopRelays()
		<-relaysDone
	}()

	mover := NewShardMover(shards, testLogger())
	shardAdmin := NewShardAdmin(shards, mover, false)
	if _, err := shardAdmin.AddShard(ctx, "s4", pgtest.NewDatabase(t), 1); err != nil {
		t.Fatal(err)
	}
	moveUntilSettled(ctx, t, mover)

	after := placementsOf(t, db)
	var moved []string
	for _, ch := range channels {
		owner, _ := shards.owner(ch.ID)
		if after[ch.ID] != owner.spec.ID {
			t.Fatalf("channel %s is on %s, its ring owner is %s", ch.ID, after[ch.ID], owner.spec.ID)
		}
		if after[ch.ID] != before[ch.ID] {
			if after[ch.ID] != "s4" {
				t.Fatalf("channel %s moved from %s to %s: only the new shard takes channels", ch.ID, before[ch.ID], after[ch.ID])
			}
			moved = append(moved, ch.ID)
		}
	}
	share := float64(len(moved)) / total
	t.Logf("moved %d of %d channels (%.1f%%) to the fourth shard, whose ring share is %.1f%%", len(moved), total, share*100, shards.shares()["s4"]*100)
	if math.Abs(share-0.25) > 0.05 {
		t.Fatalf("moved %.1f%% of the channels, want about 25%%", share*100)
	}
	recent, done, longest := mover.Moves()
	t.Logf("%d moves, longest fence %v", done, longest)
	var fenced []string
	for _, r := range recent {
		fenced = append(fenced, r.ChannelID)
	}
	slices.Sort(fenced)
	slices.Sort(moved)
	if !slices.Equal(fenced, moved) {
		t.Fatalf("the mover fenced %d channels, %d moved: it must fence exactly the channels it moves", len(fenced), len(moved))
	}

	s4 := shards.byID["s4"]
	for _, id := range moved {
		for _, sh := range shards.all() {
			n := countRows(t, sh.db, "SELECT count(*) FROM channels WHERE id = ?::uuid", id)
			if want := int64(map[bool]int{true: 1}[sh == s4]); n != want {
				t.Fatalf("shard %s has %d copies of moved channel %s, want %d", sh.spec.ID, n, id, want)
			}
		}
		if n := countRows(t, s4.db, "SELECT count(*) FROM messages WHERE channel_id = ?::uuid", id); n != 2 {
			t.Fatalf("the new shard has %d messages of %s, want 2", n, id)
		}
	}
	if n := countRows(t, db, "SELECT count(*) FROM shard_moves"); n != 0 {
		t.Fatalf("%d moves left in the journal", n)
	}

	for _, ch := range channels {
		reader := domain.Actor{UserID: ch.MemberIDs[1]}
		got, err := store.Channel(ctx, reader, ch.ID)
		if err != nil || got.LastSeq != 2 || got.LastReadSeq != 1 || len(got.MemberIDs) != 3 {
			t.Fatalf("Channel(%s) after the move = %+v, %v; want 3 members, last seq 2, read up to 1", ch.ID, got, err)
		}
		msg := send(t, store, ch.MemberIDs[2], ch.ID, "after the move")
		if msg.Seq != 3 {
			t.Fatalf("a send to %s after the move got seq %d, want 3", ch.ID, msg.Seq)
		}
		msgs, _, err := store.Messages(ctx, reader, ch.ID, domain.Page{})
		if err != nil || len(msgs) != 3 || msgs[0].Body != msgs[0].Body || msgs[2].Seq != 3 {
			t.Fatalf("Messages(%s) after the move = %d messages, %v", ch.ID, len(msgs), err)
		}
	}
	// Every channel's events reached the sink in seq order, across its
	// move from one shard's relay to another's.
	events := sink.waitFor(t, "every message event", func(evs []domain.Event) bool {
		n := 0
		for _, e := range evs {
			if e.Type == domain.EventMessageCreated {
				n++
			}
		}
		return n == 3*total
	})
	last := map[string]int64{}
	for _, e := range events {
		if e.Type != domain.EventMessageCreated {
			continue
		}
		if e.Message.Seq != last[e.ChannelID]+1 {
			t.Fatalf("channel %s: event of seq %d after seq %d", e.ChannelID, e.Message.Seq, last[e.ChannelID])
		}
		last[e.ChannelID] = e.Message.Seq
	}
}

// TestAnotherNodeFollowsAMove moves channels with one node's mover while
// a second node has their old placements cached: the second node's sends,
// history, fan-out member lookups and admin reads all find them on their
// new shard.
func TestAnotherNodeFollowsAMove(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	nodeA := openTestShards(t, db, 2)
	ctx := testContext(t)
	dbB, err := Open(ctx, Config{URL: url, ActorKey: testActorKey}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbB.Close() })
	nodeB, err := OpenShards(ctx, dbB, Config{ActorKey: testActorKey}, nil, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nodeB.Close() })
	storeB := NewShardedStore(nodeB, testLogger())
	users := newUsers(t, db, 2)
	var channels []domain.Channel
	for range 24 {
		ch := newGroup(t, storeB, users[0], users[1]) // node B caches every placement
		send(t, storeB, users[0], ch.ID, "before")
		channels = append(channels, ch)
	}
	before := placementsOf(t, db)

	relayCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- NewShardRelays(nodeA, newRecordingSink(), testLogger(), 0).Run(relayCtx) }()
	defer func() { stop(); <-done }()
	mover := NewShardMover(nodeA, testLogger())
	if _, err := NewShardAdmin(nodeA, mover, false).AddShard(ctx, "s3", pgtest.NewDatabase(t), 1); err != nil {
		t.Fatal(err)
	}
	moveUntilSettled(ctx, t, mover)
	after := placementsOf(t, db)
	members := NewMembers(nodeB)
	adminB := NewAdminStore(nodeB)
	moved := 0
	for _, ch := range channels {
		if before[ch.ID] == after[ch.ID] {
			continue
		}
		moved++
		got, err := members.ChannelMembers(ctx, []string{ch.ID})
		if err != nil || len(got[ch.ID].Users) != 2 {
			t.Fatalf("node B's member lookup of moved channel %s = %v, %v; want its 2 members", ch.ID, got, err)
		}
		// The old shard had version 2 (two members added); the new one
		// must not repeat it, or a cached roster of the old could pass
		// for the new.
		if v := got[ch.ID].Version; v <= 2 {
			t.Fatalf("moved channel %s has member version %d, want above the old shard's 2", ch.ID, v)
		}
		detail, err := adminB.Channel(ctx, ch.ID)
		if err != nil || len(detail.Members) != 2 {
			t.Fatalf("node B's admin read of moved channel %s = %+v, %v", ch.ID, detail, err)
		}
		if msg := send(t, storeB, users[1], ch.ID, "after"); msg.Seq != 2 {
			t.Fatalf("node B's send to moved channel %s got seq %d, want 2", ch.ID, msg.Seq)
		}
	}
	if moved == 0 {
		t.Fatal("no channel moved to the new shard")
	}
}
