package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// TestKillBetweenDirectoryAndShardWrites kills chatd (SIGKILL) while a
// create_channel, a join_channel and a leave_channel have each written the
// directory's index and wait to write the shard, whose memberships table
// the test holds locked. After a restart the reconciler completes all
// three on the shard, once: the channel exists with its three members,
// the joiner is in, the leaver is out, and nothing is left pending.
func TestKillBetweenDirectoryAndShardWrites(t *testing.T) {
	ownShards(t)
	t.Parallel()
	cfg := testConfig(pgtest.NewDatabase(t))
	cfg.Shards.URLs = newShardURLs(t, 1)
	cfg.Shards.ReconcileGrace = time.Second
	shardURL := strings.TrimPrefix(cfg.Shards.URLs, "s1=")
	bin := buildChatd(t)
	node, proc := startProcess(t, bin, cfg)

	aliceID, aliceToken := node.newUser("alice")
	bobID, bobToken := node.newUser("bob")
	carolID, carolToken := node.newUser("carol")
	alice, bob, carol := node.connect(t, aliceToken), node.connect(t, bobToken), node.connect(t, carolToken)
	var joinLater, leaveLater channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "join-later", "memberIds": []string{bobID}}, "channel_created", &joinLater)
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "leave-later", "memberIds": []string{bobID, carolID}}, "channel_created", &leaveLater)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := connectDB(t, ctx, cfg.DatabaseURL)
	shard := connectDB(t, ctx, shardURL)
	lock, err := shard.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Inserts and deletes of memberships wait; reads do not.
	if _, err := lock.Exec(ctx, "LOCK TABLE memberships IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	sendCommand(t, alice, "create_channel", map[string]any{"channelType": "group", "name": "half", "memberIds": []string{bobID, carolID}})
	sendCommand(t, carol, "join_channel", map[string]any{"channelId": joinLater.ChannelID})
	sendCommand(t, bob, "leave_channel", map[string]any{"channelId": leaveLater.ChannelID})
	waitUntil(t, "three index rows marked pending", func() bool {
		return countOf(t, ctx, dir, "SELECT count(*) FROM channels WHERE pending_since IS NOT NULL") == 3
	})
	proc.kill()
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	half := "SELECT count(*) FROM channels WHERE name = 'half'"
	if n := countOf(t, ctx, shard, half); n != 0 {
		t.Fatalf("the shard has %d 'half' channels before the repair, want 0 (the kill came first)", n)
	}

	node, _ = startProcess(t, bin, cfg)
	waitUntil(t, "the reconciler to settle every index row", func() bool {
		return countOf(t, ctx, dir, "SELECT count(*) FROM channels WHERE pending_since IS NOT NULL") == 0
	})
	if n := countOf(t, ctx, shard, half); n != 1 {
		t.Fatalf("the shard has %d 'half' channels after the repair, want 1", n)
	}
	if n := countOf(t, ctx, dir, half); n != 1 {
		t.Fatalf("the directory indexes %d 'half' channels, want 1", n)
	}
	members := func(conn *pgx.Conn, where string, args ...any) []string {
		rows, err := conn.Query(ctx, "SELECT m.user_id FROM memberships m JOIN channels c ON c.id = m.channel_id WHERE "+where+" ORDER BY m.user_id", args...)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for _, c := range []struct {
		what, where string
		arg         any
		want        []string
	}{
		{"the created channel", "c.name = $1", "half", []string{aliceID, bobID, carolID}},
		{"the joined channel", "c.id = $1", joinLater.ChannelID, []string{aliceID, bobID, carolID}},
		{"the left channel", "c.id = $1", leaveLater.ChannelID, []string{aliceID, carolID}},
	} {
		want := slices.Sorted(slices.Values(c.want))
		if got := members(shard, c.where, c.arg); !slices.Equal(got, want) {
			t.Errorf("%s has members %v on the shard, want %v", c.what, got, want)
		}
		if got := members(dir, c.where, c.arg); !slices.Equal(got, want) {
			t.Errorf("%s has members %v in the index, want %v", c.what, got, want)
		}
	}

	// The repaired channel works: bob, reconnected, finds it and sends.
	bob = node.connect(t, bobToken)
	var halfID string
	if err := dir.QueryRow(ctx, "SELECT id::text FROM channels WHERE name = 'half'").Scan(&halfID); err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Seq int64 `json:"seq"`
	}
	bob.mustRequest("send_message", map[string]any{"channelId": halfID, "clientMessageId": "after", "body": "repaired"}, "message_sent", &sent)
	if sent.Seq != 1 {
		t.Fatalf("first message of the repaired channel has seq %d, want 1", sent.Seq)
	}
}

func connectDB(t *testing.T, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func countOf(t *testing.T, ctx context.Context, conn *pgx.Conn, query string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// sendCommand writes a command without waiting for its reply.
func sendCommand(t *testing.T, c *client, typ string, payload any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"type": typ, "requestId": fmt.Sprintf("r-%d", c.next.Add(1)), "payload": payload})
	if err != nil {
		t.Fatal(err)
	}
	c.sendRaw(string(body))
}

// waitUntil polls cond until it holds, failing the test after waitTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, waitTimeout, what, cond)
}

// moveTimeout bounds the wait for the moves of a shard's joining: a few
// hundred channels, four at a time, on a machine the whole suite shares.
const moveTimeout = 3 * time.Minute

// waitWithin polls cond until it holds, failing the test after d.
func waitWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
