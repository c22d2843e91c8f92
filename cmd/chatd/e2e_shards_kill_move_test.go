package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// TestKillDuringMoveFinishesAfterRestart adds a third shard whose
// messages table the test holds locked, so the mover's first copies wait
// there with their channels fenced and journalled; then chatd is killed
// (SIGKILL). After a restart the journal is finished: every channel ends
// on its owner of the new ring with all its messages, once each, seqs
// 1..n, and takes new sends at the next seq.
func TestKillDuringMoveFinishesAfterRestart(t *testing.T) {
	ownShards(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*moveTimeout)
	defer cancel()
	cfg := testConfig(pgtest.NewDatabase(t))
	cfg.Shards.URLs = newShardURLs(t, 2)
	bin := buildChatd(t)
	node, proc := startProcess(t, bin, cfg)

	_, token := node.newUser("alice")
	alice := node.connect(t, token)
	const channels, perChannel = 40, 10
	var ids []string
	for range channels {
		var g channelPayload
		alice.mustRequest("create_channel", map[string]any{"channelType": "group"}, "channel_created", &g)
		ids = append(ids, g.ChannelID)
		for i := 1; i <= perChannel; i++ {
			alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": fmt.Sprint("m", i), "clientMessageId": fmt.Sprint(i)}, "message_sent", nil)
		}
	}

	// The new shard, migrated beforehand so that its tables exist to lock.
	s3URL := pgtest.NewDatabase(t)
	migrated, err := postgres.Open(ctx, postgres.Config{URL: s3URL, ActorKey: postgres.ActorKey(cfg.JWTSecret)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	migrated.Close()
	s3 := connectDB(t, ctx, s3URL)
	lock, err := s3.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, "LOCK TABLE messages IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	if code := node.do("POST", "/admin/v1/shards", testAdminToken, map[string]any{"id": "s3", "url": s3URL}, nil); code != http.StatusCreated {
		t.Fatalf("POST /admin/v1/shards: HTTP %d", code)
	}
	dir := connectDB(t, ctx, cfg.DatabaseURL)
	waitUntil(t, "a move waiting on the locked shard", func() bool {
		return countOf(t, ctx, s3, "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'messages'::regclass") > 0
	})
	if countOf(t, ctx, dir, "SELECT count(*) FROM shard_moves") == 0 {
		t.Fatal("a copy waits but the journal is empty")
	}
	proc.kill()
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	node, _ = startProcess(t, bin, cfg)
	waitForRing(t, ctx, dir, "s1", "s2", "s3")
	placement := shardPlacements(t, ctx, dir)
	moved := 0
	for _, id := range ids {
		if placement[id] == "s3" {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no channel moved to the new shard")
	}
	urls := shardURLMap(cfg.Shards.URLs)
	urls["s3"] = s3URL
	total := int64(0)
	for _, url := range urls {
		conn := connectDB(t, ctx, url)
		total += countOf(t, ctx, conn, "SELECT count(*) FROM messages")
		if n := countOf(t, ctx, conn, `SELECT count(*) FROM (SELECT channel_id FROM messages GROUP BY channel_id
			HAVING count(*) <> max(seq) OR count(DISTINCT seq) <> count(*)) gaps`); n != 0 {
			t.Fatalf("%d channels on %s have gaps or repeated seqs", n, url)
		}
	}
	if total != channels*perChannel {
		t.Fatalf("the shards hold %d messages, want %d: lost or copied twice", total, channels*perChannel)
	}
	alice = node.connect(t, token)
	for _, id := range ids {
		var sent messagePayload
		alice.mustRequest("send_message", map[string]any{"channelId": id, "body": "after", "clientMessageId": "after"}, "message_sent", &sent)
		if sent.Seq != perChannel+1 {
			t.Fatalf("channel %s (on %s) took the next send at seq %d, want %d", id, placement[id], sent.Seq, perChannel+1)
		}
	}
}
