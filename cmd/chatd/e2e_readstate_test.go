package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

type readMarked struct {
	ChannelID   string `json:"channelId"`
	LastReadSeq int64  `json:"lastReadSeq"`
}

type readUpdated struct {
	ChannelID   string `json:"channelId"`
	UserID      string `json:"userId"`
	LastReadSeq int64  `json:"lastReadSeq"`
}

type readPosition struct {
	UserID      string `json:"userId"`
	LastReadSeq int64  `json:"lastReadSeq"`
}

type channelReads struct {
	ChannelID   string         `json:"channelId"`
	LastSeq     int64          `json:"lastSeq"`
	LastReadSeq int64          `json:"lastReadSeq"`
	UnreadCount int64          `json:"unreadCount"`
	ReadState   []readPosition `json:"readState"`
}

func isEvent(typ string) func(frame) bool {
	return func(f frame) bool { return f.Type == typ && f.RequestID == "" }
}

// markRead sends mark_read and returns the position the server stored.
func markRead(c *client, channelID string, seq int64) int64 {
	c.t.Helper()
	var got readMarked
	c.mustRequest("mark_read", map[string]any{"channelId": channelID, "seq": seq}, "read_marked", &got)
	if got.ChannelID != channelID {
		c.t.Fatalf("read_marked for %s, want %s", got.ChannelID, channelID)
	}
	return got.LastReadSeq
}

func sendN(c *client, channelID string, from, to int) {
	c.t.Helper()
	for i := from; i <= to; i++ {
		c.mustRequest("send_message", map[string]any{"channelId": channelID, "body": fmt.Sprintf("m%d", i),
			"clientMessageId": fmt.Sprintf("%s-%d", c.ready.SessionID, i)}, "message_sent", nil)
	}
}

func newGroup(c *client, members ...string) string {
	c.t.Helper()
	var ch channelPayload
	c.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "g", "memberIds": members}, "channel_created", &ch)
	return ch.ChannelID
}

func TestMarkReadClampsNeverGoesDownAndSyncsEveryOtherConnection(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	aliceID, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	aliceTablet := s.connect(t, aliceToken) // alice's sending connection gets no message_received to wait for
	bobID, bobToken := s.newUser("bob")
	bob := s.connect(t, bobToken)
	bobPhone := s.connect(t, bobToken)
	if bob.ready.ProtocolVersion != "1.1" {
		t.Errorf("ready.protocolVersion = %q, want 1.1", bob.ready.ProtocolVersion)
	}
	ch := newGroup(alice, bobID)
	sendN(alice, ch, 1, 3)
	bob.await(isMessage(ch, 3), "message 3")

	if got := markRead(bob, ch, 2); got != 2 {
		t.Fatalf("mark_read 2 stored %d", got)
	}
	if got := markRead(bob, ch, 1); got != 2 {
		t.Fatalf("mark_read 1 after 2 stored %d: a read position went down", got)
	}
	if got := markRead(bob, ch, 99); got != 3 {
		t.Fatalf("mark_read 99 with lastSeq 3 stored %d, want it clamped to 3", got)
	}
	// A message sent after the marks comes after their events on every
	// connection (one channel, one ordered stream): a barrier.
	sendN(alice, ch, 4, 4)
	want := []readUpdated{{ch, bobID, 2}, {ch, bobID, 3}}
	for name, c := range map[string]*client{"alice": aliceTablet, "bob's phone": bobPhone} {
		var got []readUpdated
		for range want {
			var u readUpdated
			c.awaitType("read_updated").decode(t, &u)
			got = append(got, u)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: read_updated (-want +got):\n%s", name, diff)
		}
		c.await(isMessage(ch, 4), "the barrier message")
		for _, f := range c.pending {
			if f.Type == "read_updated" {
				t.Errorf("%s: an extra read_updated %s (the lower mark changed nothing)", name, f.Payload)
			}
		}
	}
	bob.await(isMessage(ch, 4), "the barrier message")
	for _, f := range bob.pending {
		if f.Type == "read_updated" {
			t.Errorf("the marking connection got its own read_updated %s", f.Payload)
		}
	}

	var got channelReads
	bobPhone.mustRequest("get_channel", map[string]any{"channelId": ch}, "channel", &got)
	wantCh := channelReads{ChannelID: ch, LastSeq: 4, LastReadSeq: 3, UnreadCount: 1,
		ReadState: []readPosition{{aliceID, 0}, {bobID, 3}}}
	if diff := cmp.Diff(wantCh, got); diff != "" {
		t.Errorf("get_channel (-want +got):\n%s", diff)
	}
	for _, tc := range []map[string]any{{"channelId": ch}, {"channelId": ch, "seq": "2"}, {"channelId": ch, "seq": 1.5}, {"channelId": ch, "seq": -1}} {
		if code := bob.request("mark_read", tc).errorCode(t); code != "bad_request" && code != "validation_failed" {
			t.Errorf("mark_read %v: code %q", tc, code)
		}
	}
}

