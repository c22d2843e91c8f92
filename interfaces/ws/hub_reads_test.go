package ws

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

func TestReadUpdatedReachesEveryMemberSessionButTheMarkingOne(t *testing.T) {
	h := quietHub()
	ch := domain.Channel{ID: "c1", Type: domain.ChannelGroup}
	marker := join(t, h, "u1", 8, ch)
	otherDevice := join(t, h, "u1", 8, ch)
	member := join(t, h, "u2", 8, ch)
	outsider := join(t, h, "u3", 8)
	deliver(t, h, domain.Event{Type: domain.EventReadUpdated, ChannelID: "c1", UserID: "u1", LastReadSeq: 5, OriginSession: marker.id})
	want := []seen{{Type: protocol.TypeReadUpdated, ChannelID: "c1", UserID: "u1"}}
	for name, s := range map[string]*session{"other device": otherDevice, "other member": member} {
		if diff := cmp.Diff(want, drain(t, s)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	for name, s := range map[string]*session{"marking session": marker, "non-member": outsider} {
		if got := drain(t, s); len(got) != 0 {
			t.Errorf("%s got %v, want nothing", name, got)
		}
	}
}

func TestTypingSkipsTheTypistAndBusySessionsAndNeverCloses(t *testing.T) {
	h := quietHub()
	ch := domain.Channel{ID: "c1", Type: domain.ChannelGroup}
	typist := join(t, h, "u1", 2, ch)
	typistOther := join(t, h, "u1", 2, ch)
	idle := join(t, h, "u2", 2, ch)
	busy := join(t, h, "u3", 2, ch)
	deliver(t, h, msg("c1", 1, typist.id), msg("c1", 2, typist.id))
	drain(t, typistOther)
	drain(t, idle) // busy keeps its two messages: its queue is full
	typing := domain.Event{Type: domain.EventTyping, ChannelID: "c1", UserID: "u1", OriginSession: typist.id}
	deliver(t, h, typing)
	if diff := cmp.Diff([]seen{{Type: protocol.TypeTyping, ChannelID: "c1", UserID: "u1"}}, drain(t, idle)); diff != "" {
		t.Errorf("idle member (-want +got):\n%s", diff)
	}
	for name, s := range map[string]*session{"typist": typist, "typist's other device": typistOther} {
		if got := drain(t, s); len(got) != 0 {
			t.Errorf("%s got %v, want no echo", name, got)
		}
	}
	if code, _ := busy.closeStatus(); code != -1 {
		t.Fatalf("a typing event closed a full session with %d", code)
	}
	want := []seen{{Type: protocol.TypeMessageReceived, ChannelID: "c1", Seq: 1}, {Type: protocol.TypeMessageReceived, ChannelID: "c1", Seq: 2}}
	if diff := cmp.Diff(want, drain(t, busy)); diff != "" {
		t.Fatalf("busy member: typing was queued behind its messages (-want +got):\n%s", diff)
	}
	// An idle queue holding a typing frame still takes the full bound of
	// messages: the typing frame never brings 4008 closer.
	deliver(t, h, typing)
	deliver(t, h, msg("c1", 3, typist.id), msg("c1", 4, typist.id))
	if code, _ := idle.closeStatus(); code != -1 {
		t.Fatalf("messages behind a typing frame closed the session with %d", code)
	}
	if got := drain(t, idle); len(got) != 3 || got[0].Type != protocol.TypeTyping || got[2].Seq != 4 {
		t.Fatalf("idle member got %v, want typing then seq 3 and 4", got)
	}
}

func TestTypingIsNotCollectedByAJoiningSession(t *testing.T) {
	h := quietHub()
	s := newSession(domain.User{ID: "u2"}, 2)
	h.register(s)
	deliver(t, h, domain.Event{Type: domain.EventTyping, ChannelID: "c1", UserID: "u1"})
	if !h.activate(s, []domain.Channel{{ID: "c1", Type: domain.ChannelGroup}}, readyOf) {
		t.Fatal("activate failed")
	}
	if got := drain(t, s); len(got) != 1 || got[0].Type != protocol.TypeReady {
		t.Fatalf("frames = %v, want ready alone", got)
	}
}
