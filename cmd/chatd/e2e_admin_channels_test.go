package main

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type channelPage struct {
	Channels   []adminChannel `json:"channels"`
	NextCursor string         `json:"nextCursor"`
}

func channelIDs(p *channelPage) ([]string, string) {
	var out []string
	for _, c := range p.Channels {
		out = append(out, c.ID)
	}
	return out, p.NextCursor
}

func TestAdminChannelsAndMessages(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, _ := s.login("alice")
	bobID, _ := s.newUser("bob")
	carolID, _ := s.newUser("carol")

	var g1, dm, g2 channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "one", "memberIds": []string{bobID}}, "channel_created", &g1)
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &dm)
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{carolID, bobID}}, "channel_created", &g2)
	for i := range 5 {
		alice.mustRequest("send_message", map[string]any{"channelId": g1.ChannelID, "body": "m", "clientMessageId": string(rune('a' + i))}, "message_sent", nil)
	}

	all := pageAll(s, "/admin/v1/channels?limit=100", channelIDs)
	if diff := cmp.Diff(sorted(g1.ChannelID, dm.ChannelID, g2.ChannelID), sorted(all...)); diff != "" {
		t.Fatalf("all channels (-want +got):\n%s", diff)
	}
	for _, limit := range []string{"1", "2"} {
		if diff := cmp.Diff(all, pageAll(s, "/admin/v1/channels?limit="+limit, channelIDs)); diff != "" {
			t.Errorf("limit %s: pages differ from one full page (-want +got):\n%s", limit, diff)
		}
	}
	inOrder := func(ids ...string) []string {
		slices.SortFunc(ids, func(a, b string) int { return slices.Index(all, a) - slices.Index(all, b) })
		return ids
	}
	for query, want := range map[string][]string{
		"type=group":                      inOrder(g1.ChannelID, g2.ChannelID),
		"type=direct":                     {dm.ChannelID},
		"member=" + carolID:               {g2.ChannelID},
		"member=" + bobID + "&type=group": inOrder(g1.ChannelID, g2.ChannelID),
		"member=nobody":                   nil,
	} {
		got := pageAll(s, "/admin/v1/channels?limit=1&"+query, channelIDs)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", query, diff)
		}
	}
	var page channelPage
	s.adminOK("/admin/v1/channels?type=group&limit=1", &page)
	if c := page.Channels[0]; c.Type != "group" || c.MemberCount < 2 || !isRFC3339Millis(c.CreatedAt) || c.Members != nil {
		t.Fatalf("summary %+v", c)
	}

	var ch adminChannel
	s.adminOK("/admin/v1/channels/"+g1.ChannelID, &ch)
	if ch.ID != g1.ChannelID || ch.Type != "group" || ch.Name != "one" || ch.LastSeq != 5 || ch.MemberCount != 2 || len(ch.Members) != 2 {
		t.Fatalf("channel %+v", ch)
	}
	var members []string
	for _, m := range ch.Members {
		if m.Name == "" || !isRFC3339Millis(m.JoinedAt) {
			t.Fatalf("member %+v", m)
		}
		members = append(members, m.UserID)
	}
	if diff := cmp.Diff(sorted(alice.ready.UserID, bobID), sorted(members...)); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}

	type history struct {
		ChannelID string `json:"channelId"`
		Messages  []struct {
			ID, ChannelID, SenderID, ClientMessageID, Body, Status, CreatedAt string
			Seq                                                               int64
		} `json:"messages"`
		HasMore bool `json:"hasMore"`
	}
	seqs := func(query string) ([]int64, bool) {
		var h history
		s.adminOK("/admin/v1/channels/"+g1.ChannelID+"/messages"+query, &h)
		var out []int64
		for _, m := range h.Messages {
			if m.ChannelID != g1.ChannelID || m.SenderID != alice.ready.UserID || m.Status != "sent" || m.ClientMessageID == "" || !isRFC3339Millis(m.CreatedAt) {
				t.Fatalf("message %+v", m)
			}
			out = append(out, m.Seq)
		}
		return out, h.HasMore
	}
	for query, want := range map[string]struct {
		seqs []int64
		more bool
	}{
		"":                     {[]int64{1, 2, 3, 4, 5}, false},
		"?limit=2":             {[]int64{1, 2}, true},
		"?afterSeq=2&limit=2":  {[]int64{3, 4}, true},
		"?afterSeq=3":          {[]int64{4, 5}, false},
		"?beforeSeq=5&limit=2": {[]int64{3, 4}, true},
		"?beforeSeq=3":         {[]int64{1, 2}, false},
		"?afterSeq=5":          {nil, false},
	} {
		got, more := seqs(query)
		if diff := cmp.Diff(want.seqs, got); diff != "" || more != want.more {
			t.Errorf("messages%s: hasMore %v (-want +got):\n%s", query, more, diff)
		}
	}

	const ghost = "00000000-0000-0000-0000-000000000000"
	for _, path := range []string{"/admin/v1/channels/" + ghost, "/admin/v1/channels/not-a-uuid", "/admin/v1/channels/" + ghost + "/messages"} {
		s.adminError("GET", path, testAdminToken, http.StatusNotFound, "not_found")
	}
	for query, code := range map[string]string{
		"/admin/v1/channels?type=broadcast":                                       "validation_failed",
		"/admin/v1/channels?member=a%20b":                                         "validation_failed",
		"/admin/v1/channels?limit=0":                                              "validation_failed",
		"/admin/v1/channels?limit=x":                                              "bad_request",
		"/admin/v1/channels?cursor=bm9wZQ":                                        "bad_request",
		"/admin/v1/channels?typ=group":                                            "bad_request",
		"/admin/v1/channels/" + g1.ChannelID + "/messages?afterSeq=1&beforeSeq=3": "validation_failed",
		"/admin/v1/channels/" + g1.ChannelID + "/messages?afterSeq=-1":            "validation_failed",
		"/admin/v1/channels/" + g1.ChannelID + "/messages?limit=101":              "validation_failed",
		"/admin/v1/channels/" + g1.ChannelID + "/messages?afterSeq=one":           "bad_request",
		"/admin/v1/channels/" + g1.ChannelID + "/messages?beforSeq=3":             "bad_request",
		"/admin/v1/channels/" + g1.ChannelID + "?verbose=1":                       "bad_request",
	} {
		s.adminError("GET", query, testAdminToken, http.StatusBadRequest, code)
	}
	// A users cursor is no channels cursor.
	var users struct{ NextCursor string }
	s.adminOK("/admin/v1/users?limit=1", &users)
	s.adminError("GET", "/admin/v1/channels?cursor="+users.NextCursor, testAdminToken, http.StatusBadRequest, "bad_request")
}

