package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// testTimeout bounds every database test, so a lock-up fails instead of
// hanging the suite.
const testTimeout = 60 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// openTestDB migrates a fresh database and opens it.
func openTestDB(t *testing.T) (*DB, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	db, err := Open(testContext(t), Config{URL: url, ActorKey: testActorKey}, testLogger())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

// testActorKey is the actor key of every test database.
var testActorKey = ActorKey("the test suite's secret")

func randomID(prefix string) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}

// newUsers creates n users with random ids.
func newUsers(t *testing.T, db *DB, n int) []string {
	t.Helper()
	store := NewUserStore(db)
	ids := make([]string, n)
	for i := range ids {
		u, err := store.CreateUser(testContext(t), domain.User{
			ID: randomID("u-"), Name: "user", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		ids[i] = u.ID
	}
	return ids
}

// newGroup creates a group of members (the first is the creator).
func newGroup(t *testing.T, store chat.Store, members ...string) domain.Channel {
	t.Helper()
	spec := domain.NewChannelSpec{Type: domain.ChannelGroup, Name: "g", CreatorID: members[0], MemberIDs: members[1:]}
	return createChannel(t, store, spec)
}

// newDirect creates the direct channel of a and b, created by a.
func newDirect(t *testing.T, store chat.Store, a, b string) domain.Channel {
	t.Helper()
	spec := domain.NewChannelSpec{Type: domain.ChannelDirect, CreatorID: a, MemberIDs: []string{b}}
	return createChannel(t, store, spec)
}

func createChannel(t *testing.T, store chat.Store, spec domain.NewChannelSpec) domain.Channel {
	t.Helper()
	members, err := spec.Members()
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	ch, _, err := store.CreateChannel(testContext(t), domain.Actor{UserID: spec.CreatorID, SessionID: "s-test"}, spec, members)
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	return ch
}

func send(t *testing.T, store chat.Store, sender, channelID, body string) domain.Message {
	t.Helper()
	msg, _, err := store.AppendMessage(testContext(t), domain.Actor{UserID: sender, SessionID: "s-test"}, domain.Message{
		ChannelID: channelID, SenderID: sender, ClientMessageID: randomID("c-"), Body: body, Status: domain.MessageSent,
	}, nil)

	if err != nil {
		t.Fatalf("AppendMessage: %v", err)
	}
	return msg
}

// wantErr fails unless err matches want with errors.Is.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// countRows counts rows as chat_system, which sees everything.
func countRows(t *testing.T, db *DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.system.WithContext(testContext(t)).Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return n
}

// openTestShards opens the shard map of db: db alone when n is 0, else n
// fresh shard databases beside it, with db as the directory only.
func openTestShards(t *testing.T, db *DB, n int) *Shards {
	t.Helper()
	var specs []ShardSpec
	for i := range n {
		specs = append(specs, ShardSpec{ID: fmt.Sprintf("s%d", i+1), URL: pgtest.NewDatabase(t), Weight: 1, State: ShardActive})
	}
	shards, err := OpenShards(testContext(t), db, Config{ActorKey: testActorKey}, specs, testLogger())
	if err != nil {
		t.Fatalf("OpenShards: %v", err)
	}
	t.Cleanup(func() { shards.Close() })
	return shards
}

// moveUntilSettled runs the mover's rounds until one moves nothing.
func moveUntilSettled(ctx context.Context, tb testing.TB, mover *ShardMover) {
	tb.Helper()
	for {
		n, err := mover.Round(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
