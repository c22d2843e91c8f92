package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

// sendCall is what AppendMessage hands the batcher for one send.
func sendCall(t *testing.T, actor, channel, clientID, status string) *appendCall {
	t.Helper()
	return &appendCall{actor: actor, proof: actorProof(testActorKey, actor), channel: channel, clientMessageID: clientID,
		body: "body " + clientID, status: status, origin: "s"}
}

// storedMessages lists a channel's messages as "sender/clientID#seq".
func storedMessages(t *testing.T, db *DB, channel string) []string {
	t.Helper()
	var rows []struct {
		SenderID, ClientMessageID string
		Seq                       int64
	}
	if err := db.system.Raw("SELECT sender_id, client_message_id, seq FROM messages WHERE channel_id = ?::uuid ORDER BY seq", channel).
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s/%s#%d", r.SenderID, r.ClientMessageID, r.Seq))
	}
	return out
}

// outboxSeqs lists the seqs the outbox events of a channel carry.
func outboxSeqs(t *testing.T, db *DB, channel string) []int64 {
	t.Helper()
	var seqs []int64
	if err := db.system.Raw("SELECT (event->'message'->>'seq')::bigint FROM outbox WHERE channel_id = ?::uuid AND event->'message' IS NOT NULL ORDER BY id", channel).
		Scan(&seqs).Error; err != nil {
		t.Fatal(err)
	}
	return seqs
}

// An outsider's sends sit in the same transaction as members' sends, before
// and after them: row-level security must still judge each send as its own
// sender, or the outsider would borrow a member's identity (or the members
// the outsider's).
func TestAppendBatchJudgesEachSendAsItsSender(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	u := newUsers(t, db, 3)
	a, b, outsider := u[0], u[1], u[2]
	direct := newDirect(t, store, a, b)
	group := newGroup(t, store, a, b)

	batch := []*appendCall{
		sendCall(t, outsider, direct.ID, "x1", "sent"),
		sendCall(t, a, direct.ID, "m1", "sent"),
		sendCall(t, outsider, group.ID, "x2", "sent"),
		sendCall(t, b, direct.ID, "m2", "sent"),
		sendCall(t, a, direct.ID, "m1", "sent"), // a retry of m1
		sendCall(t, b, group.ID, "g1", "sent"),
		sendCall(t, outsider, direct.ID, "x3", "sent"),
	}
	outs, err := store.appends.lanes[0].storeMany(testContext(t), batch)
	if err != nil {
		t.Fatalf("storeMany: %v", err)
	}
	type result struct {
		status string
		seq    int64
	}
	got := make([]result, len(outs))
	for i, o := range outs {
		got[i] = result{o.status, o.seq.Int64}
	}
	want := []result{{"not_found", 0}, {"stored", 1}, {"not_member", 0}, {"stored", 2}, {"duplicate", 1}, {"stored", 1}, {"not_found", 0}}
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes\n got %v\nwant %v", got, want)
	}
	if msgs, want := storedMessages(t, db, direct.ID), []string{a + "/m1#1", b + "/m2#2"}; !slices.Equal(msgs, want) {
		t.Fatalf("direct channel holds %v, want %v", msgs, want)
	}
	if msgs, want := storedMessages(t, db, group.ID), []string{b + "/g1#1"}; !slices.Equal(msgs, want) {
		t.Fatalf("group holds %v, want %v", msgs, want)
	}
	if seqs := outboxSeqs(t, db, direct.ID); !slices.Equal(seqs, []int64{1, 2}) {
		t.Fatalf("direct channel's outbox events carry seqs %v, want [1 2]", seqs)
	}
}

