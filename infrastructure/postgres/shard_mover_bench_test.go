package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// BenchmarkAddShardTo10000Channels measures adding a fourth shard to three
// that hold 10,000 channels of 10 messages each: how long until every
// channel is on its new owner, and how long each moved channel was fenced.
// Run it once: go test ./infrastructure/postgres -run '^$' -bench AddShard -benchtime 1x
func BenchmarkAddShardTo10000Channels(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		shards, store, users := benchShards(b)
		const total, perChannel, workers = 10000, 10, 8
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < total; i += workers {
					a, c := users[i%len(users)], users[(i+1)%len(users)]
					spec := domain.NewChannelSpec{Type: domain.ChannelGroup, Name: "g", CreatorID: a, MemberIDs: []string{c}}
					ch, _, err := store.CreateChannel(ctx, domain.Actor{UserID: a}, spec, []string{a, c})
					if err != nil {
						b.Error(err)
						return
					}
					for m := range perChannel {
						_, _, err := store.AppendMessage(ctx, domain.Actor{UserID: a}, domain.Message{ChannelID: ch.ID, SenderID: a,
							ClientMessageID: fmt.Sprint(m), Body: "x", Status: domain.MessageSent}, nil)
						if err != nil {
							b.Error(err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		sink := newRecordingSink()
		relayCtx, stop := context.WithCancel(ctx)
		relays := NewShardRelays(shards, sink, testLogger(), 0)
		done := make(chan error, 1)
		go func() { done <- relays.Run(relayCtx) }()
		mover := NewShardMover(shards, testLogger())

		b.StartTimer()
		start := time.Now()
		if _, err := NewShardAdmin(shards, mover, false).AddShard(ctx, "s4", pgtest.NewDatabase(b), 1); err != nil {
			b.Fatal(err)
		}
		moveUntilSettled(ctx, b, mover)
		elapsed := time.Since(start)
		b.StopTimer()
		stop()
		<-done
		recent, moved, longest := mover.Moves()
		fences := make([]time.Duration, 0, len(recent))
		for _, r := range recent {
			fences = append(fences, r.Fence)
		}
		slices.Sort(fences)
		b.ReportMetric(elapsed.Seconds(), "s-to-rebalance")
		b.ReportMetric(float64(moved), "channels-moved")
		b.ReportMetric(float64(moved)/elapsed.Seconds(), "channels/s")
		b.ReportMetric(float64(fences[len(fences)/2].Microseconds())/1000, "p50-fence-ms")
		b.ReportMetric(float64(fences[len(fences)*99/100].Microseconds())/1000, "p99-fence-ms")
		b.ReportMetric(float64(longest.Microseconds())/1000, "max-fence-ms")
	}
}

// benchShards opens a directory and three shards with some users.
func benchShards(b *testing.B) (*Shards, *ShardedStore, []string) {
	b.Helper()
	url := pgtest.NewDatabase(b)
	ctx := context.Background()
	db, err := Open(ctx, Config{URL: url, ActorKey: testActorKey}, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var specs []ShardSpec
	for i := range 3 {
		specs = append(specs, ShardSpec{ID: fmt.Sprintf("s%d", i+1), URL: pgtest.NewDatabase(b), Weight: 1, State: ShardActive})
	}
	shards, err := OpenShards(ctx, db, Config{ActorKey: testActorKey}, specs, testLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { shards.Close() })
	users := NewUserStore(db)
	var ids []string
	for i := range 20 {
		u, err := users.CreateUser(ctx, domain.User{ID: fmt.Sprintf("bench-%d", i), Name: "u", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return shards, NewShardedStore(shards, testLogger()), ids
}
