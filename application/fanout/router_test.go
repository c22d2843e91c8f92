package fanout

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/chatd/chat/domain"
)

func message(channel string, seq int64) domain.Event {
	return domain.Event{Type: domain.EventMessageCreated, ChannelID: channel, Message: &domain.Message{ChannelID: channel, Seq: seq}}
}

// ids renders batches as "channel/seq" or "type/channel" for comparison.
func ids(batches [][]domain.Event) []string {
	var out []string
	for _, b := range batches {
		for _, ev := range b {
			if ev.Message != nil {
				out = append(out, ev.ChannelID+"/"+strconv.FormatInt(ev.Message.Seq, 10))
			} else {
				out = append(out, string(ev.Type)+"/"+ev.ChannelID+ev.UserID)
			}
		}
	}
	return out
}

type routerFixture struct {
	members *fakeMembers
	peers   *fakePeers
	local   *fakeLocal
	router  *Router
}

func newFixture(channels map[string][]string, owners map[string][]string, ring ...string) *routerFixture {
	f := &routerFixture{members: &fakeMembers{channels: channels}, peers: newFakePeers(), local: &fakeLocal{}}
	onRing := map[string]bool{}
	for _, n := range ring {
		onRing[n] = true
	}
	f.router = NewRouter("n1", f.local, f.members, fakePlacement{owners: owners, members: onRing}, f.peers, nil)
	return f
}

