package ws

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/domain"
)

// The real use cases satisfy the port; the tests run them over memPresence.
var _ PresenceService = (*presence.Service)(nil)

// fakeClock is the presence use cases' clock, moved by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// memPresence is an in-memory presence.Store over the chat memStore: a
// change of status is stored and its presence_changed event, with the
// user's channels, relayed like the chat events.
type memPresence struct {
	chats *memStore
	mu    sync.Mutex
	rows  map[string]domain.UserPresence
}

func newMemPresence(chats *memStore) *memPresence {
	return &memPresence{chats: chats, rows: map[string]domain.UserPresence{}}
}

func (m *memPresence) Record(_ context.Context, _ string, changes []presence.Change) ([]domain.UserPresence, error) {
	m.mu.Lock()
	var announced []domain.UserPresence
	var events []domain.Event
	for _, change := range changes {
		c := change.UserPresence
		if m.rows[c.UserID].Status == c.Status || (c.Status == domain.PresenceOffline && m.rows[c.UserID].Status == "") {
			continue
		}
		m.rows[c.UserID] = c
		p := c
		announced = append(announced, c)
		events = append(events, domain.Event{Type: domain.EventPresenceChanged, UserID: c.UserID, Presence: &p, ChannelIDs: m.chats.channelsOf(c.UserID)})
	}
	m.mu.Unlock()
	if len(events) > 0 {
		m.chats.relay(events)
	}
	return announced, nil
}

func (m *memPresence) Presences(_ context.Context, _ string, ids []string) ([]domain.UserPresence, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.UserPresence
	for _, id := range ids {
		if p, ok := m.rows[id]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func (m *memPresence) OwnedOnline(context.Context, string) ([]string, error) { return nil, nil }

// channelsOf lists the channels userID is a member of.
func (st *memStore) channelsOf(userID string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for id, ch := range st.channels {
		if slices.Contains(ch.MemberIDs, userID) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
