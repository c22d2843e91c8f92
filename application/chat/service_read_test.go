package chat

import (
	"context"
	"errors"
	"testing"

	"github.com/chatd/chat/domain"
)

func TestMarkReadValidatesAndPassesTheStoreResult(t *testing.T) {
	svc, store, _ := newTestService("a", "b", "c")
	ctx := context.Background()
	a := domain.Actor{UserID: "a", SessionID: "s1"}
	ch, _, _ := svc.CreateChannel(ctx, a, CreateChannelInput{Type: "direct", MemberIDs: []string{"b"}})
	for i := range 3 {
		if _, err := svc.SendMessage(ctx, a, SendMessageInput{ChannelID: ch.ID, Body: "hi", ClientMessageID: string(rune('x' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	b := domain.Actor{UserID: "b", SessionID: "s2"}
	if _, err := svc.MarkRead(ctx, b, "", 1); domain.KindOf(err) != domain.KindValidation {
		t.Errorf("empty channelId: err = %v, want validation", err)
	}
	if _, err := svc.MarkRead(ctx, b, ch.ID, -1); domain.KindOf(err) != domain.KindValidation {
		t.Errorf("negative seq: err = %v, want validation", err)
	}
	if _, err := svc.MarkRead(ctx, domain.Actor{UserID: "c"}, ch.ID, 1); !errors.Is(err, domain.ErrNotMember) {
		t.Errorf("non-member: err = %v, want not member", err)
	}
	events := len(store.events)
	for _, step := range []struct{ seq, want int64 }{{2, 2}, {1, 2}, {99, 3}} {
		got, err := svc.MarkRead(ctx, b, ch.ID, step.seq)
		if err != nil || got != step.want {
			t.Fatalf("MarkRead(%d) = %d, %v; want %d", step.seq, got, err, step.want)
		}
	}
	if got := len(store.events) - events; got != 2 {
		t.Fatalf("%d read_updated events, want 2 (the lower mark changes nothing)", got)
	}
}
