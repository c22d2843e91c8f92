package typing

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

type fakeChannels struct {
	members map[string][]string // channel -> members
	asked   int
}

func (f *fakeChannels) Channel(_ context.Context, actor domain.Actor, channelID string) (domain.Channel, error) {
	f.asked++
	members, ok := f.members[channelID]
	if !ok {
		return domain.Channel{}, domain.ErrChannelNotFound
	}
	ch := domain.Channel{ID: channelID, MemberIDs: members}
	if !ch.HasMember(actor.UserID) {
		return domain.Channel{}, domain.ErrNotMember
	}
	return ch, nil
}

type recordingTarget struct{ events []domain.Event }

func (r *recordingTarget) Deliver(_ context.Context, events []domain.Event) error {
	r.events = append(r.events, events...)
	return nil
}

func newTestService() (*Service, *fakeClock, *fakeChannels, *recordingTarget) {
	clock := &fakeClock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	channels := &fakeChannels{members: map[string][]string{"c1": {"a", "b"}, "c2": {"a", "b"}}}
	target := &recordingTarget{}
	return NewService(clock, channels, target, nil), clock, channels, target
}

func TestTypingIsThrottledPerUserAndChannel(t *testing.T) {
	svc, clock, _, target := newTestService()
	ctx := context.Background()
	a := domain.Actor{UserID: "a", SessionID: "s-a"}
	b := domain.Actor{UserID: "b", SessionID: "s-b"}
	step := func(actor domain.Actor, channel string) {
		t.Helper()
		if err := svc.Typing(ctx, actor, channel, true); err != nil {
			t.Fatalf("typing of %s in %s: %v", actor.UserID, channel, err)
		}
	}
	step(a, "c1")                           // sent
	step(a, "c1")                           // same instant: dropped
	step(b, "c1")                           // another user: sent
	step(a, "c2")                           // another channel: sent
	clock.now = clock.now.Add(Interval - 1) // still inside the window
	step(a, "c1")                           // dropped
	clock.now = clock.now.Add(1)            // exactly Interval after the first
	step(a, "c1")                           // sent
	want := []domain.Event{
		{Type: domain.EventTyping, ChannelID: "c1", UserID: "a", OriginSession: "s-a"},
		{Type: domain.EventTyping, ChannelID: "c1", UserID: "b", OriginSession: "s-b"},
		{Type: domain.EventTyping, ChannelID: "c2", UserID: "a", OriginSession: "s-a"},
		{Type: domain.EventTyping, ChannelID: "c1", UserID: "a", OriginSession: "s-a"},
	}
	if diff := cmp.Diff(want, target.events); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
}

func TestTypingThrottleForgetsQuietUsers(t *testing.T) {
	svc, clock, _, _ := newTestService()
	ctx := context.Background()
	for _, u := range []string{"a", "b"} {
		if err := svc.Typing(ctx, domain.Actor{UserID: u}, "c1", true); err != nil {
			t.Fatal(err)
		}
	}
	if got := svc.tracked(); got != 2 {
		t.Fatalf("tracked = %d, want 2", got)
	}
	clock.now = clock.now.Add(3 * Interval)
	if err := svc.Typing(ctx, domain.Actor{UserID: "a"}, "c2", true); err != nil {
		t.Fatal(err)
	}
	if got := svc.tracked(); got != 1 {
		t.Fatalf("tracked = %d after the others fell quiet, want 1", got)
	}
}

func TestTypingChecksMembershipOnlyWhenNotSubscribed(t *testing.T) {
	svc, _, channels, target := newTestService()
	ctx := context.Background()
	if err := svc.Typing(ctx, domain.Actor{UserID: "a"}, "c1", true); err != nil || channels.asked != 0 {
		t.Fatalf("subscribed: err = %v, store asked %d times", err, channels.asked)
	}
	if err := svc.Typing(ctx, domain.Actor{UserID: "b"}, "c1", false); err != nil || channels.asked != 1 {
		t.Fatalf("member not subscribed: err = %v, store asked %d times", err, channels.asked)
	}
	if err := svc.Typing(ctx, domain.Actor{UserID: "x"}, "c1", false); !errors.Is(err, domain.ErrNotMember) {
		t.Fatalf("non-member: err = %v, want not member", err)
	}
	if err := svc.Typing(ctx, domain.Actor{UserID: "x"}, "nope", false); !errors.Is(err, domain.ErrChannelNotFound) {
		t.Fatalf("unknown channel: err = %v, want not found", err)
	}
	if err := svc.Typing(ctx, domain.Actor{UserID: "x"}, "", true); domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("empty channel: err = %v, want validation", err)
	}
	if len(target.events) != 2 {
		t.Fatalf("%d events delivered, want 2 (refused ones send nothing)", len(target.events))
	}
}
