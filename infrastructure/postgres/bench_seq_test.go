package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// Seq allocation is the write path of every message: one transaction as
// the sender that checks membership, takes the channel's next seq (a row
// lock on the channel), inserts the message and its outbox row, and
// commits (an fsync, unless PostgreSQL batches it with others). These
// benchmarks measure it against the real database the tests use:
//
//	CHAT_TEST_DATABASE_URL=... go test ./infrastructure/postgres -run '^$' -bench AppendMessage -benchtime 2000x
//
// They are skipped without CHAT_TEST_DATABASE_URL, like every database test.

// benchStore opens a fresh migrated database for one benchmark.
func benchStore(b *testing.B) (*DB, *ChatStore) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := Open(ctx, Config{URL: pgtest.NewDatabase(b), ActorKey: testActorKey}, testLogger())
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { db.Close() })
	return db, NewChatStore(db)
}

// benchChannel creates a channel of n new users, the first its creator.
func benchChannel(b *testing.B, db *DB, store *ChatStore, n int) (domain.Channel, []string) {
	b.Helper()
	ctx := context.Background()
	users := NewUserStore(db)
	ids := make([]string, n)
	for i := range ids {
		u, err := users.CreateUser(ctx, domain.User{ID: randomID("u-"), Name: "bench", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)})
		if err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
		ids[i] = u.ID
	}
	spec := domain.NewChannelSpec{Type: domain.ChannelGroup, Name: "bench", CreatorID: ids[0], MemberIDs: ids[1:]}
	if n == 2 {
		spec.Type, spec.Name = domain.ChannelDirect, ""
	}
	members, err := spec.Members()
	if err != nil {
		b.Fatalf("Members: %v", err)
	}
	ch, _, err := store.CreateChannel(ctx, domain.Actor{UserID: ids[0], SessionID: "s-bench"}, spec, members)
	if err != nil {
		b.Fatalf("CreateChannel: %v", err)
	}
	return ch, ids
}

var benchMessageID atomic.Int64

func appendOne(b *testing.B, store *ChatStore, sender, channelID string) {
	_, _, err := store.AppendMessage(context.Background(), domain.Actor{UserID: sender, SessionID: "s-bench"}, domain.Message{
		ChannelID: channelID, SenderID: sender, Body: "benchmark body",
		ClientMessageID: fmt.Sprintf("b-%d", benchMessageID.Add(1)),
	}, nil)

	if err != nil {
		b.Fatalf("AppendMessage: %v", err)
	}
}

// BenchmarkAppendMessageSerial is one sender, one message at a time: the
// latency of one durable send (ns/op) and its ceiling per connection.
func BenchmarkAppendMessageSerial(b *testing.B) {
	db, store := benchStore(b)
	ch, ids := benchChannel(b, db, store, 2)
	for b.Loop() {
		appendOne(b, store, ids[0], ch.ID)
	}
}

// BenchmarkAppendMessageOneHotChannel is many senders in one 50-member
// group: every transaction waits for the channel row's lock, so this is
// the ceiling of one busy channel.
func BenchmarkAppendMessageOneHotChannel(b *testing.B) {
	db, store := benchStore(b)
	ch, ids := benchChannel(b, db, store, 50)
	var next atomic.Int64
	b.SetParallelism(8) // 8 x GOMAXPROCS senders
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		sender := ids[next.Add(1)%int64(len(ids))]
		for pb.Next() {
			appendOne(b, store, sender, ch.ID)
		}
	})
}

// BenchmarkAppendMessageManyChannels is many senders, each in its own
// direct channel: no row-lock contention, so this is the ceiling of the
// database's commit path (group commit) on this machine.
func BenchmarkAppendMessageManyChannels(b *testing.B) {
	db, store := benchStore(b)
	const senders = 32
	type pair struct{ sender, channel string }
	pairs := make([]pair, senders)
	for i := range pairs {
		ch, ids := benchChannel(b, db, store, 2)
		pairs[i] = pair{ids[0], ch.ID}
	}
	var next atomic.Int64
	b.SetParallelism(senders / 2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		p := pairs[next.Add(1)%senders]
		for pb.Next() {
			appendOne(b, store, p.sender, p.channel)
		}
	})
}
