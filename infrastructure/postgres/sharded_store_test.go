package postgres

import (
	"math"
	"math/rand"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
)

// shardHolding returns the ids of the shards of the map whose database
// holds channel id's row (as the system, which sees every row).
func shardHolding(t *testing.T, shards *Shards, id string) []string {
	t.Helper()
	var out []string
	for _, sh := range shards.all() {
		if !sh.isDirectory() && countRows(t, sh.db, "SELECT count(*) FROM channels WHERE id = ?::uuid", id) == 1 {
			out = append(out, sh.spec.ID)
		}
	}
	return out
}

func TestShardedStoreKeepsEachChannelOnItsRingShard(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 3)
	store := NewShardedStore(shards, testLogger())
	users := newUsers(t, db, 8)
	ctx := testContext(t)

	var channels []domain.Channel
	for i := range 12 {
		a, b, c := users[i%8], users[(i+1)%8], users[(i+3)%8]
		channels = append(channels, newGroup(t, store, a, b, c))
	}
	for i := range 4 {
		channels = append(channels, newDirect(t, store, users[i], users[i+4]))
	}
	for _, ch := range channels {
		send(t, store, ch.MemberIDs[0], ch.ID, "one")
		send(t, store, ch.MemberIDs[1], ch.ID, "two")
	}

	used := map[string]int{}
	for _, ch := range channels {
		owner, err := shards.owner(ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := shardHolding(t, shards, ch.ID); len(got) != 1 || got[0] != owner.spec.ID {
			t.Fatalf("channel %s is stored on %v, want only on its ring owner %s", ch.ID, got, owner.spec.ID)
		}
		used[owner.spec.ID]++
		sh := shards.byID[owner.spec.ID]
		if n := countRows(t, sh.db, "SELECT count(*) FROM messages WHERE channel_id = ?::uuid", ch.ID); n != 2 {
			t.Fatalf("shard %s holds %d messages of %s, want 2", owner.spec.ID, n, ch.ID)
		}
		// channel_created and the two messages, in the shard's own outbox.
		if n := countRows(t, sh.db, "SELECT count(*) FROM outbox WHERE channel_id = ?::uuid", ch.ID); n != 3 {
			t.Fatalf("shard %s's outbox has %d events of %s, want 3", owner.spec.ID, n, ch.ID)
		}
		if n := countRows(t, db, "SELECT count(*) FROM channels WHERE id = ?::uuid AND shard_id = ? AND pending_since IS NULL", ch.ID, owner.spec.ID); n != 1 {
			t.Fatalf("the directory has %d settled index rows of %s on %s, want 1", n, ch.ID, owner.spec.ID)
		}
		msgs, _, err := store.Messages(ctx, domain.Actor{UserID: ch.MemberIDs[0]}, ch.ID, domain.Page{})
		if err != nil || len(msgs) != 2 || msgs[0].Seq != 1 || msgs[1].Seq != 2 || msgs[1].Body != "two" {
			t.Fatalf("Messages(%s) = %+v, %v", ch.ID, msgs, err)
		}
	}
	if len(used) != 3 {
		t.Fatalf("channels use shards %v, want all 3", used)
	}
	if n := countRows(t, db, "SELECT count(*) FROM messages"); n != 0 {
		t.Fatalf("the directory holds %d messages, want none: it is not a shard here", n)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox"); n != 0 {
		t.Fatalf("the directory's outbox has %d events, want none", n)
	}

	t.Run("a member lists her channels from every shard, oldest first, with their seq", func(t *testing.T) {
		var want []string
		for _, ch := range channels {
			if slices.Contains(ch.MemberIDs, users[0]) {
				want = append(want, ch.ID)
			}
		}
		got, err := store.Channels(ctx, domain.Actor{UserID: users[0]})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i, ch := range got {
			ids = append(ids, ch.ID)
			if ch.LastSeq != 2 {
				t.Fatalf("channel %s lists last seq %d, want 2", ch.ID, ch.LastSeq)
			}
			if i > 0 && got[i-1].CreatedAt.After(ch.CreatedAt) {
				t.Fatalf("channels not oldest first: %v after %v", ch.CreatedAt, got[i-1].CreatedAt)
			}
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("Channels = %v, want %v", ids, want)
		}
	})
	t.Run("a direct pair has one channel wherever it lives", func(t *testing.T) {
		spec := domain.NewChannelSpec{Type: domain.ChannelDirect, CreatorID: users[4], MemberIDs: []string{users[0]}}
		ch, created, err := store.CreateChannel(ctx, domain.Actor{UserID: users[4]}, spec, []string{users[4], users[0]})
		if err != nil || created || ch.ID != channels[12].ID {
			t.Fatalf("CreateChannel of an existing pair = %s, created %v, %v; want %s, false", ch.ID, created, err, channels[12].ID)
		}
	})
	t.Run("join and leave change the shard and the index", func(t *testing.T) {
		ch, newcomer := channels[0], users[7]
		if slices.Contains(ch.MemberIDs, newcomer) {
			ch, newcomer = channels[1], users[6]
		}
		actor := domain.Actor{UserID: newcomer}
		if _, joined, err := store.Join(ctx, actor, ch.ID); err != nil || !joined {
			t.Fatalf("Join = %v, %v", joined, err)
		}
		owner, _ := shards.owner(ch.ID)
		member := "SELECT count(*) FROM memberships WHERE channel_id = ?::uuid AND user_id = ?"
		if countRows(t, shards.byID[owner.spec.ID].db, member, ch.ID, newcomer) != 1 || countRows(t, db, member, ch.ID, newcomer) != 1 {
			t.Fatal("joined: the shard and the index should both have the membership")
		}
		if err := store.Leave(ctx, actor, ch.ID); err != nil {
			t.Fatal(err)
		}
		if countRows(t, shards.byID[owner.spec.ID].db, member, ch.ID, newcomer) != 0 || countRows(t, db, member, ch.ID, newcomer) != 0 {
			t.Fatal("left: neither the shard nor the index should have the membership")
		}
		if n := countRows(t, db, "SELECT count(*) FROM channels WHERE pending_since IS NOT NULL"); n != 0 {
			t.Fatalf("%d index rows left pending after completed changes", n)
		}
	})
	t.Run("fan-out finds members on every shard", func(t *testing.T) {
		ids := []string{channels[0].ID, channels[5].ID, channels[13].ID}
		got, err := NewMembers(shards).ChannelMembers(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range []domain.Channel{channels[5], channels[13]} {
			g, w := slices.Sorted(slices.Values(got[ch.ID].Users)), slices.Sorted(slices.Values(ch.MemberIDs))
			if !slices.Equal(g, w) {
				t.Fatalf("members of %s = %v, want %v", ch.ID, g, w)
			}
		}
	})
}

// TestShardRingSharesOf1000Channels creates 1,000 channels over three
// shards of equal weight: each shard holds its share of the ring within
// the ring's tested bound (TestRingBalance: 10 %). The channel ids come
// from a seeded generator, so the test is the same every run.
func TestShardRingSharesOf1000Channels(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 3)
	store := NewShardedStore(shards, testLogger())
	var mu sync.Mutex
	seeded := rand.New(rand.NewSource(14))
	store.newID = func() string {
		mu.Lock()
		defer mu.Unlock()
		return uuid.Must(uuid.NewRandomFromReader(seeded)).String()
	}
	users := newUsers(t, db, 10)

	const total, workers = 1000, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				a, b := users[i%10], users[(i+1)%10]
				spec := domain.NewChannelSpec{Type: domain.ChannelGroup, Name: "g", CreatorID: a, MemberIDs: []string{b}}
				if _, _, err := store.CreateChannel(testContext(t), domain.Actor{UserID: a}, spec, []string{a, b}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	shares := shards.ring.Shares()
	for _, sh := range shards.all() {
		held := countRows(t, sh.db, "SELECT count(*) FROM channels")
		want := shares[sh.spec.ID] * total
		dev := math.Abs(float64(held)-want) / want
		t.Logf("shard %s: %d channels, ring share %.1f%% (%.0f), %.1f%% off", sh.spec.ID, held, shares[sh.spec.ID]*100, want, dev*100)
		if dev > 0.10 {
			t.Errorf("shard %s holds %d of %d channels, %.1f%% off its ring share %.0f", sh.spec.ID, held, total, dev*100, want)
		}
	}
	if n := countRows(t, db, "SELECT count(*) FROM channels WHERE shard_id IS NOT NULL"); n != total {
		t.Fatalf("the directory indexes %d channels, want %d", n, total)
	}
}
