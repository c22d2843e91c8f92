package ws

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

func quietHub() *Hub { return NewHub(slog.New(slog.DiscardHandler)) }

// seen is what a test cares about in a queued frame.
type seen struct {
	Type      string
	ChannelID string
	Seq       int64
	UserID    string
}

func readyOf(channels []domain.Channel) ([]byte, error) {
	list := make([]protocol.ReadyChannel, 0, len(channels))
	for _, ch := range channels {
		list = append(list, protocol.NewReadyChannel(ch))
	}
	return protocol.Encode(protocol.TypeReady, "", protocol.Ready{Channels: list})
}

// join registers and activates a session of userID subscribed to channels,
// and returns it with its ready frame already taken.
func join(t *testing.T, h *Hub, userID string, queue int, channels ...domain.Channel) *session {
	t.Helper()
	s := newSession(domain.User{ID: userID}, queue)
	h.register(s)
	if !h.activate(s, channels, readyOf) {
		t.Fatalf("activate %s failed", userID)
	}
	if got := drain(t, s); len(got) != 1 || got[0].Type != protocol.TypeReady {
		t.Fatalf("first frames = %v, want ready", got)
	}
	return s
}

// drain takes every frame waiting in the session's queue.
func drain(t *testing.T, s *session) []seen {
	t.Helper()
	var out []seen
	for _, frame := range s.conn.Drain() {
		var f struct {
			Type    string
			Payload struct {
				ChannelID string
				Seq       int64
				UserID    string
			}
		}
		if err := json.Unmarshal(frame, &f); err != nil {
			t.Fatalf("queued frame %q: %v", frame, err)
		}
		out = append(out, seen{Type: f.Type, ChannelID: f.Payload.ChannelID, Seq: f.Payload.Seq, UserID: f.Payload.UserID})
	}
	return out
}

func deliver(t *testing.T, h *Hub, events ...domain.Event) {
	t.Helper()
	if err := h.Deliver(context.Background(), events); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
}

func msg(channelID string, seq int64, origin string) domain.Event {
	return domain.Event{Type: domain.EventMessageCreated, ChannelID: channelID, OriginSession: origin,
		Message: &domain.Message{ID: "m", ChannelID: channelID, SenderID: "u1", Body: "b", Seq: seq}}
}

func received(channelID string, seqs ...int64) []seen {
	var out []seen
	for _, seq := range seqs {
		out = append(out, seen{Type: protocol.TypeMessageReceived, ChannelID: channelID, Seq: seq})
	}
	return out
}

func expectFrames(t *testing.T, who string, s *session, want []seen) {
	t.Helper()
	if diff := cmp.Diff(want, drain(t, s)); diff != "" {
		t.Errorf("%s frames (-want +got):\n%s", who, diff)
	}
}

var c1 = domain.Channel{ID: "c1", Type: domain.ChannelGroup}

func TestHubSkipsOriginSession(t *testing.T) {
	h := quietHub()
	sender, senderLaptop, other := join(t, h, "u1", 8, c1), join(t, h, "u1", 8, c1), join(t, h, "u2", 8, c1)

	deliver(t, h, msg("c1", 1, sender.id))

	expectFrames(t, "origin", sender, nil)
	expectFrames(t, "sender's other session", senderLaptop, received("c1", 1))
	expectFrames(t, "other user", other, received("c1", 1))
}

func TestHubDropsRepeatedAndBackwardSeqs(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u2", 16, domain.Channel{ID: "c1", LastSeq: 2})

	deliver(t, h, msg("c1", 2, ""), msg("c1", 3, ""), msg("c1", 3, ""), msg("c1", 1, ""), msg("c1", 4, ""))
	deliver(t, h, msg("c1", 4, ""), msg("c1", 3, ""), msg("c1", 5, ""))

	expectFrames(t, "subscriber", s, received("c1", 3, 4, 5))
}

func TestHubReplyDoesNotHideEarlierMessages(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u1", 8, domain.Channel{ID: "c1", LastSeq: 5})

	// The session's own message got seq 7 and its reply went out before
	// another user's seq 6 was delivered.
	h.recordSent(s, "c1", 7)
	deliver(t, h, msg("c1", 6, "s-other"))
	deliver(t, h, msg("c1", 7, "s-elsewhere")) // a copy not tagged with this session
	deliver(t, h, msg("c1", 8, "s-other"))

	expectFrames(t, "sender", s, received("c1", 6, 8))
}

func TestHubMemberLeftUnsubscribesLeaverFirst(t *testing.T) {
	h := quietHub()
	leaver, leaverLaptop, stayer := join(t, h, "u2", 8, c1), join(t, h, "u2", 8, c1), join(t, h, "u1", 8, c1)

	deliver(t, h,
		domain.Event{Type: domain.EventMemberLeft, ChannelID: "c1", UserID: "u2", OriginSession: leaver.id},
		msg("c1", 1, ""),
	)

	expectFrames(t, "leaver", leaver, nil)
	expectFrames(t, "leaver's other session", leaverLaptop, nil)
	expectFrames(t, "remaining member", stayer, append([]seen{{Type: protocol.TypeMemberLeft, ChannelID: "c1", UserID: "u2"}}, received("c1", 1)...))
}

