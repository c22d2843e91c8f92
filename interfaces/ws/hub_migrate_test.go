package ws

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

// movableRing places users by a table a test can change.
type movableRing struct {
	mu      sync.Mutex
	owners  map[string]string
	changed chan struct{}
}

func newMovableRing(owners map[string]string) *movableRing {
	return &movableRing{owners: owners, changed: make(chan struct{})}
}

func (r *movableRing) OwnerOf(userID string) (string, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	owner := r.owners[userID]
	return owner, "ws://" + owner + "/ws"
}

func (r *movableRing) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

func (r *movableRing) move(userID, owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.owners[userID] = owner
	close(r.changed)
	r.changed = make(chan struct{})
}

func TestMigratorClosesMovedUsersAfterTheGrace(t *testing.T) {
	h := quietHub()
	ring := newMovableRing(map[string]string{"stays": "n1", "moves": "n1"})
	stays := join(t, h, "stays", 8)
	moves := join(t, h, "moves", 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := NewMigrator(h, ring, "n1", time.Millisecond, nil)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	ring.move("moves", "n2")
	select {
	case <-moves.conn.Closing():
	case <-time.After(10 * time.Second):
		t.Fatal("the moved user's connection is still open")
	}
	h.sessionCount("stays") // the sweep holds the hub until it is done
	if code, reason := moves.closeStatus(); code != protocol.CloseWrongNode || reason != "ws://n2/ws" {
		t.Errorf("moved user closed with %d %q, want 4010 and the new owner's URL", code, reason)
	}
	select {
	case <-stays.conn.Closing():
		t.Error("the connection of a user who stayed was closed")
	default:
	}
	if h.sessionCount("moves") != 0 || h.sessionCount("stays") != 1 {
		t.Error("the hub still routes to the moved user, or no longer to the one who stayed")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCloseUnownedLeavesOutAnOverlongURL(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u", 8)
	long := make([]byte, maxCloseReason+1)
	for i := range long {
		long[i] = 'x'
	}
	ring := newMovableRing(map[string]string{"u": string(long)})
	if n := h.closeUnowned(ring, "n1"); n != 1 {
		t.Fatalf("closed %d sessions, want 1", n)
	}
	if code, reason := s.closeStatus(); code != protocol.CloseWrongNode || reason != "" {
		t.Errorf("closed with %d %q, want 4010 and no reason", code, reason)
	}
}

func TestMigratorEndGraceClosesMovedUsersAtOnce(t *testing.T) {
	h := quietHub()
	ring := newMovableRing(map[string]string{"stays": "n1", "moves": "n1"})
	stays := join(t, h, "stays", 8)
	moves := join(t, h, "moves", 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := NewMigrator(h, ring, "n1", time.Hour, nil)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	ring.move("moves", "n2")
	m.EndGrace()
	select {
	case <-moves.conn.Closing():
	case <-time.After(10 * time.Second):
		t.Fatal("the moved user's connection is still open after EndGrace; the hour's grace should not matter")
	}
	h.sessionCount("stays") // the sweep holds the hub until it is done
	if code, reason := moves.closeStatus(); code != protocol.CloseWrongNode || reason != "ws://n2/ws" {
		t.Errorf("close = %d %q, want 4010 with the new owner's URL", code, reason)
	}
	if h.sessionCount("stays") != 1 {
		t.Error("a user that did not move was closed")
	}
	select {
	case <-stays.conn.Closing():
		t.Error("the staying user's connection is closing")
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
