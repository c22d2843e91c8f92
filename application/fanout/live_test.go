package fanout

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

type liveFixture struct {
	members *fakeMembers
	peers   *fakePeers
	local   *fakeLocal
	live    *Live
}

// startLive runs a live path for node n1 until the test ends.
func startLive(t *testing.T, channels map[string][]string, owners map[string][]string) *liveFixture {
	t.Helper()
	f := &liveFixture{members: &fakeMembers{channels: channels}, peers: newFakePeers(), local: &fakeLocal{}}
	f.live = NewLive("n1", f.local, f.members, fakePlacement{owners: owners}, f.peers, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.live.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return f
}

// waitFor polls cond until it holds or a deadline passes: the live path
// works on its own goroutines and tells nobody when it is done.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (f *liveFixture) localGot() [][]domain.Event {
	f.local.mu.Lock()
	defer f.local.mu.Unlock()
	return slices.Clone(f.local.got)
}

func (f *liveFixture) peerGot(node string) ([][]domain.Event, int) {
	f.peers.mu.Lock()
	defer f.peers.mu.Unlock()
	return slices.Clone(f.peers.got[node]), f.peers.tries[node]
}

func count(batches [][]domain.Event) int {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	return n
}

func TestLiveHandsEachMessageToItsRecipientsNodesWithTheRecipients(t *testing.T) {
	f := startLive(t,
		map[string][]string{"c1": {"u1", "u2"}, "c2": {"u3"}},
		map[string][]string{"u1": {"n1"}, "u2": {"n2"}, "u3": {"n2"}})

	for _, ev := range []domain.Event{message("c1", 1), message("c2", 1), message("c1", 2)} {
		f.live.Publish(ev)
	}
	waitFor(t, "n2's share", func() bool { got, _ := f.peerGot("n2"); return count(got) == 3 })
	waitFor(t, "this node's share", func() bool { return count(f.localGot()) == 2 })

	remote, _ := f.peerGot("n2")
	if got, want := ids(remote), []string{"c1/1", "c2/1", "c1/2"}; !slices.Equal(got, want) {
		t.Errorf("n2 got %v, want %v in commit order", got, want)
	}
	if got, want := ids(f.localGot()), []string{"c1/1", "c1/2"}; !slices.Equal(got, want) {
		t.Errorf("this node got %v, want %v", got, want)
	}
	for _, b := range append(remote, f.localGot()...) {
		for _, ev := range b {
			want := map[string][]string{"c1": {"u1", "u2"}, "c2": {"u3"}}[ev.ChannelID]
			if !slices.Equal(ev.Recipients, want) {
				t.Errorf("%s/%d carries recipients %v, want the members %v", ev.ChannelID, ev.Message.Seq, ev.Recipients, want)
			}
		}
	}
}

func TestLiveLeavesToTheDurablePathWhatItCannotDeliverAtOnce(t *testing.T) {
	f := startLive(t,
		map[string][]string{"c1": {"u1", "u2"}},
		map[string][]string{"u1": {"n1"}, "u2": {"n2"}})
	f.peers.mu.Lock()
	f.peers.failing["n2"] = 1
	f.peers.mu.Unlock()

	f.live.Publish(message("c1", 1))
	waitFor(t, "the send to n2", func() bool { _, tries := f.peerGot("n2"); return tries == 1 })
	f.live.Publish(message("c1", 2))
	waitFor(t, "the next send to n2", func() bool { got, _ := f.peerGot("n2"); return count(got) == 1 })

	got, tries := f.peerGot("n2")
	if ids(got)[0] != "c1/2" || tries != 2 {
		t.Errorf("n2 got %v after %d tries; the failed seq 1 must not be retried (the durable path has it)", ids(got), tries)
	}
	if n := f.live.Dropped(); n != 1 {
		t.Errorf("Dropped = %d, want the one event n2 missed", n)
	}
}

func TestLiveSkipsABatchWhoseMembersLookupFails(t *testing.T) {
	f := startLive(t, map[string][]string{"c1": {"u1"}}, map[string][]string{"u1": {"n1"}})
	f.members.mu.Lock()
	f.members.failFirst = 1
	f.members.mu.Unlock()

	f.live.Publish(message("c1", 1))
	waitFor(t, "the failed lookup", func() bool { f.members.mu.Lock(); defer f.members.mu.Unlock(); return len(f.members.calls) == 1 })
	f.live.Publish(message("c1", 2))
	waitFor(t, "seq 2", func() bool { return count(f.localGot()) == 1 })

	if got := ids(f.localGot()); !slices.Equal(got, []string{"c1/2"}) {
		t.Errorf("this node got %v, want only seq 2: no guess of recipients, no retry", got)
	}
}

func TestLivePublishNeverWaits(t *testing.T) {
	// Not running: nothing drains the queue.
	l := NewLive("n1", &fakeLocal{}, &fakeMembers{}, fakePlacement{}, newFakePeers(), nil)
	for seq := range int64(liveQueue + 10) {
		l.Publish(message("c1", seq+1))
	}
	if got := l.Dropped(); got != 10 {
		t.Errorf("dropped %d events, want the 10 past the queue's %d", got, liveQueue)
	}
}
