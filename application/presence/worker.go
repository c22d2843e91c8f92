package presence

import (
	"context"
	"fmt"
	"time"
)

// Wake is signalled when a status change waits to be written; the worker
// then calls Tick at once instead of at its next tick.
func (s *Service) Wake() <-chan struct{} { return s.wake }

// Restore takes over the users the store says this node owns while online:
// after a restart under the same node id they are tracked again as if they
// had just heartbeated, so those who reconnect within the timeout see no
// change and the others go offline when it passes. The worker calls it
// once, before its first Tick.
func (s *Service) Restore(ctx context.Context) (int, error) {
	ids, err := s.store.OwnedOnline(ctx, s.nodeID)
	if err != nil {
		return 0, fmt.Errorf("restore presence of node %s: %w", s.nodeID, err)
	}
	now := s.clock.Now()
	for _, id := range ids {
		s.trigger.Adopt(id, now)
	}
	return len(ids), nil
}

// Reannounce queues every user online here for reclaiming, for when this
// node finds that it looked dead to the cluster for a while (its liveness
// row went stale): a sweeper may have marked its users offline meanwhile.
// The store turns back online only the users stored as offline under this
// node, so users that moved to another node meanwhile stay with it.
func (s *Service) Reannounce() {
	if s.trigger.Reannounce(s.clock.Now()) > 0 {
		s.signal()
	}
}

// Tick takes offline the users whose timeout passed and writes every
// queued change. Changes that could not be written stay queued (unless a
// newer change of the same user came meanwhile) for the next Tick, so a
// database outage delays announcements but loses none.
func (s *Service) Tick(ctx context.Context) error {
	s.trigger.Expire(s.clock.Now())
	changes := s.trigger.TakeChanges(s.buf[:0])
	defer func() {
		clear(changes) // drop the user ids until the next batch
		s.buf = changes[:0]
	}()
	for start := 0; start < len(changes); start += flushBatch {
		batch := changes[start:min(start+flushBatch, len(changes))]
		for i := range batch {
			// The wire has millisecond precision; storing the same keeps
			// the stored time equal to the announced one.
			batch[i].LastEventAt = batch[i].LastEventAt.Truncate(time.Millisecond)
		}
		announced, err := s.store.Record(ctx, s.nodeID, batch)
		if err != nil {
			s.trigger.Requeue(changes[start:])
			return fmt.Errorf("record %d presence changes: %w", len(changes)-start, err)
		}
		for _, p := range announced {
			s.metrics.StatusChanged(p.Status)
		}
	}
	return nil
}

// Online reports how many users are online on this node, for metrics.
func (s *Service) Online() int { return s.trigger.Online() }
