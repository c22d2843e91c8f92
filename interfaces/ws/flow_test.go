package ws

import (
	"testing"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

func TestSendMessageReachesOthersButNotSender(t *testing.T) {
	store := newMemStore("u1", "u2", "u3")
	direct := store.addChannel(domain.ChannelDirect, "u1", "u2")
	env := newEnv(t, store, Config{})
	phone, laptop, friend, stranger := env.connect("u1"), env.connect("u1"), env.connect("u2"), env.connect("u3")

	phone.send(protocol.TypeSendMessage, "r-17", protocol.SendMessage{ChannelID: direct.ID, Body: "こんにちは", ClientMessageID: "k1"})
	var sent protocol.MessageSent
	phone.expect(protocol.TypeMessageSent, "r-17").decode(&sent)
	if sent.Seq != 1 || sent.ClientMessageID != "k1" || sent.SenderID != "u1" || sent.Body != "こんにちは" {
		t.Errorf("message_sent = %+v", sent)
	}

	for name, c := range map[string]*client{"sender's other device": laptop, "other member": friend} {
		var got protocol.Message
		c.expect(protocol.TypeMessageReceived, "").decode(&got)
		if got.MessageID != sent.MessageID || got.Seq != 1 || got.SenderID != "u1" {
			t.Errorf("%s got %+v", name, got)
		}
	}
	phone.expectNothing()
	stranger.expectNothing()

	// A retry returns the original and broadcasts nothing.
	phone.send(protocol.TypeSendMessage, "r-18", protocol.SendMessage{ChannelID: direct.ID, Body: "こんにちは", ClientMessageID: "k1"})
	var retry protocol.MessageSent
	phone.expect(protocol.TypeMessageSent, "r-18").decode(&retry)
	if retry.MessageID != sent.MessageID || retry.Seq != sent.Seq {
		t.Errorf("retry = %+v, want the original %+v", retry, sent)
	}
	friend.expectNothing()
}

func TestCreateChannelReachesOtherConnections(t *testing.T) {
	store := newMemStore("u1", "u2", "u3")
	env := newEnv(t, store, Config{})
	creator, creatorLaptop, member, outsider := env.connect("u1"), env.connect("u1"), env.connect("u2"), env.connect("u3")

	creator.send(protocol.TypeCreateChannel, "c", protocol.CreateChannel{ChannelType: "group", Name: "team", MemberIDs: []string{"u2", "u1", "u2"}})
	var created protocol.ChannelCreated
	creator.expect(protocol.TypeChannelCreated, "c").decode(&created)
	if created.Name != "team" || len(created.MemberIDs) != 2 {
		t.Errorf("channel_created = %+v", created)
	}
	for _, c := range []*client{creatorLaptop, member} {
		var got protocol.ChannelCreated
		c.expect(protocol.TypeChannelCreated, "").decode(&got)
		if got.ChannelID != created.ChannelID {
			t.Errorf("event for %s, want %s", got.ChannelID, created.ChannelID)
		}
	}
	creator.expectNothing()
	outsider.expectNothing()

	// Every member's connection is now subscribed.
	member.send(protocol.TypeSendMessage, "m", protocol.SendMessage{ChannelID: created.ChannelID, Body: "hello", ClientMessageID: "k"})
	member.expect(protocol.TypeMessageSent, "m")
	creator.expect(protocol.TypeMessageReceived, "")
	creatorLaptop.expect(protocol.TypeMessageReceived, "")
	outsider.expectNothing()
}

func TestJoinAndLeave(t *testing.T) {
	store := newMemStore("u1", "u2", "u3")
	group := store.addChannel(domain.ChannelGroup, "u1", "u2")
	env := newEnv(t, store, Config{})
	owner, leaver, leaverLaptop, joiner, joinerLaptop := env.connect("u1"), env.connect("u2"), env.connect("u2"), env.connect("u3"), env.connect("u3")

	owner.send(protocol.TypeSendMessage, "m1", protocol.SendMessage{ChannelID: group.ID, Body: "first", ClientMessageID: "k1"})
	owner.expect(protocol.TypeMessageSent, "m1")
	leaver.expect(protocol.TypeMessageReceived, "")
	leaverLaptop.expect(protocol.TypeMessageReceived, "")

	joiner.send(protocol.TypeJoinChannel, "j", protocol.JoinChannel{ChannelID: group.ID})
	var joined protocol.ChannelJoined
	joiner.expect(protocol.TypeChannelJoined, "j").decode(&joined)
	if joined.ChannelID != group.ID || joined.LastSeq != 1 {
		t.Errorf("channel_joined = %+v", joined)
	}
	for _, c := range []*client{owner, leaver, leaverLaptop} {
		var change protocol.MemberChange
		c.expect(protocol.TypeMemberJoined, "").decode(&change)
		if change != (protocol.MemberChange{ChannelID: group.ID, UserID: "u3"}) {
			t.Errorf("member_joined = %+v", change)
		}
	}
	joiner.expectNothing()
	joinerLaptop.expectNothing()

	leaver.send(protocol.TypeLeaveChannel, "l", protocol.LeaveChannel{ChannelID: group.ID})
	leaver.expect(protocol.TypeChannelLeft, "l")
	for _, c := range []*client{owner, joiner, joinerLaptop} {
		var change protocol.MemberChange
		c.expect(protocol.TypeMemberLeft, "").decode(&change)
		if change != (protocol.MemberChange{ChannelID: group.ID, UserID: "u2"}) {
			t.Errorf("member_left = %+v", change)
		}
	}

	owner.send(protocol.TypeSendMessage, "m2", protocol.SendMessage{ChannelID: group.ID, Body: "second", ClientMessageID: "k2"})
	owner.expect(protocol.TypeMessageSent, "m2")
	for _, c := range []*client{joiner, joinerLaptop} {
		var got protocol.Message
		c.expect(protocol.TypeMessageReceived, "").decode(&got)
		if got.Seq != 2 {
			t.Errorf("joiner got seq %d, want 2", got.Seq)
		}
	}
	leaver.expectNothing()
	leaverLaptop.expectNothing()

	leaver.send(protocol.TypeSendMessage, "m3", protocol.SendMessage{ChannelID: group.ID, Body: "still here?", ClientMessageID: "k3"})
	leaver.expectError("m3", protocol.TypeSendMessage, protocol.CodeForbidden)
}