// A send the database refuses fails the batch's transaction; the batcher
// must then store the others alone, and the refused one must leave nothing.
func TestAppendBatchFailureFailsOnlyTheFaultySend(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	u := newUsers(t, db, 2)
	direct := newDirect(t, store, u[0], u[1])
	batch := func() []*appendCall {
		return []*appendCall{
			sendCall(t, u[0], direct.ID, "ok1", "sent"),
			sendCall(t, u[0], direct.ID, "bad", "bogus"), // violates messages_status
			sendCall(t, u[1], direct.ID, "ok2", "sent"),
		}
	}

	if _, err := store.appends.lanes[0].storeMany(testContext(t), batch()); err == nil {
		t.Fatal("a batch holding a send the database refuses succeeded")
	}
	if msgs := storedMessages(t, db, direct.ID); len(msgs) != 0 {
		t.Fatalf("the failed batch left messages behind: %v", msgs)
	}

	calls := batch()
	for _, c := range calls {
		c.done = make(chan appendOutcome, 1)
	}
	store.appends.lanes[0].store(testContext(t), calls)
	outs := make([]appendOutcome, len(calls))
	for i, c := range calls {
		outs[i] = <-c.done
	}
	if outs[0].err != nil || outs[0].status != "stored" || outs[2].err != nil || outs[2].status != "stored" {
		t.Fatalf("the valid sends were not stored after the batch failed: %+v, %+v", outs[0], outs[2])
	}
	if outs[1].err == nil {
		t.Fatalf("the refused send reported %q", outs[1].status)
	}
	if msgs, want := storedMessages(t, db, direct.ID), []string{u[0] + "/ok1#1", u[1] + "/ok2#2"}; !slices.Equal(msgs, want) {
		t.Fatalf("channel holds %v, want %v", msgs, want)
	}
	if seqs := outboxSeqs(t, db, direct.ID); !slices.Equal(seqs, []int64{1, 2}) {
		t.Fatalf("outbox events carry seqs %v, want [1 2]", seqs)
	}
}

// Sends that arrive while every slot is busy wait and then go together in
// one transaction; a caller that stops waiting does not block the batch,
// and its send is stored all the same (a retry finds it).
func TestAppendBatcherGroupsSendsThatQueue(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	u := newUsers(t, db, 4)
	group := newGroup(t, store, u...)
	b := store.appends.lane(group.ID)
	var sizes []int
	b.onBatch = func(n int) { sizes = append(sizes, n) } // runs under the test's control only

	b.mu.Lock()
	b.busy = true // as if a transaction were in flight
	b.mu.Unlock()

	const waiting = 10
	type answer struct {
		msg domain.Message
		err error
	}
	answers := make([]answer, waiting)
	var wg sync.WaitGroup
	for i := range waiting {
		wg.Go(func() {
			sender := u[i%len(u)]
			msg, _, err := store.AppendMessage(testContext(t), domain.Actor{UserID: sender, SessionID: "s"}, domain.Message{
				ChannelID: group.ID, ClientMessageID: fmt.Sprintf("q-%d", i), Body: "hi"}, nil)

			answers[i] = answer{msg, err}
		})
	}
	gaveUp, cancel := context.WithCancel(testContext(t))
	gaveUpErr := make(chan error, 1)
	go func() {
		_, _, err := store.AppendMessage(gaveUp, domain.Actor{UserID: u[0], SessionID: "s"}, domain.Message{ChannelID: group.ID, ClientMessageID: "gave-up", Body: "hi"}, nil)
		gaveUpErr <- err
	}()
	waitPending(t, b, waiting+1)
	cancel()
	if err := <-gaveUpErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller that gave up got %v", err)
	}

	// The batch in flight ends: the next takes everything that queued.
	b.mu.Lock()
	next := b.takeLocked(nil)
	b.mu.Unlock()
	b.run(context.Background(), next)
	wg.Wait()

	if !slices.Equal(sizes, []int{waiting + 1}) {
		t.Fatalf("batches of %v, want one of %d", sizes, waiting+1)
	}
	seqs := make([]int64, 0, waiting)
	for i, a := range answers {
		if a.err != nil {
			t.Fatalf("send %d: %v", i, a.err)
		}
		seqs = append(seqs, a.msg.Seq)
	}
	slices.Sort(seqs)
	if msgs := storedMessages(t, db, group.ID); len(msgs) != waiting+1 {
		t.Fatalf("group holds %d messages, want %d (the abandoned send too): %v", len(msgs), waiting+1, msgs)
	}
	if seqs[0] < 1 || seqs[len(seqs)-1] > waiting+1 || len(slices.Compact(seqs)) != waiting {
		t.Fatalf("answered seqs %v are not distinct within 1..%d", seqs, waiting+1)
	}
	b.mu.Lock()
	busy := b.busy
	b.mu.Unlock()
	if busy {
		t.Fatal("the batcher is still busy after its last batch finished")
	}
}

