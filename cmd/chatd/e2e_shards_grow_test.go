package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// ack is a send the server acknowledged.
type ack struct {
	channel, clientID, messageID, body string
	seq                                int64
}

// TestAddShardDuringSendsLosesNothing spreads 1,000 channels over three
// shards, streams sends to 200 of them from four connections, and adds a
// fourth shard through the admin API in the middle of the stream. Once
// every channel is where the new ring says: every acknowledged message
// exists exactly once, on its channel's shard, with its id and body, each
// channel's seqs are 1..n, no clientMessageId was acknowledged twice with
// different ids, about a quarter of the channels moved, and the mover
// fenced exactly the channels that moved.
func TestAddShardDuringSendsLosesNothing(t *testing.T) {
	ownShards(t)
	t.Parallel()
	cfg := testConfig(pgtest.NewDatabase(t))
	cfg.Shards.URLs = newShardURLs(t, 3)
	s := startWithConfig(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*moveTimeout)
	defer cancel()
	dir := connectDB(t, ctx, cfg.DatabaseURL)

	const total, streamed, senders = 1000, 200, 4
	otherID, _ := s.newUser("other")
	clients := make([]*client, senders)
	channels := make([][]string, senders) // the channels each sender creates
	var wg sync.WaitGroup
	for i := range clients {
		_, token := s.newUser(fmt.Sprint("sender", i))
		clients[i] = s.connect(t, token)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range total / senders {
				var g channelPayload
				clients[i].mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{otherID}}, "channel_created", &g)
				channels[i] = append(channels[i], g.ChannelID)
			}
		}()
	}
	wg.Wait()
	before := shardPlacements(t, ctx, dir)

	var mu sync.Mutex
	var acks []ack
	stop := make(chan struct{})
	var streamErrs []string
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := channels[i][:streamed/senders]
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				a, err := sendUntilStored(c, mine[n%len(mine)], fmt.Sprintf("c%d-%d", i, n))
				mu.Lock()
				if err != "" {
					streamErrs = append(streamErrs, err)
				} else {
					acks = append(acks, a)
				}
				mu.Unlock()
			}
		}()
	}
	waitUntil(t, "some sends before the shard joins", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acks) >= 200
	})
	var added struct{ ID string }
	if code := s.do("POST", "/admin/v1/shards", testAdminToken, map[string]any{"id": "s4", "url": pgtest.NewDatabase(t)}, &added); code != http.StatusCreated {
		t.Fatalf("POST /admin/v1/shards: HTTP %d", code)
	}
	waitForRing(t, ctx, dir, "s1", "s2", "s3", "s4")
	mu.Lock()
	target := len(acks) + 200
	mu.Unlock()
	waitUntil(t, "more sends after the moves", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acks) >= target
	})
	close(stop)
	wg.Wait()
	if len(streamErrs) > 0 {
		t.Fatalf("%d sends failed for good, first: %s", len(streamErrs), streamErrs[0])
	}

	after := shardPlacements(t, ctx, dir)
	var moved []string
	for id, shard := range after {
		if before[id] != shard {
			if shard != "s4" {
				t.Fatalf("channel %s moved from %s to %s: only the new shard takes channels", id, before[id], shard)
			}
			moved = append(moved, id)
		}
	}
	share := float64(len(moved)) / total
	var status struct {
		Shards []struct {
			ID       string
			Channels int64
			Messages int64
		}
		MovesDone      int
		LongestFenceMs float64
		Recent         []struct{ ChannelID string }
	}
	if code := s.do("GET", "/admin/v1/shards", testAdminToken, nil, &status); code != http.StatusOK {
		t.Fatalf("GET /admin/v1/shards: HTTP %d", code)
	}
	t.Logf("%d sends acknowledged; %d of %d channels moved (%.1f%%); longest fence %.1f ms; shards %+v",
		len(acks), len(moved), total, share*100, status.LongestFenceMs, status.Shards)
	if math.Abs(share-0.25) > 0.05 {
		t.Errorf("%.1f%% of the channels moved, want within 5 points of 25%%", share*100)
	}
	var fenced []string
	for _, r := range status.Recent {
		fenced = append(fenced, r.ChannelID)
	}
	slices.Sort(fenced)
	slices.Sort(moved)
	if !slices.Equal(fenced, moved) {
		t.Errorf("the mover fenced %d channels and %d moved: channels that did not move must never be fenced", len(fenced), len(moved))
	}
	checkStoredOnce(t, ctx, cfg, after, acks)
}