func TestAdminRemoveMemberEndsSubscription(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	alice, aliceID := s.login("alice")
	bobID, bobToken := s.newUser("bob")
	bob := s.connect(t, bobToken)
	bobOther := s.connect(t, bobToken)
	carol, carolID := s.login("carol")

	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{bobID, carolID}}, "channel_created", &g)
	for _, c := range []*client{bob, bobOther, carol} {
		c.awaitType("channel_created")
	}
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "before", "clientMessageId": "a1"}, "message_sent", nil)
	for _, c := range []*client{bob, bobOther, carol} {
		c.await(isMessage(g.ChannelID, 1), "message before the removal")
	}

	path := "/admin/v1/channels/" + g.ChannelID + "/members/" + bobID
	if code, body := s.admin("DELETE", path, testAdminToken); code != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("DELETE %s: %d %s", path, code, body)
	}
	for name, c := range map[string]*client{"alice": alice, "carol": carol} {
		var ev struct{ ChannelID, UserID string }
		c.awaitType("member_left").decode(t, &ev)
		if ev.ChannelID != g.ChannelID || ev.UserID != bobID {
			t.Fatalf("%s got member_left %+v", name, ev)
		}
	}
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "bob is gone", "clientMessageId": "a2"}, "message_sent", nil)
	carol.await(isMessage(g.ChannelID, 2), "message after the removal")
	// Barrier: a message in a channel bob still has arrives after anything
	// of the group would have, since delivery follows commit order.
	var dm channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &dm)
	alice.mustRequest("send_message", map[string]any{"channelId": dm.ChannelID, "body": "barrier", "clientMessageId": "a3"}, "message_sent", nil)
	for name, c := range map[string]*client{"bob": bob, "bob's other device": bobOther} {
		// An operator's removal is news to each of bob's connections: one
		// member_left about himself, then nothing more of the group.
		var ev struct{ ChannelID, UserID string }
		c.awaitType("member_left").decode(t, &ev)
		if ev.ChannelID != g.ChannelID || ev.UserID != bobID {
			t.Fatalf("%s got member_left %+v", name, ev)
		}
		assertLeftQuietly(t, c, name, g.ChannelID, 1, isMessage(dm.ChannelID, 1))
	}
	for typ, payload := range map[string]map[string]any{
		"send_message": {"channelId": g.ChannelID, "body": "hi", "clientMessageId": "b1"},
		"get_messages": {"channelId": g.ChannelID},
	} {
		if code := bob.request(typ, payload).errorCode(t); code != "forbidden" {
			t.Errorf("bob after removal %s: code %q, want forbidden", typ, code)
		}
	}

	var ch adminChannel
	s.adminOK("/admin/v1/channels/"+g.ChannelID, &ch)
	var members []string
	for _, m := range ch.Members {
		members = append(members, m.UserID)
	}
	if diff := cmp.Diff(sorted(aliceID, carolID), sorted(members...)); diff != "" || ch.MemberCount != 2 {
		t.Fatalf("members after removal (-want +got):\n%s", diff)
	}
	s.adminError("DELETE", path, testAdminToken, http.StatusNotFound, "not_found")
	s.adminError("DELETE", "/admin/v1/channels/00000000-0000-0000-0000-000000000000/members/"+aliceID, testAdminToken, http.StatusNotFound, "not_found")
	s.adminError("DELETE", "/admin/v1/channels/not-a-uuid/members/"+aliceID, testAdminToken, http.StatusNotFound, "not_found")
	s.adminError("DELETE", path+"?force=1", testAdminToken, http.StatusBadRequest, "bad_request")
}
