package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

func TestCreateDirectChannel(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	aliceID, aliceToken := s.newUser("alice")
	alice := s.connect(t, aliceToken)
	aliceOtherDevice := s.connect(t, aliceToken)
	bob, bobID := s.login("bob")

	var ch channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{aliceID, bobID, bobID}}, "channel_created", &ch)
	if ch.ChannelType != "direct" || ch.ChannelID == "" || !isRFC3339Millis(ch.CreatedAt) {
		t.Fatalf("channel_created = %+v", ch)
	}
	if diff := cmp.Diff(sorted(aliceID, bobID), sorted(ch.MemberIDs...)); diff != "" {
		t.Fatalf("members (-want +got): %s", diff)
	}
	for name, c := range map[string]*client{"bob": bob, "alice's other device": aliceOtherDevice} {
		var got channelPayload
		c.awaitType("channel_created").decode(t, &got)
		if got.ChannelID != ch.ChannelID {
			t.Fatalf("%s got channel_created for %s", name, got.ChannelID)
		}
	}
	// The new channel is live on every connection right away.
	var sent messagePayload
	bob.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "yo", "clientMessageId": "b1"}, "message_sent", &sent)
	alice.await(isMessage(ch.ChannelID, 1), "message on the new channel")
	aliceOtherDevice.await(isMessage(ch.ChannelID, 1), "message on the new channel")

	var again channelPayload
	bob.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{aliceID}}, "channel_created", &again)
	if again.ChannelID != ch.ChannelID {
		t.Fatalf("second direct channel for the pair: %s, want %s", again.ChannelID, ch.ChannelID)
	}

	carolID, _ := s.newUser("carol")
	for name, tc := range map[string]struct {
		payload map[string]any
		code    string
	}{
		"only the creator":  {map[string]any{"channelType": "direct", "memberIds": []string{aliceID}}, "validation_failed"},
		"three people":      {map[string]any{"channelType": "direct", "memberIds": []string{bobID, carolID}}, "validation_failed"},
		"unknown user":      {map[string]any{"channelType": "direct", "memberIds": []string{"ghost-" + carolID}}, "not_found"},
		"unknown type":      {map[string]any{"channelType": "broadcast", "memberIds": []string{bobID}}, "validation_failed"},
		"group of 51":       {map[string]any{"channelType": "group", "memberIds": manyIDs(51)}, "validation_failed"},
		"group with ghosts": {map[string]any{"channelType": "group", "memberIds": []string{bobID, "ghost"}}, "not_found"},
		"name of 101":       {map[string]any{"channelType": "group", "name": strings.Repeat("n", 101)}, "validation_failed"},
	} {
		f := alice.request("create_channel", tc.payload)
		if code := f.errorCode(t); code != tc.code {
			t.Errorf("%s: code %q, want %q", name, code, tc.code)
		}
	}
}

func manyIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("member-%d", i)
	}
	return out
}

func TestGroupJoinLeave(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, aliceID := s.login("alice")
	bobID, bobToken := s.newUser("bob")
	bob := s.connect(t, bobToken)
	bobOther := s.connect(t, bobToken)
	carol, carolID := s.login("carol")

	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "ランチ", "memberIds": []string{bobID}}, "channel_created", &g)
	if g.Name != "ランチ" || g.ChannelType != "group" {
		t.Fatalf("group = %+v", g)
	}
	bob.awaitType("channel_created")
	bobOther.awaitType("channel_created")

	// Carol is not a member: she may not read or write, but may join.
	for typ, payload := range map[string]map[string]any{
		"send_message":  {"channelId": g.ChannelID, "body": "hi", "clientMessageId": "c0"},
		"get_messages":  {"channelId": g.ChannelID},
		"get_channel":   {"channelId": g.ChannelID},
		"leave_channel": {"channelId": g.ChannelID},
	} {
		if code := carol.request(typ, payload).errorCode(t); code != "forbidden" {
			t.Errorf("carol %s: code %q, want forbidden", typ, code)
		}
	}
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "before carol", "clientMessageId": "a1"}, "message_sent", nil)
	var joined struct {
		ChannelID string `json:"channelId"`
		LastSeq   int64  `json:"lastSeq"`
	}
	carol.mustRequest("join_channel", map[string]any{"channelId": g.ChannelID}, "channel_joined", &joined)
	if joined.ChannelID != g.ChannelID || joined.LastSeq != 1 {
		t.Fatalf("channel_joined = %+v", joined)
	}
	for _, c := range []*client{alice, bob, bobOther} {
		var ev struct{ ChannelID, UserID string }
		c.awaitType("member_joined").decode(t, &ev)
		if ev.ChannelID != g.ChannelID || ev.UserID != carolID {
			t.Fatalf("member_joined = %+v", ev)
		}
	}
	carol.mustRequest("join_channel", map[string]any{"channelId": g.ChannelID}, "channel_joined", nil) // twice is harmless
	var info channelPayload
	carol.mustRequest("get_channel", map[string]any{"channelId": g.ChannelID}, "channel", &info)
	if diff := cmp.Diff(sorted(aliceID, bobID, carolID), sorted(info.MemberIDs...)); diff != "" || info.LastSeq != 1 || info.Name != "ランチ" {
		t.Fatalf("get_channel = %+v, members diff %s", info, diff)
	}
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "hello carol", "clientMessageId": "a2"}, "message_sent", nil)
	carol.await(isMessage(g.ChannelID, 2), "message after join")

	// Bob leaves: nothing of the group reaches either of his connections.
	var left struct{ ChannelID string }
	bob.mustRequest("leave_channel", map[string]any{"channelId": g.ChannelID}, "channel_left", &left)
	if left.ChannelID != g.ChannelID {
		t.Fatalf("channel_left = %+v", left)
	}
	for _, c := range []*client{alice, carol} {
		var ev struct{ ChannelID, UserID string }
		c.awaitType("member_left").decode(t, &ev)
		if ev.UserID != bobID {
			t.Fatalf("member_left = %+v", ev)
		}
	}
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "bob is gone", "clientMessageId": "a3"}, "message_sent", nil)
	carol.await(isMessage(g.ChannelID, 3), "message after leave")
	// Barrier: a message in a channel bob still has arrives after anything
	// of the group would have, since delivery follows commit order.
	var dm channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &dm)
	alice.mustRequest("send_message", map[string]any{"channelId": dm.ChannelID, "body": "barrier", "clientMessageId": "a4"}, "message_sent", nil)
	for name, c := range map[string]*client{"bob": bob, "bob's other device": bobOther} {
		assertLeftQuietly(t, c, name, g.ChannelID, 2, isMessage(dm.ChannelID, 1))
	}
	for typ, payload := range map[string]map[string]any{
		"send_message": {"channelId": g.ChannelID, "body": "hi", "clientMessageId": "b9"},
		"get_messages": {"channelId": g.ChannelID},
	} {
		if code := bob.request(typ, payload).errorCode(t); code != "forbidden" {
			t.Errorf("bob after leave %s: code %q, want forbidden", typ, code)
		}
	}
}

