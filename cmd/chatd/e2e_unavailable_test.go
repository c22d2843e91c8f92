package main

import (
	"context"
	"os"
	"testing"

	"github.com/chatd/chat/infrastructure/pgembed"
)

// TestDatabaseOutageIsUnavailable runs chatd on a PostgreSQL cluster of its
// own, stops that cluster under it, and checks the protocol's promise:
// `unavailable`, nothing stored, and the same ids work once it is back.
func TestDatabaseOutageIsUnavailable(t *testing.T) {
	if os.Getenv("CHAT_TEST_DATABASE_URL") == "" && os.Getenv("CI") == "" {
		t.Skip("CHAT_TEST_DATABASE_URL unset: run through make test")
	}
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cluster, dbURL, err := pgembed.Start(ctx, dir)
	if err != nil {
		t.Fatalf("start own PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })
	// The directory alone: with shards, sends to channels whose shard is
	// up go on while the directory is down (TestShardOutage...).
	testShardURLs.Store(dbURL, "")
	s := startWithConfig(t, testConfig(dbURL))
	alice, _ := s.login("alice")
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group"}, "channel_created", &g)

	if err := cluster.Stop(ctx); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	send := map[string]any{"channelId": g.ChannelID, "body": "during the outage", "clientMessageId": "outage-1"}
	if code := alice.request("send_message", send).errorCode(t); code != "unavailable" {
		t.Fatalf("send during outage: %q, want unavailable", code)
	}
	if code := alice.request("get_messages", map[string]any{"channelId": g.ChannelID}).errorCode(t); code != "unavailable" {
		t.Fatalf("history during outage: %q, want unavailable", code)
	}
	var health struct{ Status string }
	if status := s.do("GET", "/readyz", "", nil, &health); status != 503 || health.Status == "ok" {
		t.Fatalf("readyz during outage: HTTP %d %+v", status, health)
	}

	if _, _, err := pgembed.Start(ctx, dir); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	var sent messagePayload
	alice.mustRequest("send_message", send, "message_sent", &sent)
	if sent.Seq != 1 {
		t.Fatalf("seq after the outage = %d, want 1: the failed send must not have been stored", sent.Seq)
	}
}