// waitForRing waits until the move journal is empty and the directory
// places every channel on its owner of the ring over shards (weight 1).
func waitForRing(t *testing.T, ctx context.Context, dir *pgx.Conn, shards ...string) {
	t.Helper()
	nodes := make([]domain.RingNode, 0, len(shards))
	for _, id := range shards {
		nodes = append(nodes, domain.RingNode{ID: id, Weight: 1})
	}
	ring, err := domain.NewRing(nodes, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitWithin(t, moveTimeout, "every channel on its owner of the new ring, no move left", func() bool {
		if countOf(t, ctx, dir, "SELECT count(*) FROM shard_moves") > 0 {
			return false
		}
		for id, shard := range shardPlacements(t, ctx, dir) {
			if owner, _ := ring.Owner(id); owner.ID != shard {
				return false
			}
		}
		return true
	})
}

// sendUntilStored sends one message, repeating it with the same
// clientMessageId while the server answers unavailable, as clients must.
func sendUntilStored(c *client, channelID, clientID string) (ack, string) {
	body := "body of " + clientID
	for attempt := 0; attempt < 50; attempt++ {
		f := c.request("send_message", map[string]any{"channelId": channelID, "body": body, "clientMessageId": clientID})
		if f.Type == "message_sent" {
			var m messagePayload
			f.decode(c.t, &m)
			return ack{channel: channelID, clientID: clientID, messageID: m.MessageID, body: m.Body, seq: m.Seq}, ""
		}
		var refusal struct {
			Code         string `json:"code"`
			RetryAfterMs int    `json:"retryAfterMs"`
		}
		f.decode(c.t, &refusal)
		if refusal.Code != "unavailable" {
			return ack{}, fmt.Sprintf("send %s: %s %s", clientID, f.Type, f.Payload)
		}
		// A client waits as long as the server asks before it retries.
		time.Sleep(time.Duration(max(refusal.RetryAfterMs, 10)) * time.Millisecond)
	}
	return ack{}, "send " + clientID + ": unavailable 50 times"
}

// shardPlacements reads each channel's shard from the directory.
func shardPlacements(t *testing.T, ctx context.Context, dir *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := dir.Query(ctx, "SELECT id::text, coalesce(shard_id, '') FROM channels")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, shard string
		if err := rows.Scan(&id, &shard); err != nil {
			t.Fatal(err)
		}
		out[id] = shard
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkStoredOnce reads every shard's messages and checks the
// acknowledged ones against them.
func checkStoredOnce(t *testing.T, ctx context.Context, cfg config.Config, placement map[string]string, acks []ack) {
	t.Helper()
	urls := shardURLMap(cfg.Shards.URLs)
	var s4 string
	if err := connectDB(t, ctx, cfg.DatabaseURL).QueryRow(ctx, "SELECT url FROM shards WHERE id = 's4'").Scan(&s4); err != nil {
		t.Fatal(err)
	}
	urls["s4"] = s4
	type stored struct {
		shard, channel, body, clientID string
		seq                            int64
	}
	byID := map[string][]stored{}
	seqs := map[string][]int64{}
	for shard, url := range urls {
		rows, err := connectDB(t, ctx, url).Query(ctx, "SELECT id::text, channel_id::text, seq, body, client_message_id FROM messages ORDER BY channel_id, seq")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			var m stored
			if err := rows.Scan(&id, &m.channel, &m.seq, &m.body, &m.clientID); err != nil {
				t.Fatal(err)
			}
			m.shard = shard
			byID[id] = append(byID[id], m)
			seqs[m.channel] = append(seqs[m.channel], m.seq)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for ch, got := range seqs {
		for i, seq := range got {
			if seq != int64(i+1) {
				t.Fatalf("channel %s holds seqs %v, want 1..%d: a gap or a copy left behind", ch, got, len(got))
			}
		}
	}
	idOf := map[string]string{}
	for _, a := range acks {
		if prev, ok := idOf[a.clientID]; ok && prev != a.messageID {
			t.Fatalf("clientMessageId %s acknowledged as %s and as %s", a.clientID, prev, a.messageID)
		}
		idOf[a.clientID] = a.messageID
		copies := byID[a.messageID]
		if len(copies) != 1 {
			t.Fatalf("acknowledged message %s (%s) is stored %d times", a.messageID, a.clientID, len(copies))
		}
		m := copies[0]
		if m.shard != placement[a.channel] || m.channel != a.channel || m.seq != a.seq || m.body != a.body || m.clientID != a.clientID {
			t.Fatalf("acknowledged %+v, stored %+v on shard %s (channel on %s)", a, m, m.shard, placement[a.channel])
		}
	}
}
