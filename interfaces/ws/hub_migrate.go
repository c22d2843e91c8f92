package ws

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

// RingChanges is what the migration sweep needs of the consistent hash
// ring: who owns a user now, and a signal when that may have changed.
type RingChanges interface {
	Owners
	// Changed is closed at the next ring change.
	Changed() <-chan struct{}
}

// Migrator ends this node's part in a migration (the migration problem of
// product design §2 in docs/architecture.md). When the
// ring changes, some users connected here belong to another node. For a
// grace period the fan-out routers send their events here as well as to
// the new owner, so their open connections miss nothing; when it ends,
// the Migrator closes those connections with 4010 and the new owner's
// URL, and the clients reconnect there and catch up with get_messages.
// Presence needs no hand-over: the new owner's first heartbeat takes over
// the user's presence row, after which this node's pending offline
// timeout for the user no longer applies (a status change applies only
// under the node that owns the row).
type Migrator struct {
	hub   *Hub
	ring  RingChanges
	self  string
	grace time.Duration
	log   *slog.Logger
	// changed is the signal of the ring as of construction, so that a
	// change between construction and Run is not missed.
	changed <-chan struct{}
	// now asks Run for a sweep before the grace ends (EndGrace).
	now chan struct{}
}

// NewMigrator returns the sweep for node self.
func NewMigrator(hub *Hub, ring RingChanges, self string, grace time.Duration, log *slog.Logger) *Migrator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Migrator{hub: hub, ring: ring, self: self, grace: grace, log: log.With(slog.String("component", "migrator")),
		changed: ring.Changed(), now: make(chan struct{}, 1)}
}

// EndGrace ends the grace of every ring change so far: Run sweeps at once
// and closes the connections of users owned elsewhere. A test that has
// seen the handover it waits for ends it so instead of waiting out a
// grace long enough for the slowest machine.
func (m *Migrator) EndGrace() {
	select {
	case m.now <- struct{}{}:
	default: // a sweep is already asked for
	}
}

// Run sweeps one grace period after every ring change until ctx ends. The
// sweep closes every connection whose user is owned elsewhere by then; a
// user moved by a later change may so be closed earlier than its own
// grace, which is safe (the client catches up), never later, which would
// leave a connection nobody routes events to.
func (m *Migrator) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var due []time.Time // sweep times, oldest first
	changed := m.changed
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-changed:
			changed = m.ring.Changed()
			due = append(due, time.Now().Add(m.grace))
			if len(due) == 1 {
				timer.Reset(m.grace)
			}
		case <-m.now:
			due = nil
			timer.Stop()
			m.sweep(ctx)
		case <-timer.C:
			now := time.Now()
			for len(due) > 0 && !due[0].After(now) {
				due = due[1:]
			}
			m.sweep(ctx)
			if len(due) > 0 {
				timer.Reset(time.Until(due[0]))
			}
		}
	}
}

func (m *Migrator) sweep(ctx context.Context) {
	if n := m.hub.closeUnowned(m.ring, m.self); n > 0 {
		m.log.InfoContext(ctx, "closed the connections of users now owned by other nodes", "connections", n)
	}
}

// closeUnowned closes, with 4010 and the owner's URL, every session whose
// user ring does not place on node self, and reports how many it closed.
func (h *Hub) closeUnowned(ring Owners, self string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var moved []*session
	for userID, sessions := range h.users {
		if owner, _ := ring.OwnerOf(userID); owner != self {
			for s := range sessions {
				moved = append(moved, s)
			}
		}
	}
	for s := range h.joining {
		if owner, _ := ring.OwnerOf(s.user.ID); owner != self {
			moved = append(moved, s)
		}
	}
	for _, s := range moved {
		_, url := ring.OwnerOf(s.user.ID)
		if len(url) > maxCloseReason {
			url = ""
		}
		h.dropLocked(s, protocol.CloseWrongNode, url)
	}
	return len(moved)
}
