package presence

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/chatd/chat/domain"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = at(d)
}

// memStore is an in-memory Store with the adapter's rules: a change of the
// stored status is announced, an offline change applies only for the
// owner, and Presences sees only the users in visible.
type memStore struct {
	mu        sync.Mutex
	rows      map[string]storedPresence
	announced []domain.UserPresence
	failNext  error
	visible   map[string]bool
}

type storedPresence struct {
	domain.UserPresence
	node string
}

func newMemStore() *memStore { return &memStore{rows: map[string]storedPresence{}} }

func (m *memStore) Record(_ context.Context, nodeID string, changes []Change) ([]domain.UserPresence, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext; err != nil {
		m.failNext = nil
		return nil, err
	}
	var out []domain.UserPresence
	for _, c := range changes {
		row, ok := m.rows[c.UserID]
		switch {
		case c.Reclaim && !(ok && row.Status == domain.PresenceOffline && row.node == nodeID):
			continue
		case c.Status == domain.PresenceOnline && ok && row.Status == domain.PresenceOnline:
			row.node = nodeID
		case c.Status == domain.PresenceOnline:
			row = storedPresence{c.UserPresence, nodeID}
			out = append(out, c.UserPresence)
		case ok && row.Status == domain.PresenceOnline && row.node == nodeID:
			row.UserPresence = c.UserPresence
			out = append(out, c.UserPresence)
		default:
			continue
		}
		m.rows[c.UserID] = row
	}
	m.announced = append(m.announced, out...)
	return out, nil
}

func (m *memStore) Presences(_ context.Context, _ string, ids []string) ([]domain.UserPresence, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.UserPresence
	for _, id := range ids {
		if row, ok := m.rows[id]; ok && m.visible[id] {
			out = append(out, row.UserPresence)
		}
	}
	return out, nil
}

func (m *memStore) OwnedOnline(_ context.Context, nodeID string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, row := range m.rows {
		if row.Status == domain.PresenceOnline && row.node == nodeID {
			out = append(out, id)
		}
	}
	return out, nil
}

// takeAnnounced returns what was announced since the last call.
func (m *memStore) takeAnnounced() []domain.UserPresence {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.announced
	m.announced = nil
	slices.SortFunc(out, func(a, b domain.UserPresence) int { return compareStrings(a.UserID, b.UserID) })
	return out
}

type countingMetrics struct {
	mu         sync.Mutex
	heartbeats int
	changes    map[domain.PresenceStatus]int
}

func (c *countingMetrics) HeartbeatReceived() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heartbeats++
}

func (c *countingMetrics) StatusChanged(s domain.PresenceStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changes == nil {
		c.changes = map[domain.PresenceStatus]int{}
	}
	c.changes[s]++
}
