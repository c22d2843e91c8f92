package main

import (
	"testing"
)

// TestMessagesSurviveRestart stops chatd and starts a new one on the same
// database: acknowledged messages are all there, and seq goes on from them.
func TestMessagesSurviveRestart(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	aliceID, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "durable"}, "channel_created", &g)
	for _, cmid := range []string{"1", "2", "3"} {
		alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "before " + cmid, "clientMessageId": cmid}, "message_sent", nil)
	}
	s.stop()
	alice.awaitClose()

	restarted := startWithConfig(t, s.cfg)
	alice = restarted.connect(t, aliceToken)
	if len(alice.ready.Channels) != 1 || alice.ready.Channels[0].LastSeq != 3 {
		t.Fatalf("ready after restart = %+v", alice.ready.Channels)
	}
	var page struct {
		Messages []messagePayload `json:"messages"`
	}
	alice.mustRequest("get_messages", map[string]any{"channelId": g.ChannelID}, "messages", &page)
	if len(page.Messages) != 3 || page.Messages[2].Body != "before 3" || page.Messages[0].SenderID != aliceID {
		t.Fatalf("history after restart = %+v", page.Messages)
	}
	var retry, next messagePayload
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "before 2", "clientMessageId": "2"}, "message_sent", &retry)
	if retry.Seq != 2 || retry.MessageID != page.Messages[1].MessageID {
		t.Fatalf("retry across a restart = %+v, want seq 2 %s", retry, page.Messages[1].MessageID)
	}
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "after", "clientMessageId": "4"}, "message_sent", &next)
	if next.Seq != 4 {
		t.Fatalf("seq after restart = %d, want 4", next.Seq)
	}
}
