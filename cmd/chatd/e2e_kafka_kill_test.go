package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// TestKillNodeDuringStream kills one of two nodes (kill -9) in the middle
// of a stream of 1,000 sends. Every message that got message_sent is
// stored once, under dense seqs; the member on the surviving node receives
// every stored message once and in order; the members of the killed node
// fetch all of them with get_messages after reconnecting.
func TestKillNodeDuringStream(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	bin := buildChatd(t)
	cfgA := testConfig(dbURL)
	cfgA.NodeID = "node-a"
	nodeA, procA := startProcess(t, bin, cfgA)
	cfgB := cfgA
	cfgB.NodeID = "node-b"
	nodeB := startWithConfig(t, cfgB)

	_, aliceToken := nodeB.newUser("alice")
	alice := nodeA.connect(t, aliceToken)
	carolID, carolToken := nodeB.newUser("carol")
	carol := nodeA.connect(t, carolToken)
	bobID, bobToken := nodeB.newUser("bob")
	bob := nodeB.connect(t, bobToken)
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{bobID, carolID}}, "channel_created", &g)
	bob.awaitType("channel_created")
	carol.awaitType("channel_created")
	bobStream := collect(bob, g.ChannelID)
	carolStream := collect(carol, g.ChannelID)

	const total, killAfter = 1000, 300
	acked := map[string]int64{} // message id -> seq
	for i := 1; i <= total; i++ {
		if i == killAfter+1 {
			// The kill races the next sends: some are in flight, some
			// committed without a reply, which is allowed.
			go procA.kill()
		}
		sent, ok := trySend(alice, g.ChannelID, fmt.Sprint("m", i), fmt.Sprint(i))
		if !ok {
			break
		}
		acked[sent.MessageID] = sent.Seq
	}
	if len(acked) < killAfter || len(acked) == total {
		t.Fatalf("%d sends acknowledged; the kill should have cut the stream after %d", len(acked), killAfter)
	}

	// Every member can read every acknowledged message, stored once under
	// dense seqs (a send committed without a reply is there too). The
	// killed node's last statement may still be running in PostgreSQL,
	// which finishes (and commits) it although its client is gone; the
	// histories are read once it has.
	waitNoSendInFlight(t, dbURL)
	alice = nodeB.connect(t, aliceToken)
	stored := history(alice, g.ChannelID)
	checkStream(t, "history", stored, 1, int64(len(stored)))
	storedIDs := map[string]int64{}
	for _, m := range stored {
		if _, dup := storedIDs[m.MessageID]; dup {
			t.Fatalf("message %s stored twice", m.MessageID)
		}
		storedIDs[m.MessageID] = m.Seq
	}
	for id, seq := range acked {
		if storedIDs[id] != seq {
			t.Fatalf("acknowledged message %s (seq %d) stored as seq %d", id, seq, storedIDs[id])
		}
	}
	if len(stored) > len(acked)+1 {
		t.Fatalf("%d messages stored for %d acknowledged: only the send in flight at the kill may lack its reply", len(stored), len(acked))
	}
	carol = nodeB.connect(t, carolToken)
	if got := history(carol, g.ChannelID); len(got) != len(stored) {
		t.Fatalf("carol reads %d messages after reconnecting, want %d", len(got), len(stored))
	}

	// The surviving node delivers everything, including what the killed
	// node committed but never published.
	last := int64(len(stored))
	checkStream(t, "bob on the surviving node", bobStream.waitForSeq(t, "bob", last, 30*time.Second), 1, last)
	// Carol's old connection died with node A: what it got was in order.
	carolStream.halt()
	if got := carolStream.messages(); len(got) > 0 {
		checkStream(t, "carol on the killed node", got, 1, got[len(got)-1].Seq)
	}
}

// waitNoSendInFlight waits until no chat_append_messages statement runs in
// the test database. PostgreSQL shows no event for that, so this asks
// pg_stat_activity again until it agrees or the deadline passes.
func waitNoSendInFlight(t testing.TB, dbURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for {
		var running int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()
			  AND state = 'active' AND query LIKE '%chat_append_messages%'`).Scan(&running)
		if err != nil {
			t.Fatalf("read pg_stat_activity: %v", err)
		}
		if running == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d sends still running in PostgreSQL after %s", running, waitTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
