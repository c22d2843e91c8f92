package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"

	"github.com/chatd/chat/infrastructure/eventcodec"
	"github.com/chatd/chat/infrastructure/kafka"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// pauseRelays takes the relays' advisory lock on every database of the
// deployment (the directory and its shards; each has its own relay) from
// connections of the test's own: from then on every node commits and
// answers message_sent, but no relay publishes, as if each crashed right
// after commit. The returned function releases them.
func pauseRelays(t testing.TB, dbURL string) (resume func()) {
	t.Helper()
	ctx := context.Background()
	var conns []*pgx.Conn
	for _, url := range deploymentDatabases(dbURL) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		// The lock is taken only between two batches, so a relay that is
		// publishing now finishes first.
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", postgres.RelayLockID); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	released := false
	resume = func() {
		if released {
			return
		}
		released = true
		for _, conn := range conns {
			if err := conn.Close(ctx); err != nil {
				t.Errorf("release the relay lock: %v", err)
			}
		}
	}
	t.Cleanup(resume)
	return resume
}

// outboxMessages counts the message events waiting in the outboxes of
// every database of the deployment.
func outboxMessages(t testing.TB, dbURL string) int {
	t.Helper()
	ctx := context.Background()
	total := 0
	for _, url := range deploymentDatabases(dbURL) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE event->>'type' = 'message_created'").Scan(&n)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// TestCrashBetweenCommitAndPublish kills a node (kill -9) whose messages
// are committed and acknowledged but not yet published. The surviving
// node's relay publishes them; a member connected there receives each
// once, in seq order; the killed node comes back and carries on.
func TestCrashBetweenCommitAndPublish(t *testing.T) {
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
	bobID, bobToken := nodeB.newUser("bob")
	bob := nodeB.connect(t, bobToken)
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{bobID}}, "channel_created", &g)
	bob.awaitType("channel_created")
	bobStream := collect(bob, g.ChannelID)

	resume := pauseRelays(t, dbURL)
	const n = 25
	for i := 1; i <= n; i++ {
		alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": fmt.Sprint("m", i), "clientMessageId": fmt.Sprint(i)}, "message_sent", nil)
	}
	if rows := outboxMessages(t, dbURL); rows != n {
		t.Fatalf("%d outbox rows after %d acknowledged sends with the relays paused, want %d", rows, n, n)
	}
	if got := bobStream.messages(); len(got) != 0 {
		t.Fatalf("bob received %v before anything was published", seqsOf(got))
	}
	procA.kill()
	alice.awaitClose()
	resume()

	checkStream(t, "bob", bobStream.waitForSeq(t, "bob", n, 30*time.Second), 1, n)

	// Node A comes back (same node id, so the same consumer group) and
	// serves again; whatever arrives next on bob's connection is the next
	// seq, not a repeat of the crashed batch.
	restarted := startWithConfig(t, cfgA)
	alice = restarted.connect(t, aliceToken)
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "after", "clientMessageId": "after"}, "message_sent", nil)
	checkStream(t, "bob", bobStream.waitForSeq(t, "bob", n+1, waitTimeout), 1, n+1)
	// The relay deletes a batch's rows right after the broker's
	// acknowledgement, which may come after bob got the message.
	for deadline := time.Now().Add(waitTimeout); outboxMessages(t, dbURL) != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox rows left %s after delivery", outboxMessages(t, dbURL), waitTimeout)
		}
	}
	checkTopicOrder(t, cfgA.Kafka.Brokers, kafka.NewTopics(cfgA.Kafka.TopicPrefix).Events, g.ChannelID, n+1)
}

// checkTopicOrder reads a channel's records from the start of topic and
// checks that they hold seqs 1..last in order, where a record may repeat
// an earlier one (at-least-once publishing) but never skip ahead.
func checkTopicOrder(t testing.TB, brokers []string, topic, channelID string, last int64) {
	t.Helper()
	var high int64
	seqs := topicSeqs(t, brokers, topic, channelID)
	for _, seq := range seqs {
		if seq > high+1 {
			t.Fatalf("seq %d published after %d: %v", seq, high, seqs)
		}
		high = max(high, seq)
	}
	if high != last {
		t.Fatalf("published up to seq %d, want %d: %v", high, last, seqs)
	}
}

// topicSeqs returns the seqs of a channel's message records in topic, in
// partition order (a channel lives in one partition).
func topicSeqs(t testing.TB, brokers []string, topic, channelID string) []int64 {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V4_0_0_0
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	partitions, err := consumer.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, p := range partitions {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for {
			var msg *sarama.ConsumerMessage
			select {
			case msg = <-pc.Messages():
			case <-time.After(waitTimeout):
				t.Fatalf("reading %s/%d: no record within %s", topic, p, waitTimeout)
			}
			e, err := eventcodec.DecodeEvent(msg.Value)
			if err != nil {
				t.Fatal(err)
			}
			if e.ChannelID == channelID && e.Message != nil {
				seqs = append(seqs, e.Message.Seq)
			}
			if msg.Offset+1 >= end {
				break
			}
		}
		pc.Close()
	}
	return seqs
}
