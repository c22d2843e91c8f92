package chat

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

func newTestService(users ...string) (*Service, *fakeStore, *countingLimiter) {
	store := newFakeStore(users...)
	limiter := &countingLimiter{left: map[string]int{}}
	for _, u := range users {
		limiter.left[u] = 1000
	}
	return NewService(store, limiter, nil), store, limiter
}

// recordingLive is the live path as the use case sees it.
type recordingLive struct{ got []domain.Event }

func (r *recordingLive) Publish(ev domain.Event) { r.got = append(r.got, ev) }

func TestCreateChannelValidatesBeforeStoring(t *testing.T) {
	svc, store, _ := newTestService("a", "b", "c")
	ctx := context.Background()
	for _, in := range []CreateChannelInput{
		{Type: "direct", MemberIDs: []string{"a"}},
		{Type: "direct", MemberIDs: []string{"b", "c"}},
		{Type: "chatroom", MemberIDs: []string{"b"}},
	} {
		if _, _, err := svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, in); domain.KindOf(err) != domain.KindValidation {
			t.Errorf("%+v: err = %v, want validation", in, err)
		}
	}
	if len(store.channels) != 0 {
		t.Fatal("an invalid channel reached the store")
	}
	ch, created, err := svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, CreateChannelInput{Type: "group", Name: "g", MemberIDs: []string{"b", "a", "b"}})
	if err != nil || !created {
		t.Fatalf("create group: %v created=%v", err, created)
	}
	if diff := cmp.Diff([]string{"a", "b"}, ch.MemberIDs); diff != "" {
		t.Fatalf("members (-want +got): %s", diff)
	}
	_, _, err = svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, CreateChannelInput{Type: "group", MemberIDs: []string{"ghost"}})
	if !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("unknown member: err = %v", err)
	}
}

func TestSendMessageRules(t *testing.T) {
	svc, store, _ := newTestService("a", "b", "c")
	ctx := context.Background()
	ch, _, _ := svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, CreateChannelInput{Type: "direct", MemberIDs: []string{"b"}})
	tests := []struct {
		name  string
		actor string
		in    SendMessageInput
		kind  domain.Kind
	}{
		{"empty body", "a", SendMessageInput{ChannelID: ch.ID, Body: "", ClientMessageID: "x"}, domain.KindValidation},
		{"blank body", "a", SendMessageInput{ChannelID: ch.ID, Body: " \n", ClientMessageID: "x"}, domain.KindValidation},
		{"long body", "a", SendMessageInput{ChannelID: ch.ID, Body: strings.Repeat("x", 1001), ClientMessageID: "x"}, domain.KindValidation},
		{"no client id", "a", SendMessageInput{ChannelID: ch.ID, Body: "hi"}, domain.KindValidation},
		{"no channel", "a", SendMessageInput{Body: "hi", ClientMessageID: "x"}, domain.KindValidation},
		{"not a member", "c", SendMessageInput{ChannelID: ch.ID, Body: "hi", ClientMessageID: "x"}, domain.KindForbidden},
		{"no such channel", "a", SendMessageInput{ChannelID: "nope", Body: "hi", ClientMessageID: "x"}, domain.KindNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.SendMessage(ctx, domain.Actor{UserID: tt.actor, SessionID: "s"}, tt.in)
			if domain.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (kind %v), want kind %v", err, domain.KindOf(err), tt.kind)
			}
		})
	}
	if n := len(store.messages[ch.ID]); n != 0 {
		t.Fatalf("%d refused messages were stored", n)
	}
}

func TestSendMessageDenseSeqAndRetry(t *testing.T) {
	svc, store, _ := newTestService("a", "b")
	ctx := context.Background()
	ch, _, _ := svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, CreateChannelInput{Type: "direct", MemberIDs: []string{"b"}})
	first, err := svc.SendMessage(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, SendMessageInput{ChannelID: ch.ID, Body: "one", ClientMessageID: "k1"})
	if err != nil || first.Seq != 1 || first.Status != domain.MessageSent {
		t.Fatalf("first = %+v, %v", first, err)
	}
	second, _ := svc.SendMessage(ctx, domain.Actor{UserID: "b", SessionID: "s2"}, SendMessageInput{ChannelID: ch.ID, Body: "two", ClientMessageID: "k1"})
	if second.Seq != 2 {
		t.Fatalf("another sender's k1 is a different message: seq %d", second.Seq)
	}
	events := len(store.events)
	retry, err := svc.SendMessage(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, SendMessageInput{ChannelID: ch.ID, Body: "one", ClientMessageID: "k1"})
	if err != nil || retry.ID != first.ID || retry.Seq != 1 {
		t.Fatalf("retry = %+v, %v; want the original", retry, err)
	}
	if len(store.events) != events {
		t.Fatal("a retry must broadcast nothing")
	}
}

