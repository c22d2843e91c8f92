package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// TestTwoNodesDeliverToEachOther runs two chatd nodes on one database and
// one broker: events reach the other node's connections only through
// Kafka, in seq order, each once.
func TestTwoNodesDeliverToEachOther(t *testing.T) {
	t.Parallel()
	cfg1 := testConfig(pgtest.NewDatabase(t))
	cfg1.NodeID = "node-1"
	node1 := startWithConfig(t, cfg1)
	cfg2 := cfg1
	cfg2.NodeID = "node-2"
	node2 := startWithConfig(t, cfg2)

	aliceID, aliceToken := node1.newUser("alice")
	alice := node1.connect(t, aliceToken)
	bobID, bobToken := node1.newUser("bob")
	bob := node2.connect(t, bobToken)
	if alice.ready.NodeID != "node-1" || bob.ready.NodeID != "node-2" {
		t.Fatalf("alice on %s, bob on %s", alice.ready.NodeID, bob.ready.NodeID)
	}
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "across", "memberIds": []string{bobID}}, "channel_created", &g)
	var created channelPayload
	bob.awaitType("channel_created").decode(t, &created)
	if created.ChannelID != g.ChannelID {
		t.Fatalf("bob got channel_created for %s, want %s", created.ChannelID, g.ChannelID)
	}

	const n = 40
	bobStream := collect(bob, g.ChannelID)
	for i := 1; i <= n; i++ {
		alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": fmt.Sprint("m", i), "clientMessageId": fmt.Sprint(i)}, "message_sent", nil)
	}
	msgs := bobStream.waitForSeq(t, "bob on node 2", n, waitTimeout)
	checkStream(t, "bob on node 2", msgs, 1, n)
	for _, m := range msgs {
		if m.SenderID != aliceID || m.Body != fmt.Sprint("m", m.Seq) {
			t.Fatalf("bob got %+v", m)
		}
	}
	bobStream.halt()

	var reply messagePayload
	bob.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "back", "clientMessageId": "b1"}, "message_sent", &reply)
	alice.await(isMessage(g.ChannelID, n+1), "bob's reply on node 1")
	if reply.Seq != n+1 {
		t.Fatalf("bob's reply has seq %d, want %d", reply.Seq, n+1)
	}
}

// TestBrokerMetricsAndReadiness checks that /readyz names the broker and
// /metrics carries the backbone's series once a message went through.
func TestBrokerMetricsAndReadiness(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	bob, bobID := s.login("bob")
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{bobID}}, "channel_created", &g)
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "hi", "clientMessageId": "1"}, "message_sent", nil)
	bob.await(isMessage(g.ChannelID, 1), "the message")

	var health struct {
		Status string
		Checks map[string]string
	}
	if code := s.do("GET", "/readyz", "", nil, &health); code != http.StatusOK || health.Checks["broker"] != "ok" {
		t.Fatalf("readyz: HTTP %d %+v", code, health)
	}
	// bob got the message from the live path; the consumer, which
	// observes the delivery latency, brings it from the broker a little
	// later and drops it as a duplicate.
	var body string
	waitUntil(t, "the consumer's delivery of the message", func() bool {
		body = s.metrics()
		return strings.Contains(body, "\nchatd_delivery_latency_seconds_count 1")
	})
	for _, series := range []string{
		"chatd_outbox_backlog ",
		"chatd_kafka_publish_duration_seconds_count ",
		"chatd_kafka_published_events_total ",
		"chatd_kafka_consumer_lag{partition=",
		"chatd_delivery_latency_seconds_count 1",
	} {
		if !strings.Contains(body, "\n"+series) {
			t.Errorf("/metrics lacks %q", series)
		}
	}
}
