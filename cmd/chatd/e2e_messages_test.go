package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/chatd/chat/infrastructure/config"
)

func TestSendMessageAndRetry(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	aliceID, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	aliceOther := s.connect(t, aliceToken)
	bob, bobID := s.login("bob")
	var ch channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &ch)
	bob.awaitType("channel_created")
	aliceOther.awaitType("channel_created")

	var sent messagePayload
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "こんにちは", "clientMessageId": "m-1"}, "message_sent", &sent)
	if sent.Seq != 1 || sent.SenderID != aliceID || sent.Body != "こんにちは" || sent.ClientMessageID != "m-1" ||
		sent.ChannelID != ch.ChannelID || sent.MessageID == "" || !isRFC3339Millis(sent.CreatedAt) {
		t.Fatalf("message_sent = %+v", sent)
	}
	for name, c := range map[string]*client{"bob": bob, "alice's other device": aliceOther} {
		var got messagePayload
		c.await(isMessage(ch.ChannelID, 1), "message_received").decode(t, &got)
		if got.MessageID != sent.MessageID || got.Body != sent.Body || got.SenderID != aliceID || got.CreatedAt != sent.CreatedAt {
			t.Fatalf("%s got %+v, want %+v", name, got, sent)
		}
	}

	var retry messagePayload
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "こんにちは", "clientMessageId": "m-1"}, "message_sent", &retry)
	if retry != sent {
		t.Fatalf("retry = %+v, want the original %+v", retry, sent)
	}
	var second messagePayload
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "two", "clientMessageId": "m-2"}, "message_sent", &second)
	if second.Seq != 2 {
		t.Fatalf("seq after a retry = %d, want 2", second.Seq)
	}
	// The retry broadcast nothing: the next thing bob and alice's other
	// device see is seq 2, and alice's own connection saw no echo at all.
	bob.assertNothingBefore(isMessage(ch.ChannelID, 2), "seq 2")
	aliceOther.assertNothingBefore(isMessage(ch.ChannelID, 2), "seq 2")
	var none struct{ Users []any }
	alice.mustRequest("get_users", map[string]any{"userIds": []string{}}, "users", &none)
	for _, f := range alice.pending {
		t.Fatalf("sender's own connection got %s %s", f.Type, f.Payload)
	}
}

func TestSendMessageErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	bobID, _ := s.newUser("bob")
	carol, _ := s.login("carol")
	var ch channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &ch)
	tests := []struct {
		name   string
		sender *client
		body   any
		cmid   any
		chID   string
		code   string
	}{
		{"1001 characters", alice, strings.Repeat("あ", 1001), "x1", ch.ChannelID, "validation_failed"},
		{"only whitespace", alice, " \n\t　", "x2", ch.ChannelID, "validation_failed"},
		{"empty body", alice, "", "x3", ch.ChannelID, "validation_failed"},
		{"clientMessageId of 65", alice, "hi", strings.Repeat("k", 65), ch.ChannelID, "validation_failed"},
		{"empty clientMessageId", alice, "hi", "", ch.ChannelID, "validation_failed"},
		{"body not a string", alice, 7, "x4", ch.ChannelID, "bad_request"},
		{"not a member of a direct channel", carol, "hi", "x5", ch.ChannelID, "not_found"},
		{"unknown channel", alice, "hi", "x6", "00000000-0000-0000-0000-000000000001", "not_found"},
	}
	for _, tt := range tests {
		f := tt.sender.request("send_message", map[string]any{"channelId": tt.chID, "body": tt.body, "clientMessageId": tt.cmid})
		if code := f.errorCode(t); code != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, code, tt.code)
		}
		var p struct{ Command string }
		f.decode(t, &p)
		if p.Command != "send_message" {
			t.Errorf("%s: error names command %q", tt.name, p.Command)
		}
	}
	var ok messagePayload
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": strings.Repeat("あ", 1000), "clientMessageId": "fits"}, "message_sent", &ok)
	if ok.Seq != 1 {
		t.Fatalf("refused messages took seqs: first stored seq is %d", ok.Seq)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.SendRate = 0.001; c.SendBurst = 2 })
	alice, _ := s.login("alice")
	bob, bobID := s.login("bob")
	var ch channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &ch)
	for i := 1; i <= 2; i++ {
		alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "ok", "clientMessageId": fmt.Sprint(i)}, "message_sent", nil)
	}
	var refused struct {
		Code         string `json:"code"`
		RetryAfterMs int64  `json:"retryAfterMs"`
	}
	alice.request("send_message", map[string]any{"channelId": ch.ChannelID, "body": "too fast", "clientMessageId": "3"}).decode(t, &refused)
	// At 0.001 sends/s with the bucket just emptied, the next token is
	// 1,000 s away: the hint says so (within the time the test took).
	if refused.Code != "rate_limited" || refused.RetryAfterMs < 900_000 || refused.RetryAfterMs > 1_000_000 {
		t.Fatalf("third send: %+v, want rate_limited with retryAfterMs about 1,000,000", refused)
	}
	var next messagePayload
	bob.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "bob", "clientMessageId": "b"}, "message_sent", &next)
	if next.Seq != 3 {
		t.Fatalf("a refused message took a seq: bob's seq %d, want 3", next.Seq)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group"}, "channel_created", &g)
	for i := 1; i <= 12; i++ {
		alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": fmt.Sprint("m", i), "clientMessageId": fmt.Sprint(i)}, "message_sent", nil)
	}
	page := func(payload map[string]any) (seqs []int64, more bool) {
		var p struct {
			ChannelID string           `json:"channelId"`
			Messages  []messagePayload `json:"messages"`
			HasMore   bool             `json:"hasMore"`
		}
		payload["channelId"] = g.ChannelID
		alice.mustRequest("get_messages", payload, "messages", &p)
		if p.ChannelID != g.ChannelID {
			t.Fatalf("messages for %s", p.ChannelID)
		}
		for _, m := range p.Messages {
			seqs = append(seqs, m.Seq)
			if m.Body != fmt.Sprint("m", m.Seq) {
				t.Fatalf("seq %d has body %q", m.Seq, m.Body)
			}
		}
		return seqs, p.HasMore
	}
	check := func(name string, payload map[string]any, want []int64, wantMore bool) {
		got, more := page(payload)
		if fmt.Sprint(got) != fmt.Sprint(want) || more != wantMore {
			t.Errorf("%s: seqs %v more %v, want %v more %v", name, got, more, want, wantMore)
		}
	}
	check("default", map[string]any{}, seq(1, 12), false)
	check("after 10", map[string]any{"afterSeq": 10}, seq(11, 12), false)
	check("after 0 limit 5", map[string]any{"afterSeq": 0, "limit": 5}, seq(1, 5), true)
	check("after 5 limit 5", map[string]any{"afterSeq": 5, "limit": 5}, seq(6, 10), true)
	check("after 7 limit 5", map[string]any{"afterSeq": 7, "limit": 5}, seq(8, 12), false)
	check("before 13 limit 5", map[string]any{"beforeSeq": 13, "limit": 5}, seq(8, 12), true)
	check("before 6 limit 5", map[string]any{"beforeSeq": 6, "limit": 5}, seq(1, 5), false)
	check("before 3", map[string]any{"beforeSeq": 3}, seq(1, 2), false)
	check("after the end", map[string]any{"afterSeq": 12}, nil, false)
	for name, payload := range map[string]map[string]any{
		"limit 101": {"channelId": g.ChannelID, "limit": 101},
		"limit 0":   {"channelId": g.ChannelID, "limit": -1},
		"both":      {"channelId": g.ChannelID, "afterSeq": 1, "beforeSeq": 5},
	} {
		if code := alice.request("get_messages", payload).errorCode(t); code != "validation_failed" {
			t.Errorf("%s: %q, want validation_failed", name, code)
		}
	}
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestGetUsers(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, aliceID := s.login("alice")
	bobID, _ := s.newUser("Bob")
	strangerID, _ := s.newUser("stranger")
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", nil)
	var got struct {
		Users []struct {
			UserID string `json:"userId"`
			Name   string `json:"name"`
		} `json:"users"`
	}
	alice.mustRequest("get_users", map[string]any{"userIds": []string{aliceID, bobID, strangerID, "ghost"}}, "users", &got)
	names := map[string]string{}
	for _, u := range got.Users {
		names[u.UserID] = u.Name
	}
	if len(names) != 2 || names[aliceID] != "alice" || names[bobID] != "Bob" {
		t.Fatalf("users = %+v, want alice and Bob only", got.Users)
	}
	if code := alice.request("get_users", map[string]any{"userIds": manyIDs(101)}).errorCode(t); code != "validation_failed" {
		t.Fatalf("101 ids: %q", code)
	}
}

// TestConcurrentSendersDenseOrderedSeq has four members send at once; every
// connection must see seq 1..N exactly once, in order.
func TestConcurrentSendersDenseOrderedSeq(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	const senders, perSender = 4, 25
	var clients []*client
	var ids []string
	for i := 0; i < senders; i++ {
		c, id := s.login(fmt.Sprint("sender", i))
		clients = append(clients, c)
		ids = append(ids, id)
	}
	observer, _ := s.login("observer")
	var g channelPayload
	observer.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": ids}, "channel_created", &g)
	for _, c := range clients {
		c.awaitType("channel_created")
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < perSender; j++ {
				body, _ := json.Marshal(map[string]any{"type": "send_message", "payload": map[string]any{
					"channelId": g.ChannelID, "body": fmt.Sprintf("%d-%d", i, j), "clientMessageId": fmt.Sprint(j)}})
				if err := c.conn.Write(context.Background(), websocket.MessageText, body); err != nil {
					t.Errorf("sender %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	const total = senders * perSender
	var last int64
	for last < total {
		f := observer.next1()
		if f.Type != "message_received" {
			t.Fatalf("observer got %s %s", f.Type, f.Payload)
		}
		var m messagePayload
		f.decode(t, &m)
		if m.Seq != last+1 {
			t.Fatalf("observer saw seq %d after %d", m.Seq, last)
		}
		last = m.Seq
	}
}