func TestRateLimitedSendIsNotStored(t *testing.T) {
	svc, store, limiter := newTestService("a", "b")
	ctx := context.Background()
	ch, _, _ := svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, CreateChannelInput{Type: "direct", MemberIDs: []string{"b"}})
	limiter.left["a"] = 1
	if _, err := svc.SendMessage(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, SendMessageInput{ChannelID: ch.ID, Body: "ok", ClientMessageID: "1"}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.SendMessage(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, SendMessageInput{ChannelID: ch.ID, Body: "too many", ClientMessageID: "2"})
	if !errors.Is(err, domain.ErrRateLimited) {
		t.Fatalf("err = %v, want rate limited", err)
	}
	if store.appends != 1 {
		t.Fatalf("store was called %d times, want 1", store.appends)
	}
	next, _ := svc.SendMessage(ctx, domain.Actor{UserID: "b", SessionID: "s2"}, SendMessageInput{ChannelID: ch.ID, Body: "b", ClientMessageID: "3"})
	if next.Seq != 2 {
		t.Fatalf("refused message took a seq: next seq %d", next.Seq)
	}
}

func TestUsersLookupLimits(t *testing.T) {
	svc, _, _ := newTestService("a", "b", "c")
	ctx := context.Background()
	_, _, _ = svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, CreateChannelInput{Type: "direct", MemberIDs: []string{"b"}})
	users, err := svc.Users(ctx, domain.Actor{UserID: "a"}, []string{"a", "b", "c", "b", "ghost"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.ID)
	}
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Fatalf("visible users (-want +got): %s", diff)
	}
	many := make([]string, MaxLookupIDs+1)
	for i := range many {
		many[i] = "x"
	}
	if _, err := svc.Users(ctx, domain.Actor{UserID: "a"}, many); domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("101 ids: err = %v", err)
	}
}

func TestEmptyChannelIDIsValidation(t *testing.T) {
	svc, _, _ := newTestService("a")
	ctx := context.Background()
	checks := map[string]error{}
	_, _, checks["messages"] = svc.Messages(ctx, domain.Actor{UserID: "a"}, "", domain.Page{Limit: 1})
	_, checks["channel"] = svc.Channel(ctx, domain.Actor{UserID: "a"}, "")
	_, checks["join"] = svc.Join(ctx, domain.Actor{UserID: "a", SessionID: "s"}, "")
	checks["leave"] = svc.Leave(ctx, domain.Actor{UserID: "a", SessionID: "s"}, "")
	for name, err := range checks {
		if domain.KindOf(err) != domain.KindValidation {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestJoinLeaveEvents(t *testing.T) {
	svc, store, _ := newTestService("a", "b")
	ctx := context.Background()
	ch, _, _ := svc.CreateChannel(ctx, domain.Actor{UserID: "a", SessionID: "s1"}, CreateChannelInput{Type: "group"})
	if _, err := svc.Join(ctx, domain.Actor{UserID: "b", SessionID: "s2"}, ch.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Join(ctx, domain.Actor{UserID: "b", SessionID: "s2"}, ch.ID); err != nil {
		t.Fatal("joining twice must be harmless:", err)
	}
	if err := svc.Leave(ctx, domain.Actor{UserID: "b", SessionID: "s2"}, ch.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendMessage(ctx, domain.Actor{UserID: "b", SessionID: "s2"}, SendMessageInput{ChannelID: ch.ID, Body: "hi", ClientMessageID: "1"}); !errors.Is(err, domain.ErrNotMember) {
		t.Fatalf("send after leave: %v", err)
	}
	var types []domain.EventType
	for _, e := range store.events {
		types = append(types, e.Type)
	}
	want := []domain.EventType{domain.EventChannelCreated, domain.EventMemberJoined, domain.EventMemberLeft}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Fatalf("events (-want +got): %s", diff)
	}
}

func TestStoredMessageGoesToTheLivePathOnce(t *testing.T) {
	store := newFakeStore("a", "b")
	live := &recordingLive{}
	svc := NewService(store, &countingLimiter{left: map[string]int{"a": 2}}, live)
	ctx := context.Background()
	actor := domain.Actor{UserID: "a", SessionID: "s1"}
	ch, _, _ := svc.CreateChannel(ctx, actor, CreateChannelInput{Type: "direct", MemberIDs: []string{"b"}})

	sent, err := svc.SendMessage(ctx, actor, SendMessageInput{ChannelID: ch.ID, Body: "one", ClientMessageID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendMessage(ctx, actor, SendMessageInput{ChannelID: ch.ID, Body: "one", ClientMessageID: "k1"}); err != nil {
		t.Fatal(err) // a retry: stored nothing, so announces nothing
	}
	if _, err := svc.SendMessage(ctx, actor, SendMessageInput{ChannelID: ch.ID, Body: "two", ClientMessageID: "k2"}); !errors.Is(err, domain.ErrRateLimited) {
		t.Fatalf("err = %v, want rate limited", err) // refused: nothing stored
	}

	want := []domain.Event{{Type: domain.EventMessageCreated, ChannelID: ch.ID, Message: &sent, OriginSession: "s1"}}
	if diff := cmp.Diff(want, live.got); diff != "" {
		t.Errorf("live path got (-want +got):\n%s", diff)
	}
}