// assertLeftQuietly reads c's frames up to the barrier and fails on any
// event of channelID after lastSeqBeforeLeave, or on member_left.
func assertLeftQuietly(t testing.TB, c *client, name, channelID string, lastSeqBeforeLeave int64, barrier func(frame) bool) {
	t.Helper()
	for {
		f := c.next1()
		if barrier(f) {
			return
		}
		switch f.Type {
		case "message_received":
			var m messagePayload
			f.decode(t, &m)
			if m.ChannelID == channelID && m.Seq > lastSeqBeforeLeave {
				t.Fatalf("%s received seq %d of a channel it left", name, m.Seq)
			}
		case "channel_created", "member_joined":
		default:
			t.Fatalf("%s received %s %s after leaving", name, f.Type, f.Payload)
		}
	}
}

func TestJoinRules(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	bobID, _ := s.newUser("bob")
	carol, _ := s.login("carol")

	var dm channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &dm)
	for typ, payload := range map[string]map[string]any{
		"join_channel": {"channelId": dm.ChannelID},
		"send_message": {"channelId": dm.ChannelID, "body": "hi", "clientMessageId": "c1"},
		"get_channel":  {"channelId": dm.ChannelID},
	} {
		if code := carol.request(typ, payload).errorCode(t); code != "not_found" {
			t.Errorf("carol %s on someone's direct channel: %q, want not_found", typ, code)
		}
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid"} {
		if code := carol.request("join_channel", map[string]any{"channelId": id}).errorCode(t); code != "not_found" {
			t.Errorf("join %s: %q, want not_found", id, code)
		}
	}

	// A group of 49 plus the creator is full.
	var members []string
	for i := 0; i < 49; i++ {
		id, _ := s.newUser(fmt.Sprintf("m%d", i))
		members = append(members, id)
	}
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": members}, "channel_created", &g)
	if len(g.MemberIDs) != 50 {
		t.Fatalf("group has %d members", len(g.MemberIDs))
	}
	if code := carol.request("join_channel", map[string]any{"channelId": g.ChannelID}).errorCode(t); code != "channel_full" {
		t.Fatalf("join a full group: %q, want channel_full", code)
	}
}

// TestDirectChannelRecreatedAfterLeave: a member of a pair who left is
// re-added when the pair's channel is created again, and their live
// connections receive its messages from then on.
func TestDirectChannelRecreatedAfterLeave(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, aliceID := s.login("alice")
	bob, bobID := s.login("bob")
	var dm channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &dm)
	bob.awaitType("channel_created")
	bob.mustRequest("leave_channel", map[string]any{"channelId": dm.ChannelID}, "channel_left", nil)
	alice.awaitType("member_left")
	if code := bob.request("get_channel", map[string]any{"channelId": dm.ChannelID}).errorCode(t); code != "not_found" {
		t.Fatalf("left direct channel: %q, want not_found", code)
	}

	var again channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &again)
	if again.ChannelID != dm.ChannelID {
		t.Fatalf("re-create made channel %s, want %s", again.ChannelID, dm.ChannelID)
	}
	if diff := cmp.Diff(sorted(aliceID, bobID), sorted(again.MemberIDs...)); diff != "" {
		t.Fatalf("members after re-create (-want +got): %s", diff)
	}
	// Alice's connection asked, so its reply is the only news it gets.
	alice.mustRequest("send_message", map[string]any{"channelId": dm.ChannelID, "body": "welcome back", "clientMessageId": "wb"}, "message_sent", nil)
	bob.await(isMessage(dm.ChannelID, 1), "message after being re-added")
}
