package presence

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chat/domain"
)

// MaxLookupIDs bounds one get_presence.
const MaxLookupIDs = 100

// flushBatch bounds the changes written in one transaction.
const flushBatch = 256

// ErrOtherUser refuses a heartbeat that names another user than the
// authenticated one.
var ErrOtherUser = &domain.Error{Kind: domain.KindForbidden, Message: "a heartbeat may only be sent for the authenticated user"}

// Config is what the presence use cases need to know about this node.
type Config struct {
	// NodeID is written as the owner of the users that go online here.
	NodeID string
}

// Service is the presence use cases of one gateway node. Heartbeat and
// Presences serve connections concurrently; Tick and Restore belong to the
// node's single presence worker, which is the only writer of changes, so
// the changes of one user are written in the order they happened.
type Service struct {
	store   Store
	trigger Trigger
	clock   Clock
	metrics Metrics
	nodeID  string
	// wake is signalled (without blocking) when a change is queued, so the
	// worker writes it at once instead of at its next tick.
	wake chan struct{}
	buf  []Change // the worker's reusable batch
}

// NewService builds the presence use cases. metrics may be nil.
func NewService(store Store, trigger Trigger, clock Clock, metrics Metrics, cfg Config) *Service {
	if metrics == nil {
		metrics = noMetrics{}
	}
	return &Service{store: store, trigger: trigger, clock: clock, metrics: metrics,
		nodeID: cfg.NodeID, wake: make(chan struct{}, 1)}
}

// HeartbeatInput is what a client sends in a heartbeat. An empty UserID
// means the authenticated user.
type HeartbeatInput struct {
	UserID string
	Status string
}

// Heartbeat applies one heartbeat of the actor's session and
// returns the server time for the acknowledgement. It never waits for the
// database: a status change is queued for the worker, and a heartbeat that
// changes nothing costs a few map operations.
func (s *Service) Heartbeat(ctx context.Context, actor domain.Actor, in HeartbeatInput) (time.Time, error) {
	if in.UserID != "" && in.UserID != actor.UserID {
		return time.Time{}, ErrOtherUser
	}
	status, err := domain.ParsePresenceStatus(in.Status)
	if err != nil {
		return time.Time{}, err
	}
	now := s.clock.Now()
	s.metrics.HeartbeatReceived()
	var changed bool
	if status == domain.PresenceOnline {
		changed = s.trigger.Beat(actor.UserID, actor.SessionID, now)
	} else {
		changed = s.trigger.Leave(actor.UserID, actor.SessionID, now)
	}
	if changed {
		s.signal()
	}
	return now, nil
}

// Presences answers get_presence: one entry per distinct id, in the order
// asked. Users the actor may not see and users never seen are offline with
// a zero LastEventAt, so the answer does not tell a stranger from a user
// who does not exist.
func (s *Service) Presences(ctx context.Context, actorID string, ids []string) ([]domain.UserPresence, error) {
	if len(ids) > MaxLookupIDs {
		return nil, domain.Errorf(domain.KindValidation, "at most %d user ids per request", MaxLookupIDs)
	}
	unique := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	if len(unique) == 0 {
		return []domain.UserPresence{}, nil
	}
	stored, err := s.store.Presences(ctx, actorID, unique)
	if err != nil {
		return nil, fmt.Errorf("presence of %d users: %w", len(unique), err)
	}
	byID := make(map[string]domain.UserPresence, len(stored))
	for _, p := range stored {
		byID[p.UserID] = p
	}
	out := make([]domain.UserPresence, 0, len(unique))
	for _, id := range unique {
		p, ok := byID[id]
		if !ok {
			p = domain.UserPresence{UserID: id, Status: domain.PresenceOffline}
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

type noMetrics struct{}

func (noMetrics) HeartbeatReceived()                    {}
func (noMetrics) StatusChanged(_ domain.PresenceStatus) {}
