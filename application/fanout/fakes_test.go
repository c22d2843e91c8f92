package fanout

import (
	"context"
	"errors"
	"sync"

	"github.com/chatd/chat/domain"
)

// fakeMembers serves a fixed membership, at versions[id] (0 when unset),
// and fails the first failFirst lookups.
type fakeMembers struct {
	mu        sync.Mutex
	channels  map[string][]string
	versions  map[string]int64
	failFirst int
	calls     [][]string
}

// set changes a channel's members and version, as a join or leave would.
func (f *fakeMembers) set(id string, version int64, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.versions == nil {
		f.versions = make(map[string]int64)
	}
	f.channels[id], f.versions[id] = users, version
}

func (f *fakeMembers) lookups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeMembers) ChannelMembers(_ context.Context, ids []string) (map[string]Roster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, ids)
	if len(f.calls) <= f.failFirst {
		return nil, errors.New("database away")
	}
	out := make(map[string]Roster)
	for _, id := range ids {
		if m, ok := f.channels[id]; ok {
			out[id] = Roster{Version: f.versions[id], Users: m}
		}
	}
	return out, nil
}

// fakePlacement maps users to owner lists; members is the current ring.
type fakePlacement struct {
	owners  map[string][]string
	members map[string]bool
}

func (f fakePlacement) Owners(user string) []string { return f.owners[user] }
func (f fakePlacement) IsMember(node string) bool   { return f.members[node] }

// fakePeers records what each node took; a node in failing refuses its
// first failing[node] sends, or all of them when the count is negative.
type fakePeers struct {
	mu      sync.Mutex
	got     map[string][][]domain.Event
	failing map[string]int
	tries   map[string]int
}

func newFakePeers() *fakePeers {
	return &fakePeers{got: map[string][][]domain.Event{}, failing: map[string]int{}, tries: map[string]int{}}
}

func (f *fakePeers) Send(_ context.Context, node string, events []domain.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[node]++
	if n, ok := f.failing[node]; ok && (n < 0 || f.tries[node] <= n) {
		return errors.New("connection refused")
	}
	f.got[node] = append(f.got[node], events)
	return nil
}

// fakeLocal records the batches of this node's hub.
type fakeLocal struct {
	mu  sync.Mutex
	got [][]domain.Event
}

func (f *fakeLocal) Deliver(_ context.Context, events []domain.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, events)
	return nil
}