func TestUnreadCountsAfterConcurrentSendsAndMarks(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, aliceID := s.login("alice")
	bobID, bobToken := s.newUser("bob")
	carolID, carolToken := s.newUser("carol")
	bob := s.connect(t, bobToken)
	ch := newGroup(alice, bobID, carolID)
	const n = 30
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sendN(alice, ch, 1, n)
	}()
	var marked int64
	for seq := int64(1); seq <= n; seq++ {
		bob.await(isMessage(ch, seq), fmt.Sprintf("message %d", seq))
		if seq%3 != 0 {
			continue // bob reads in bursts, while alice keeps sending
		}
		got := markRead(bob, ch, seq)
		if got < seq || got < marked {
			t.Fatalf("mark_read %d stored %d after %d", seq, got, marked)
		}
		marked = got
	}
	wg.Wait()
	if marked != n {
		t.Fatalf("bob's last mark stored %d, want %d", marked, n)
	}
	for _, tc := range []struct {
		token    string
		lastRead int64
	}{{bobToken, n}, {carolToken, 0}} {
		c := s.connect(t, tc.token)
		if len(c.ready.Channels) != 1 {
			t.Fatalf("ready lists %d channels", len(c.ready.Channels))
		}
		rc := c.ready.Channels[0]
		if rc.LastSeq != n || rc.LastReadSeq != tc.lastRead || rc.UnreadCount != n-tc.lastRead {
			t.Errorf("ready of %s: %+v, want lastReadSeq %d unreadCount %d", c.ready.UserID, rc, tc.lastRead, n-tc.lastRead)
		}
		var got channelReads
		c.mustRequest("get_channel", map[string]any{"channelId": ch}, "channel", &got)
		if got.LastReadSeq != tc.lastRead || got.UnreadCount != n-tc.lastRead {
			t.Errorf("get_channel of %s: %+v", c.ready.UserID, got)
		}
		if diff := cmp.Diff([]readPosition{{aliceID, 0}, {bobID, n}, {carolID, 0}}, got.ReadState); diff != "" {
			t.Errorf("readState (-want +got):\n%s", diff)
		}
	}
}

func TestANewMemberStartsWithNothingUnread(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, aliceID := s.login("alice")
	ch := newGroup(alice)
	sendN(alice, ch, 1, 5)
	daveID, daveToken := s.newUser("dave")
	dave := s.connect(t, daveToken)
	dave.mustRequest("join_channel", map[string]any{"channelId": ch}, "channel_joined", nil)
	var got channelReads
	dave.mustRequest("get_channel", map[string]any{"channelId": ch}, "channel", &got)
	if got.LastReadSeq != 5 || got.UnreadCount != 0 {
		t.Fatalf("a new member's get_channel: %+v, want lastReadSeq 5 and nothing unread", got)
	}
	if diff := cmp.Diff([]readPosition{{aliceID, 0}, {daveID, 5}}, got.ReadState); diff != "" {
		t.Errorf("readState (-want +got):\n%s", diff)
	}
	if rc := s.connect(t, daveToken).ready.Channels; len(rc) != 1 || rc[0].UnreadCount != 0 || rc[0].LastReadSeq != 5 {
		t.Errorf("a new member's ready: %+v", rc)
	}
	var detail struct {
		Members []struct {
			UserID      string `json:"userId"`
			LastReadSeq int64  `json:"lastReadSeq"`
		} `json:"members"`
	}
	if code := s.do("GET", "/admin/v1/channels/"+ch, testAdminToken, nil, &detail); code != 200 {
		t.Fatalf("admin channel detail: HTTP %d", code)
	}
	reads := map[string]int64{}
	for _, m := range detail.Members {
		reads[m.UserID] = m.LastReadSeq
	}
	if diff := cmp.Diff(map[string]int64{aliceID: 0, daveID: 5}, reads); diff != "" {
		t.Errorf("admin read positions (-want +got):\n%s", diff)
	}
}

