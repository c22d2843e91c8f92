package main

import (
	"fmt"
	"strconv"
	"testing"
)

// TestPipelinedSendsToOneChannelKeepFrameOrder: one connection sends 300
// messages to one channel keeping 64 in flight (protocol v1.1 pipelining);
// against the real store, with group commit batching them, each is stored
// with the seq of its place in the frame order.
func TestPipelinedSendsToOneChannelKeepFrameOrder(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	bob, bobID := s.login("bob")
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{bobID}}, "channel_created", &g)
	bob.awaitType("channel_created")
	bobStream := collect(bob, g.ChannelID)

	const n, window = 300, 64 // the protocol's in-flight bound
	send := func(i int) {
		alice.sendRaw(fmt.Sprintf(`{"type":"send_message","requestId":"p%d","payload":{"channelId":%q,"body":"m%d","clientMessageId":"k%d"}}`,
			i, g.ChannelID, i, i))
	}
	for i := 1; i <= window; i++ {
		send(i)
	}
	for i := 1; i <= n; i++ {
		id := "p" + strconv.Itoa(i)
		f := alice.await(func(f frame) bool { return f.RequestID == id }, "reply "+id)
		if f.Type != "message_sent" {
			t.Fatalf("send %d: %s %s", i, f.Type, f.Payload)
		}
		var sent messagePayload
		f.decode(t, &sent)
		if sent.Seq != int64(i) || sent.Body != fmt.Sprint("m", i) {
			t.Fatalf("send %d stored as seq %d body %q: frame order lost", i, sent.Seq, sent.Body)
		}
		if i+window <= n {
			send(i + window) // one more in flight as each reply comes
		}
	}
	checkStream(t, "bob", bobStream.waitForSeq(t, "bob", n, waitTimeout), 1, n)
}
