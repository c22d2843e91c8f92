package main

import (
	"context"
	"os"
	"testing"

	"github.com/chatd/chat/infrastructure/pgembed"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// TestShardOutageIsUnavailableForItsChannelsOnly puts shard s2 on a
// PostgreSQL cluster of its own and stops it: sends and history of its
// channels get `unavailable`, while the channels of s1, new connections
// and readiness are untouched; when s2 is back, the same ids work again
// without a restart.
func TestShardOutageIsUnavailableForItsChannelsOnly(t *testing.T) {
	if os.Getenv("CHAT_TEST_DATABASE_URL") == "" && os.Getenv("CI") == "" {
		t.Skip("CHAT_TEST_DATABASE_URL unset: run through make test")
	}
	ownShards(t)
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cluster, s2URL, err := pgembed.Start(ctx, dir)
	if err != nil {
		t.Fatalf("start the shard's own PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })
	cfg := testConfig(pgtest.NewDatabase(t))
	cfg.Shards.URLs = "s1=" + pgtest.NewDatabase(t) + ",s2=" + s2URL
	s := startWithConfig(t, cfg)
	directory := connectDB(t, ctx, cfg.DatabaseURL)

	_, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	onShard := map[string]string{}
	for len(onShard) < 2 {
		var g channelPayload
		alice.mustRequest("create_channel", map[string]any{"channelType": "group"}, "channel_created", &g)
		var shardID string
		if err := directory.QueryRow(ctx, "SELECT shard_id FROM channels WHERE id = $1", g.ChannelID).Scan(&shardID); err != nil {
			t.Fatal(err)
		}
		if _, ok := onShard[shardID]; !ok {
			onShard[shardID] = g.ChannelID
		}
	}

	if err := cluster.Stop(ctx); err != nil {
		t.Fatalf("stop the shard's PostgreSQL: %v", err)
	}
	down := map[string]any{"channelId": onShard["s2"], "body": "during the outage", "clientMessageId": "outage-1"}
	if code := alice.request("send_message", down).errorCode(t); code != "unavailable" {
		t.Fatalf("send to a channel of the stopped shard: %q, want unavailable", code)
	}
	if code := alice.request("get_messages", map[string]any{"channelId": onShard["s2"]}).errorCode(t); code != "unavailable" {
		t.Fatalf("history of a channel of the stopped shard: %q, want unavailable", code)
	}
	var sent messagePayload
	alice.mustRequest("send_message", map[string]any{"channelId": onShard["s1"], "body": "elsewhere", "clientMessageId": "up-1"}, "message_sent", &sent)
	var health struct{ Status string }
	if status := s.do("GET", "/readyz", "", nil, &health); status != 200 {
		t.Fatalf("readyz with one shard down: HTTP %d %+v, want 200: the node serves every other shard", status, health)
	}
	// A member of channels on both shards still connects; ready lists both.
	again := s.connect(t, aliceToken)
	listed := map[string]bool{}
	for _, ch := range again.ready.Channels {
		listed[ch.ChannelID] = true
	}
	if !listed[onShard["s1"]] || !listed[onShard["s2"]] {
		t.Fatalf("ready during the outage lists %+v, want both channels", again.ready.Channels)
	}

	if _, _, err := pgembed.Start(ctx, dir); err != nil {
		t.Fatalf("restart the shard's PostgreSQL: %v", err)
	}
	alice.mustRequest("send_message", down, "message_sent", &sent)
	if sent.Seq != 1 {
		t.Fatalf("seq after the outage = %d, want 1: the refused send must not have been stored", sent.Seq)
	}
}
