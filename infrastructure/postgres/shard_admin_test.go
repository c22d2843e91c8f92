package postgres

import (
	"context"
	"math"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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
	db, shards, store, users, channels := twoShardsOfGroups(t, 20, "before the drain")
	ctx := testContext(t)

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

// TestChangingAShardsWeightMovesItsNewShare raises one of two shards'
// weight to 3: its share of the ring becomes three quarters, the channels
// whose owner changed move to it and only to it, and every channel ends on
// its ring owner. Weights out of range, unknown and draining shards are
// refused, and change nothing.
func TestChangingAShardsWeightMovesItsNewShare(t *testing.T) {
	t.Parallel()
	db, shards, _, _, channels := twoShardsOfGroups(t, 40, "before the change")
	ctx := testContext(t)
	before := placementsOf(t, db)
	mover := NewShardMover(shards, testLogger())
	shardAdmin := NewShardAdmin(shards, mover, false)

	for _, c := range []struct {
		what, id string
		weight   int
		want     domain.Kind
	}{
		{"weight 0", "s2", 0, domain.KindValidation},
		{"weight 1001", "s2", 1001, domain.KindValidation},
		{"an unknown shard", "nope", 2, domain.KindNotFound},
		{"no shard id", "", 2, domain.KindNotFound},
	} {
		if _, err := shardAdmin.SetShardWeight(ctx, c.id, c.weight); domain.KindOf(err) != c.want {
			t.Errorf("setting %s: %v (kind %v), want kind %v", c.what, err, domain.KindOf(err), c.want)
		}
	}
	if got := shards.shares()["s2"]; math.Abs(got-0.5) > 0.1 {
		t.Fatalf("s2's share after the refusals is %.2f, want about a half", got)
	}

	// A refresh that finds the same map keeps the ring it has: building
	// one costs about 0.5 ms per unit of weight.
	ringOf := func() *domain.Ring {
		shards.mu.RLock()
		defer shards.mu.RUnlock()
		return shards.ring
	}
	ring := ringOf()
	if err := shards.Refresh(ctx); err != nil || ringOf() != ring {
		t.Fatalf("a refresh of an unchanged map rebuilt the ring (%v)", err)
	}
	sh, err := shardAdmin.SetShardWeight(ctx, "s2", 3)
	if err != nil {
		t.Fatal(err)
	}
	if ringOf() == ring {
		t.Fatal("the ring was not rebuilt for the new weight")
	}
	if sh.Weight != 3 || math.Abs(sh.Share-0.75) > 0.1 {
		t.Fatalf("s2 after the change = %+v, want weight 3 and about three quarters of the ring", sh)
	}
	moveUntilSettled(ctx, t, mover)
	after := placementsOf(t, db)
	moved := 0
	for _, ch := range channels {
		owner, err := shards.owner(ch.ID)
		if err != nil || after[ch.ID] != owner.spec.ID {
			t.Fatalf("channel %s is on %s, its ring owner is %v (%v)", ch.ID, after[ch.ID], owner, err)
		}
		if after[ch.ID] != before[ch.ID] {
			if after[ch.ID] != "s2" {
				t.Fatalf("channel %s moved from %s to %s: only the heavier shard takes channels", ch.ID, before[ch.ID], after[ch.ID])
			}
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no channel moved to the heavier shard")
	}

	if err := shardAdmin.DrainShard(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := shardAdmin.SetShardWeight(ctx, "s1", 2); domain.KindOf(err) != domain.KindConflict {
		t.Errorf("setting a draining shard's weight: %v, want a conflict", err)
	}
}

// TestShardWeightAnswerFindsOutWhetherTheShardAnswers: the answer to a
// weight change describes the shard as the listing does, its counts read
// and whether it answers found out, not assumed: the weight lives in the
// directory, so it changes while the shard itself is down.
func TestShardWeightAnswerFindsOutWhetherTheShardAnswers(t *testing.T) {
	t.Parallel()
	_, shards, _, _, _ := twoShardsOfGroups(t, 6, "counted")
	ctx := testContext(t)
	shardAdmin := NewShardAdmin(shards, NewShardMover(shards, testLogger()), false)

	sh, err := shardAdmin.SetShardWeight(ctx, "s2", 2)
	if err != nil || !sh.Reachable || sh.Channels == 0 || sh.Messages != int64(sh.Channels) {
		t.Fatalf("s2 at weight 2 = %+v, %v; want reachable, holding its channels' one message each", sh, err)
	}

	u, err := url.Parse(shards.byID["s2"].spec.URL)
	if err != nil {
		t.Fatal(err)
	}
	name := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	super, err := pgx.Connect(ctx, os.Getenv(pgtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(context.Background())
	for _, q := range []string{
		"ALTER DATABASE " + name + " ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + strings.Trim(name, `"`) + "'",
	} {
		if _, err := super.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sh, err = shardAdmin.SetShardWeight(ctx, "s2", 3)
	if err != nil || sh.Reachable || sh.Weight != 3 {
		t.Fatalf("s2 at weight 3 while it refuses connections = %+v, %v; want weight 3, unreachable", sh, err)
	}
	if _, err := super.Exec(ctx, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS true"); err != nil {
		t.Fatal(err)
	}
	if sh, err = shardAdmin.SetShardWeight(ctx, "s2", 1); err != nil || !sh.Reachable {
		t.Fatalf("s2 at weight 1 once it answers again = %+v, %v; want reachable", sh, err)
	}
}

// TestShardListingEstimatesPastTheExactCount: a shard's messages are
// counted up to a bound and estimated past it, the estimate never below
// what was counted (a table not analyzed yet estimates -1) and
// PostgreSQL's own once it has statistics.
func TestShardListingEstimatesPastTheExactCount(t *testing.T) {
	t.Parallel()
	_, shards, _, _, _ := twoShardsOfGroups(t, 24, "counted")
	ctx := testContext(t)
	shardAdmin := NewShardAdmin(shards, NewShardMover(shards, testLogger()), false)
	s1 := shards.byID["s1"].db
	held := countRows(t, s1, "SELECT count(*) FROM messages")
	if held < 4 {
		t.Fatalf("s1 holds %d messages; the test needs a few", held)
	}
	messagesOfS1 := func() int64 {
		t.Helper()
		st, err := shardAdmin.Shards(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range st.Shards {
			if sh.ID == "s1" {
				return sh.Messages
			}
		}
		t.Fatal("s1 is not listed")
		return 0
	}

	if got := messagesOfS1(); got != held {
		t.Fatalf("s1 lists %d messages, holds %d: under the bound the count is exact", got, held)
	}
	shardAdmin.exactMessages = held / 2
	if got := messagesOfS1(); got != held/2+1 {
		t.Fatalf("past the bound before any statistics s1 lists %d messages, want %d: more than was counted", got, held/2+1)
	}
	// As the table's owner: chat_system may not analyze it.
	owner, err := pgx.Connect(ctx, shards.byID["s1"].spec.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(context.Background())
	if _, err := owner.Exec(ctx, "ANALYZE messages"); err != nil {
		t.Fatal(err)
	}
	if got := messagesOfS1(); got != held {
		t.Fatalf("past the bound with fresh statistics s1 lists %d messages, want the estimate %d", got, held)
	}
}

// twoShardsOfGroups spreads n groups of two users, each with one message,
// over two shards, and runs the shards' relays for the test (a move waits
// for its channel's events to be published).
func twoShardsOfGroups(t *testing.T, n int, body string) (*DB, *Shards, *ShardedStore, []string, []domain.Channel) {
	t.Helper()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 2)
	store := NewShardedStore(shards, testLogger())
	users := newUsers(t, db, 2)
	var channels []domain.Channel
	for range n {
		ch := newGroup(t, store, users[0], users[1])
		send(t, store, users[0], ch.ID, body)
		channels = append(channels, ch)
	}
	relayCtx, stop := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() { done <- NewShardRelays(shards, newRecordingSink(), testLogger(), 0).Run(relayCtx) }()
	t.Cleanup(func() { stop(); <-done })
	return db, shards, store, users, channels
}