// waitPending waits until n sends queue in b (or the test's deadline).
func waitPending(t *testing.T, b *appendBatcher, n int) {
	t.Helper()
	ctx := testContext(t)
	for {
		b.mu.Lock()
		queued := len(b.pending)
		b.mu.Unlock()
		if queued == n {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%d sends queued, want %d", queued, n)
		}
		runtime.Gosched()
	}
}

// A backlog larger than one batch is taken oldest first, appendMaxBatch at
// a time, so no commit grows without bound and nobody is overtaken.
func TestAppendBatcherTakesAtMostOneBatch(t *testing.T) {
	b := &appendBatcher{}
	for i := range appendMaxBatch + 3 {
		b.pending = append(b.pending, &appendCall{clientMessageID: fmt.Sprint(i)})
	}
	first := b.takeLocked([]*appendCall{{clientMessageID: "own"}})
	if len(first) != appendMaxBatch || first[0].clientMessageID != "own" || first[1].clientMessageID != "0" {
		t.Fatalf("first batch has %d sends starting %q, %q", len(first), first[0].clientMessageID, first[1].clientMessageID)
	}
	second := b.takeLocked(nil)
	if len(second) != 4 || second[0].clientMessageID != fmt.Sprint(appendMaxBatch-1) || b.pending != nil {
		t.Fatalf("second batch has %d sends starting %q; %d left", len(second), second[0].clientMessageID, len(b.pending))
	}
}

// A channel always takes the same lane, so its sends queue in one place in
// arrival order and two lanes never lock the same channel; and the lanes
// share the channels between them.
func TestAppendLanesKeepAChannelOnOneLane(t *testing.T) {
	l := newAppendLanes(nil, testLogger(), func() {}, newBatchSizes())
	used := map[*appendBatcher]int{}
	for i := range 1000 {
		channel := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		first := l.lane(channel)
		if l.lane(channel) != first {
			t.Fatalf("channel %s changed lanes", channel)
		}
		used[first]++
	}
	if len(used) != appendLaneCount {
		t.Fatalf("1,000 channels used %d of %d lanes", len(used), appendLaneCount)
	}
	for _, n := range used {
		if n < 1000/appendLaneCount/2 {
			t.Fatalf("lanes are unbalanced: %v", used)
		}
	}
}

// A lane refuses a send at once when the send would wait behind too many
// others or behind one that has waited too long, so what it accepts is
// answered within a bounded time on any number of shards; once the old
// sends are taken into a batch it accepts again.
func TestAppendBatcherRefusesSendsBehindALongWait(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	b := &appendBatcher{now: func() time.Time { return clock }}
	b.busy = true // a transaction in flight
	gaveUp, cancel := context.WithCancel(context.Background())
	cancel() // each accepted send queues, then stops waiting for its batch
	send := func(id string) error {
		_, err := b.append(gaveUp, &appendCall{clientMessageID: id})
		return err
	}
	accepted := func(id string) {
		t.Helper()
		if err := send(id); !errors.Is(err, context.Canceled) {
			t.Fatalf("send %s: %v, want it queued", id, err)
		}
	}
	refused := func(id string) {
		t.Helper()
		err := send(id)
		if !errors.Is(err, errSendsOverloaded) || domain.RetryAfterOf(err) != appendRetryAfter {
			t.Fatalf("send %s: %v, want refused with a retry hint of %v", id, err, appendRetryAfter)
		}
	}

	accepted("oldest")
	clock = clock.Add(appendMaxWait)
	accepted("at-the-bound")
	clock = clock.Add(time.Millisecond)
	refused("past-the-bound")
	if len(b.pending) != 2 {
		t.Fatalf("%d sends wait, want 2: a refused send must not queue", len(b.pending))
	}

	b.takeLocked(nil) // the next batch takes them
	accepted("after-the-batch")
	for i := range appendMaxPending - 1 {
		accepted(fmt.Sprint("fill-", i))
	}
	refused("over-the-count")
}
