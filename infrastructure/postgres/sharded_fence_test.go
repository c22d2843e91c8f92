package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

// fenceChannel fences a channel on its shard and journals a move, as the
// mover does before it copies.
func fenceChannel(t *testing.T, shards *Shards, id string) *shard {
	t.Helper()
	sh, err := shards.locate(testContext(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if found, err := fenceForMove(sh.db.system, id); err != nil || !found {
		t.Fatalf("fence channel %s: found %v, %v", id, found, err)
	}
	if err := shards.dir.system.Exec("INSERT INTO shard_moves (channel_id, from_shard, to_shard) VALUES (?::uuid, ?, ?)", id, sh.spec.ID, sh.spec.ID).Error; err != nil {
		t.Fatal(err)
	}
	return sh
}

// TestSendsWaitForAFenceInOrder fences a channel, pipelines two sends to
// it the way a connection does (the second starts once the first has its
// place), and lifts the fence once both wait: both are stored, in order.
func TestSendsWaitForAFenceInOrder(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 2)
	store := NewShardedStore(shards, testLogger())
	users := newUsers(t, db, 2)
	ch := newGroup(t, store, users[0], users[1])
	send(t, store, users[0], ch.ID, "before")
	sh := fenceChannel(t, shards, ch.ID)

	type result struct {
		msg domain.Message
		err error
	}
	results := make([]chan result, 2)
	ordered := make(chan struct{})
	for i, body := range []string{"first", "second"} {
		results[i] = make(chan result, 1)
		if i == 1 {
			<-ordered
		}
		go func() {
			msg, _, err := store.AppendMessage(testContext(t), domain.Actor{UserID: users[0]}, domain.Message{
				ChannelID: ch.ID, SenderID: users[0], ClientMessageID: body, Body: body, Status: domain.MessageSent,
			}, func() {
				if i == 0 {
					close(ordered)
				}
			})
			results[i] <- result{msg, err}
		}()
	}
	// The second waits for its turn behind the first, so whatever it sent
	// before the gate closed has met the fence too, before it is lifted.
	// (Lifting a fence in place happens in chatd only when a move is put
	// off after its outbox waited 10 s, long after any send in flight.)
	deadline := time.Now().Add(waitTimeout)
	for {
		store.gates.mu.Lock()
		gate := store.gates.m[ch.ID]
		waiting := gate != nil && gate.closed && gate.out == 2 && gate.waiting == 1
		store.gates.mu.Unlock()
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sends never met the fence")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := sh.db.system.Exec("UPDATE channels SET fenced = false WHERE id = ?::uuid", ch.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := shards.dir.system.Exec("DELETE FROM shard_moves WHERE channel_id = ?::uuid", ch.ID).Error; err != nil {
		t.Fatal(err)
	}
	first, second := <-results[0], <-results[1]
	if first.err != nil || second.err != nil || first.msg.Seq != 2 || second.msg.Seq != 3 {
		t.Fatalf("after the fence: first %+v %v, second %+v %v; want seqs 2 and 3", first.msg, first.err, second.msg, second.err)
	}
}

// TestAFenceThatLastsTooLongIsUnavailable keeps a channel fenced: a send
// gives up after fencePatience with unavailable and a retry hint, nothing
// stored; the channel's other shard mates are untouched.
func TestAFenceThatLastsTooLongIsUnavailable(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 1)
	store := NewShardedStore(shards, testLogger())
	users := newUsers(t, db, 2)
	fenced := newGroup(t, store, users[0], users[1])
	other := newGroup(t, store, users[0], users[1])
	sh := fenceChannel(t, shards, fenced.ID)

	_, _, err := store.AppendMessage(testContext(t), domain.Actor{UserID: users[0]}, domain.Message{
		ChannelID: fenced.ID, SenderID: users[0], ClientMessageID: "c1", Body: "waits", Status: domain.MessageSent,
	}, nil)
	if domain.KindOf(err) != domain.KindUnavailable || domain.RetryAfterOf(err) <= 0 || !errors.Is(err, errFenced) {
		t.Fatalf("a send to a channel fenced for good: %v (retry after %v); want unavailable with a retry hint", err, domain.RetryAfterOf(err))
	}
	if n := countRows(t, sh.db, "SELECT count(*) FROM messages WHERE channel_id = ?::uuid", fenced.ID); n != 0 {
		t.Fatalf("%d messages stored in the fenced channel", n)
	}
	if msg := send(t, store, users[0], other.ID, "elsewhere"); msg.Seq != 1 {
		t.Fatalf("a send to an unfenced channel on the same shard got seq %d", msg.Seq)
	}
}