func TestNonMembersCannotMarkReadOrType(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	bobID, _ := s.newUser("bob")
	carol, _ := s.login("carol")
	group := newGroup(alice)
	var direct channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &direct)
	for name, ch := range map[string]string{"group": group, "direct": direct.ChannelID, "unknown": "00000000-0000-4000-8000-000000000000"} {
		want := carol.request("get_channel", map[string]any{"channelId": ch}).errorCode(t)
		for _, cmd := range []struct {
			typ     string
			payload map[string]any
		}{{"mark_read", map[string]any{"channelId": ch, "seq": 1}}, {"typing", map[string]any{"channelId": ch}}} {
			if got := carol.request(cmd.typ, cmd.payload).errorCode(t); got != want {
				t.Errorf("%s on a %s channel: code %q, want %q like get_channel", cmd.typ, name, got, want)
			}
		}
	}
}

func TestTypingReachesOtherMembersOncePer2sAndNotTheTypist(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	aliceID, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	aliceTablet := s.connect(t, aliceToken)
	bobID, bobToken := s.newUser("bob")
	bob := s.connect(t, bobToken)
	bobPhone := s.connect(t, bobToken)
	ch := newGroup(alice, bobID)
	bob.awaitType("channel_created")
	bobPhone.awaitType("channel_created")
	aliceTablet.awaitType("channel_created")
	for i := range 3 {
		alice.sendRaw(fmt.Sprintf(`{"type":"typing","requestId":"t%d","payload":{"channelId":%q}}`, i, ch))
	}
	// The message is stored after the typing commands ran (one connection's
	// frames run in order), so it is a barrier for what they sent.
	sendN(alice, ch, 1, 1)
	for _, f := range alice.pending {
		t.Errorf("the typist got %s %s: typing has no reply", f.Type, f.Payload)
	}
	for name, c := range map[string]*client{"bob": bob, "bob's phone": bobPhone} {
		c.await(isMessage(ch, 1), "the barrier message")
		var typing []string
		for _, f := range c.pending {
			if f.Type == "typing" {
				var p struct{ ChannelID, UserID string }
				f.decode(t, &p)
				typing = append(typing, p.ChannelID+" "+p.UserID)
			}
		}
		if diff := cmp.Diff([]string{ch + " " + aliceID}, typing); diff != "" {
			t.Errorf("%s: typing events (-want +got), three typing commands within 2 s make one:\n%s", name, diff)
		}
	}
	aliceTablet.await(isMessage(ch, 1), "the barrier message")
	for _, f := range aliceTablet.pending {
		if f.Type == "typing" {
			t.Errorf("the typist's other device got %s", f.Payload)
		}
	}
}

// A connection that does not read gets every message in order and is not
// closed, however much its members type; whether a typing frame fits is
// up to its queue (proven frame by frame in interfaces/ws and wsconn).
func TestTypingNeverDisturbsAConnectionThatIsNotReading(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	bobID, bobToken := s.newUser("bob")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, _, err := dialWS(ctx, s.wsURL(), bobToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(websocket.StatusNormalClosure, "done")
	ch := newGroup(alice, bobID)
	const n = 60
	for i := 1; i <= n; i++ {
		if i%10 == 0 {
			alice.sendRaw(fmt.Sprintf(`{"type":"typing","payload":{"channelId":%q}}`, ch))
		}
		sendN(alice, ch, i, i)
	}
	var next int64 = 1
	for next <= n {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("bob's connection ended before message %d: %v", next, err)
		}
		var f struct {
			Type    string
			Payload messagePayload
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		if f.Type != "message_received" {
			continue
		}
		if f.Payload.Seq != next {
			t.Fatalf("message %d arrived when %d was due", f.Payload.Seq, next)
		}
		next++
	}
}
