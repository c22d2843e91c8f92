package main

import (
	"net"
	"net/http"
	"testing"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// TestEmbeddedBrokerServesEndToEnd runs chatd as `make run` does, with
// KAFKA_BROKERS unset, so it starts the in-process development broker; a
// second local node started with the same CHAT_EMBEDDED_KAFKA_ADDR joins
// it, and a message sent on one node reaches a member on the other. This
// is the only test on the embedded broker: every other test uses the real
// one.
func TestEmbeddedBrokerServesEndToEnd(t *testing.T) {
	t.Parallel()
	cfg1 := testConfig(pgtest.NewDatabase(t))
	cfg1.Kafka = config.Kafka{EmbeddedAddr: freeAddr(t), Partitions: 4}
	cfg1.NodeID = "dev-1"
	bin := buildChatd(t)
	node1, proc1 := startProcess(t, bin, cfg1)
	cfg2 := cfg1
	cfg2.NodeID = "dev-2"
	node2, proc2 := startProcess(t, bin, cfg2)
	if !proc1.logged("for development only") || !proc2.logged("joining the embedded Kafka broker of another local chatd") {
		t.Fatalf("node 1 must say it runs a development broker, node 2 that it joined it:\n%s\n---\n%s", proc1.log(), proc2.log())
	}

	aliceID, aliceToken := node1.newUser("alice")
	alice := node1.connect(t, aliceToken)
	_, bobToken := node1.newUser("bob")
	bob := node2.connect(t, bobToken)
	var ch channelPayload
	bob.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{aliceID}}, "channel_created", &ch)
	alice.awaitType("channel_created")
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "hi from node 1", "clientMessageId": "1"}, "message_sent", nil)
	var got messagePayload
	bob.await(isMessage(ch.ChannelID, 1), "alice's message on node 2").decode(t, &got)
	if got.Body != "hi from node 1" || got.SenderID != aliceID {
		t.Fatalf("bob got %+v", got)
	}
	var health struct{ Checks map[string]string }
	if code := node2.do("GET", "/readyz", "", nil, &health); code != http.StatusOK || health.Checks["broker"] != "ok" {
		t.Fatalf("readyz of the joining node: HTTP %d %+v", code, health)
	}
}

// freeAddr returns a local address nothing listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