func TestHubMemberRemovedByOperatorTellsThatMember(t *testing.T) {
	h := quietHub()
	removed, removedLaptop, stayer := join(t, h, "u2", 8, c1), join(t, h, "u2", 8, c1), join(t, h, "u1", 8, c1)

	deliver(t, h,
		domain.Event{Type: domain.EventMemberLeft, ChannelID: "c1", UserID: "u2"}, // no origin: the admin API
		msg("c1", 1, ""),
	)

	left := seen{Type: protocol.TypeMemberLeft, ChannelID: "c1", UserID: "u2"}
	expectFrames(t, "removed member", removed, []seen{left})
	expectFrames(t, "removed member's other session", removedLaptop, []seen{left})
	expectFrames(t, "remaining member", stayer, append([]seen{left}, received("c1", 1)...))
}

func TestHubMemberJoinedSubscribesJoiner(t *testing.T) {
	h := quietHub()
	joiner, joinerLaptop, member := join(t, h, "u3", 8), join(t, h, "u3", 8), join(t, h, "u1", 8, c1)

	deliver(t, h,
		domain.Event{Type: domain.EventMemberJoined, ChannelID: "c1", UserID: "u3", OriginSession: joiner.id},
		msg("c1", 1, ""),
	)

	expectFrames(t, "joiner", joiner, received("c1", 1))
	expectFrames(t, "joiner's other session", joinerLaptop, received("c1", 1))
	expectFrames(t, "member", member, append([]seen{{Type: protocol.TypeMemberJoined, ChannelID: "c1", UserID: "u3"}}, received("c1", 1)...))
}

func TestHubChannelCreatedSubscribesMembers(t *testing.T) {
	h := quietHub()
	creator, creatorLaptop, member, outsider := join(t, h, "u1", 8), join(t, h, "u1", 8), join(t, h, "u2", 8), join(t, h, "u3", 8)
	created := domain.Event{Type: domain.EventChannelCreated, ChannelID: "c9", OriginSession: creator.id,
		Channel: &domain.Channel{ID: "c9", Type: domain.ChannelDirect, MemberIDs: []string{"u1", "u2"}}}

	deliver(t, h, created, created, msg("c9", 1, ""))

	announce := seen{Type: protocol.TypeChannelCreated, ChannelID: "c9"}
	expectFrames(t, "creator", creator, received("c9", 1))
	expectFrames(t, "creator's other session", creatorLaptop, append([]seen{announce}, received("c9", 1)...))
	expectFrames(t, "member", member, append([]seen{announce}, received("c9", 1)...))
	expectFrames(t, "outsider", outsider, nil)
}

func TestHubHandshakeCollectsEventsUntilReady(t *testing.T) {
	h := quietHub()
	s := newSession(domain.User{ID: "u1"}, 16)
	h.register(s)

	// Committed while the session read its channel list: c1 at seq 3 is in
	// the list, seq 4 is not; c2 was left on another device; c9 is new.
	deliver(t, h,
		msg("c1", 3, ""), msg("c1", 4, ""),
		domain.Event{Type: domain.EventMemberLeft, ChannelID: "c2", UserID: "u1", OriginSession: "s-other-device"},
		domain.Event{Type: domain.EventChannelCreated, ChannelID: "c9", Channel: &domain.Channel{ID: "c9", MemberIDs: []string{"u1", "u2"}}},
	)
	var listed []string
	recordReady := func(kept []domain.Channel) ([]byte, error) {
		for _, ch := range kept {
			listed = append(listed, ch.ID)
		}
		return readyOf(kept)
	}
	if !h.activate(s, []domain.Channel{{ID: "c1", LastSeq: 3}, {ID: "c2", LastSeq: 8}}, recordReady) {
		t.Fatal("activate failed")
	}
	deliver(t, h, msg("c2", 9, ""), msg("c9", 1, ""))

	if diff := cmp.Diff([]string{"c1"}, listed); diff != "" {
		t.Errorf("ready channels (-want +got):\n%s", diff)
	}
	want := []seen{
		{Type: protocol.TypeReady},
		{Type: protocol.TypeMessageReceived, ChannelID: "c1", Seq: 4},
		{Type: protocol.TypeChannelCreated, ChannelID: "c9"},
		{Type: protocol.TypeMessageReceived, ChannelID: "c9", Seq: 1},
	}
	expectFrames(t, "joining session", s, want)
}

func TestHubClosesSlowConsumer(t *testing.T) {
	h := quietHub()
	slow, fast := join(t, h, "u1", 2, c1), join(t, h, "u2", 8, c1)

	deliver(t, h, msg("c1", 1, ""), msg("c1", 2, ""), msg("c1", 3, ""), msg("c1", 4, ""))

	select {
	case <-slow.conn.Closing():
	default:
		t.Fatal("slow session not closed")
	}
	if code, _ := slow.closeStatus(); code != protocol.CloseSlowConsumer {
		t.Errorf("close code = %d, want 4008", code)
	}
	if n := h.sessionCount("u1"); n != 0 {
		t.Errorf("slow session still registered (%d)", n)
	}
	expectFrames(t, "fast", fast, received("c1", 1, 2, 3, 4))
}

func TestHubConcurrentUse(t *testing.T) {
	h := quietHub()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for seq := int64(1); seq <= 200; seq++ {
				_ = h.Deliver(context.Background(), []domain.Event{msg("c1", seq, "")})
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				s := newSession(domain.User{ID: string(rune('a' + i))}, 4)
				h.register(s)
				h.activate(s, []domain.Channel{c1}, readyOf)
				h.recordSent(s, "c1", 3)
				h.subscribe(s, "c2", 0)
				h.unsubscribeUser(s.user.ID, "c2")
				h.remove(s)
			}
		}()
	}
	wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.users) != 0 || len(h.channels) != 0 || len(h.joining) != 0 {
		t.Errorf("hub not empty after every session left: %d users, %d channels, %d joining", len(h.users), len(h.channels), len(h.joining))
	}
}