func TestRouterSendsEachEventOnceToEveryNodeOfItsRecipients(t *testing.T) {
	f := newFixture(
		map[string][]string{"c1": {"u1", "u2", "u3"}, "c2": {"u3", "u4"}},
		map[string][]string{"u1": {"n1"}, "u2": {"n2"}, "u3": {"n2"}, "u4": {"n3"}},
		"n1", "n2", "n3")
	batch := []domain.Event{message("c1", 1), message("c2", 1), message("c1", 2)}
	if err := f.router.Deliver(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(f.local.got), []string{"c1/1", "c1/2"}; !slices.Equal(got, want) {
		t.Errorf("this node got %v, want %v", got, want)
	}
	if got, want := ids(f.peers.got["n2"]), []string{"c1/1", "c2/1", "c1/2"}; !slices.Equal(got, want) {
		t.Errorf("n2 got %v, want %v (each event once, in batch order)", got, want)
	}
	if got, want := ids(f.peers.got["n3"]), []string{"c2/1"}; !slices.Equal(got, want) {
		t.Errorf("n3 got %v, want %v", got, want)
	}
	if len(f.peers.got["n2"]) != 1 || len(f.members.calls) != 1 {
		t.Errorf("%d sends to n2 and %d lookups for one batch, want one each", len(f.peers.got["n2"]), len(f.members.calls))
	}
}

func TestRouterSendsToOldOwnersDuringHandover(t *testing.T) {
	f := newFixture(map[string][]string{"c1": {"u1", "u2"}},
		map[string][]string{"u1": {"n1"}, "u2": {"n3", "n2"}}, "n1", "n2", "n3")
	if err := f.router.Deliver(context.Background(), []domain.Event{message("c1", 1)}); err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{"n2", "n3"} {
		if got := ids(f.peers.got[node]); !slices.Equal(got, []string{"c1/1"}) {
			t.Errorf("%s got %v; a moved user's old and new owner both need it", node, got)
		}
	}
}

func TestRouterRecipientsByEventType(t *testing.T) {
	f := newFixture(
		map[string][]string{"c1": {"u1"}, "c2": {"u4"}},
		map[string][]string{"u1": {"n1"}, "u2": {"n2"}, "u3": {"n3"}, "u4": {"n4"}, "u5": {"n5"}},
		"n1", "n2", "n3", "n4", "n5")
	batch := []domain.Event{
		{Type: domain.EventChannelCreated, ChannelID: "c9", Channel: &domain.Channel{ID: "c9", MemberIDs: []string{"u5"}}},
		{Type: domain.EventMemberLeft, ChannelID: "c1", UserID: "u2"},   // the leaver is no member any more
		{Type: domain.EventMemberJoined, ChannelID: "c1", UserID: "u3"}, // not in the (older) lookup
		{Type: domain.EventPresenceChanged, UserID: "u1", ChannelIDs: []string{"c1", "c2"}},
		{Type: domain.EventReadUpdated, ChannelID: "c2", UserID: "u4", LastReadSeq: 3}, // every member, the reader too
		{Type: domain.EventTyping, ChannelID: "c2", UserID: "u4"},                      // the hub skips the typist
	}
	if err := f.router.Deliver(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"n5": {"channel_created/c9"},
		"n2": {"member_left/c1u2"},
		"n3": {"member_joined/c1u3"},
		"n4": {"presence_changed/u1", "read_updated/c2u4", "typing/c2u4"},
	}
	for node, w := range want {
		if got := ids(f.peers.got[node]); !slices.Equal(got, w) {
			t.Errorf("%s got %v, want %v", node, got, w)
		}
	}
	if got, w := ids(f.local.got), []string{"member_left/c1u2", "member_joined/c1u3", "presence_changed/u1"}; !slices.Equal(got, w) {
		t.Errorf("this node (u1's owner) got %v, want %v", got, w)
	}
	if len(f.members.calls) != 1 || slices.Contains(f.members.calls[0], "c9") {
		t.Errorf("lookups %v: want one, without the created channel, whose event names its members", f.members.calls)
	}
}

func TestRouterRetriesANodeOnTheRingUntilItTakesTheEvents(t *testing.T) {
	f := newFixture(map[string][]string{"c1": {"u2"}}, map[string][]string{"u2": {"n2"}}, "n1", "n2")
	f.peers.failing["n2"] = 2
	if err := f.router.Deliver(context.Background(), []domain.Event{message("c1", 1)}); err != nil {
		t.Fatal(err)
	}
	if got := ids(f.peers.got["n2"]); !slices.Equal(got, []string{"c1/1"}) || f.peers.tries["n2"] != 3 {
		t.Errorf("n2 got %v after %d tries, want the event after 3", got, f.peers.tries["n2"])
	}
}

func TestRouterDropsTheShareOfANodeThatLeftTheRing(t *testing.T) {
	// u2 moved from n2 (gone: killed, lease expired) to n3.
	f := newFixture(map[string][]string{"c1": {"u2"}}, map[string][]string{"u2": {"n3", "n2"}}, "n1", "n3")
	f.peers.failing["n2"] = -1
	if err := f.router.Deliver(context.Background(), []domain.Event{message("c1", 1)}); err != nil {
		t.Fatal(err)
	}
	if got := ids(f.peers.got["n3"]); !slices.Equal(got, []string{"c1/1"}) || f.peers.tries["n2"] != 1 {
		t.Errorf("n3 got %v; n2 tried %d times, want once", got, f.peers.tries["n2"])
	}
}

func TestRouterRetriesTheMembersLookup(t *testing.T) {
	f := newFixture(map[string][]string{"c1": {"u2"}}, map[string][]string{"u2": {"n2"}}, "n1", "n2")
	f.members.failFirst = 2
	if err := f.router.Deliver(context.Background(), []domain.Event{message("c1", 1)}); err != nil {
		t.Fatal(err)
	}
	if got := ids(f.peers.got["n2"]); !slices.Equal(got, []string{"c1/1"}) || len(f.members.calls) != 3 {
		t.Errorf("n2 got %v after %d lookups", got, len(f.members.calls))
	}
}

func TestRouterGivesUpOnlyWhenItsContextEnds(t *testing.T) {
	f := newFixture(map[string][]string{"c1": {"u2"}}, map[string][]string{"u2": {"n2"}}, "n1", "n2")
	f.peers.failing["n2"] = -1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.router.Deliver(ctx, []domain.Event{message("c1", 1)}) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Deliver = %v, want context.Canceled so the batch is not marked", err)
	}
}
