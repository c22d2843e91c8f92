package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/kafka"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"
)

// ownBroker runs `scripts/kafka.sh cmd dir` and returns what it printed.
func ownBroker(t testing.TB, cmd, dir string) string {
	t.Helper()
	var stderr strings.Builder
	c := exec.Command("../../scripts/kafka.sh", cmd, dir)
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("scripts/kafka.sh %s %s: %v\n%s", cmd, dir, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// TestBrokerRestartDuringSends stops the broker under a node while a user
// keeps sending: the sends are acknowledged (the database is the source of
// truth), /readyz reports the broker, and once the broker is back every
// message reaches the other member, in order, once.
func TestBrokerRestartDuringSends(t *testing.T) {
	kafkatest.Brokers(t) // the test broker proves Java and Maven work here
	t.Parallel()
	dir := t.TempDir()
	addr := ownBroker(t, "start", dir)
	t.Cleanup(func() { ownBroker(t, "stop", dir) })
	s := startServer(t, func(c *config.Config) { c.Kafka.Brokers = []string{addr} })

	alice, _ := s.login("alice")
	bob, bobID := s.login("bob")
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{bobID}}, "channel_created", &g)
	bob.awaitType("channel_created")
	bobStream := collect(bob, g.ChannelID)
	send := func(from, to int) {
		t.Helper()
		for i := from; i <= to; i++ {
			var sent messagePayload
			alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": fmt.Sprint("m", i), "clientMessageId": fmt.Sprint(i)}, "message_sent", &sent)
			if sent.Seq != int64(i) {
				t.Fatalf("message %d got seq %d", i, sent.Seq)
			}
		}
	}

	send(1, 10)
	bobStream.waitForSeq(t, "bob", 10, waitTimeout)
	ownBroker(t, "stop", dir)
	send(11, 30) // during the outage
	var health struct{ Checks map[string]string }
	if code := s.do("GET", "/readyz", "", nil, &health); code != http.StatusServiceUnavailable || health.Checks["broker"] != "unavailable" {
		t.Fatalf("readyz with the broker down: HTTP %d %+v", code, health)
	}
	if got := ownBroker(t, "start", dir); got != addr {
		t.Fatalf("the broker came back on %s, not %s", got, addr)
	}
	send(31, 35)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seqs of the channel in the topic: %v", topicSeqs(t, []string{addr}, kafka.NewTopics(s.cfg.Kafka.TopicPrefix).Events, g.ChannelID))
		}
	})
	checkStream(t, "bob", bobStream.waitForSeq(t, "bob", 35, 60*time.Second), 1, 35)
}
