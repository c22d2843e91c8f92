package postgres

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

func TestAppendMessageSeqIsDenseUnderConcurrentSenders(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	const senders, perSender = 8, 30
	users := newUsers(t, db, senders)
	ch := newGroup(t, store, users...)

	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for _, sender := range users {
		wg.Go(func() {
			for i := range perSender {
				msg, dup, err := store.AppendMessage(testContext(t), domain.Actor{UserID: sender, SessionID: "s"}, domain.Message{
					ChannelID: ch.ID, SenderID: sender, ClientMessageID: fmt.Sprintf("m-%d", i), Body: "hello",
				}, nil)

				if err != nil || dup {
					errs <- fmt.Errorf("sender %s message %d: dup=%v err=%w", sender, i, dup, err)
					return
				}
				mu.Lock()
				seqs = append(seqs, msg.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	const total = senders * perSender
	want := make([]int64, total)
	for i := range want {
		want[i] = int64(i + 1)
	}
	slices.Sort(seqs)
	if !slices.Equal(seqs, want) {
		t.Fatalf("returned seqs are not 1..%d without gaps or repeats: %v", total, seqs)
	}
	var stored []int64
	if err := db.system.Raw("SELECT seq FROM messages WHERE channel_id = ?::uuid ORDER BY seq", ch.ID).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stored, want) {
		t.Fatalf("stored seqs are not 1..%d: %v", total, stored)
	}
	if n := countRows(t, db, "SELECT last_seq FROM channels WHERE id = ?::uuid", ch.ID); n != total {
		t.Fatalf("last_seq = %d, want %d", n, total)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE channel_id = ?::uuid AND event->>'type' = 'message_created'", ch.ID); n != total {
		t.Fatalf("%d message_created outbox rows, want %d", n, total)
	}
}

func TestAppendMessageRetryReturnsOriginal(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])
	send(t, store, users[1], ch.ID, "before")

	first, dup, err := store.AppendMessage(testContext(t), domain.Actor{UserID: users[0], SessionID: "s1"}, domain.Message{
		ChannelID: ch.ID, ClientMessageID: "retry-me", Body: "original"}, nil)

	if err != nil || dup {
		t.Fatalf("first send: dup=%v err=%v", dup, err)
	}
	again, dup, err := store.AppendMessage(testContext(t), domain.Actor{UserID: users[0], SessionID: "s2"}, domain.Message{
		ChannelID: ch.ID, ClientMessageID: "retry-me", Body: "changed on retry"}, nil)

	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !dup {
		t.Fatal("retry was not reported as a duplicate")
	}
	if again != first {
		t.Fatalf("retry returned %+v, want the original %+v", again, first)
	}
	if first.Seq != 2 || first.Body != "original" || first.SenderID != users[0] || first.Status != domain.MessageSent {
		t.Fatalf("unexpected original %+v", first)
	}
	if first.CreatedAt.IsZero() || !first.CreatedAt.Equal(first.CreatedAt.Truncate(time.Millisecond)) {
		t.Fatalf("createdAt %v is not set at millisecond precision", first.CreatedAt)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE event->'message'->>'clientMessageId' = 'retry-me'"); n != 1 {
		t.Fatalf("%d outbox rows for the message, want 1", n)
	}
	// The same clientMessageId from the other user is a different message.
	other, dup, err := store.AppendMessage(testContext(t), domain.Actor{UserID: users[1], SessionID: "s3"}, domain.Message{
		ChannelID: ch.ID, ClientMessageID: "retry-me", Body: "mine"}, nil)

	if err != nil || dup || other.Seq != 3 {
		t.Fatalf("other sender: %+v dup=%v err=%v", other, dup, err)
	}
}

func TestAppendMessageConcurrentRetriesStoreOneMessage(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])

	const tries = 8
	results := make([]domain.Message, tries)
	dups := make([]bool, tries)
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			results[i], dups[i], errs[i] = store.AppendMessage(testContext(t), domain.Actor{UserID: users[0], SessionID: "s"}, domain.Message{
				ChannelID: ch.ID, ClientMessageID: "same", Body: "once"}, nil)

		})
	}
	wg.Wait()
	fresh := 0
	for i := range tries {
		if errs[i] != nil {
			t.Fatalf("try %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Fatalf("try %d returned %+v, try 0 %+v", i, results[i], results[0])
		}
		if !dups[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d tries stored a message, want exactly 1", fresh)
	}
	if n := countRows(t, db, "SELECT count(*) FROM messages WHERE channel_id = ?::uuid", ch.ID); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
	if results[0].Seq != 1 {
		t.Fatalf("seq = %d, want 1", results[0].Seq)
	}
}
