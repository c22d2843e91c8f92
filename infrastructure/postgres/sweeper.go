package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/retry"
)

// sweeperLockID keys the advisory lock that lets one sweeper at a time act
// on a database.
const sweeperLockID int64 = 0x63686174_73776570 // "chatswep"

// sweepBatch bounds the users one sweep transaction marks offline.
const sweepBatch = 500

// PresenceSweeper is the crash cleanup of presence (the cleanup fallback of
// product design §3 in docs/architecture.md):
// it marks offline, and announces, the users still online under a node
// that has not beaten for longer than the grace period, or under a node
// with no row at all. Users that came back on another node carry that
// node's id by then and are left alone. Every node runs one; each batch
// runs in a transaction holding pg_try_advisory_xact_lock, so only one
// sweeper acts at a time and a sweeper that dies releases the lock at once.
type PresenceSweeper struct {
	db       *DB
	grace    time.Duration
	interval time.Duration
	onSwept  func(n int)
	logger   *slog.Logger
}

// NewPresenceSweeper builds a sweeper that runs every interval and presumes
// dead a node silent for longer than grace. onSwept (if not nil) learns
// how many users each sweep took offline, for metrics.
func NewPresenceSweeper(db *DB, grace, interval time.Duration, onSwept func(n int), logger *slog.Logger) *PresenceSweeper {
	if grace <= 0 {
		grace = DefaultNodeGrace
	}
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &PresenceSweeper{db: db, grace: grace, interval: interval, onSwept: onSwept,
		logger: logger.With(slog.String("component", "presence_sweeper"))}
}

// Run sweeps every interval until ctx ends. Failures are logged once until
// the next success and retried at the next interval.
func (s *PresenceSweeper) Run(ctx context.Context) error {
	edge := retry.NewEdge(s.logger, slog.LevelError, "presence sweep")
	return retry.Every(ctx, s.interval, edge, func(ctx context.Context) error {
		n, _, err := s.Sweep(ctx)
		if n > 0 {
			s.logger.InfoContext(ctx, "marked the users of dead nodes offline", slog.Int("users", n))
		}
		return err
	})
}

// Sweep marks offline the users of dead nodes, a batch per transaction,
// then forgets the dead nodes that own nobody any more. It reports how
// many users it took offline and whether it acted at all: false when
// another sweeper held the lock.
func (s *PresenceSweeper) Sweep(ctx context.Context) (swept int, acted bool, err error) {
	for {
		n, locked, err := s.sweepBatch(ctx)
		swept += n
		if s.onSwept != nil && n > 0 {
			s.onSwept(n)
		}
		if err != nil {
			return swept, acted, err
		}
		if !locked {
			return swept, acted, nil
		}
		acted = true
		if n < sweepBatch {
			return swept, acted, nil
		}
	}
}

func (s *PresenceSweeper) sweepBatch(ctx context.Context) (swept int, locked bool, err error) {
	var announced []domain.UserPresence
	err = s.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		announced = announced[:0]
		if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", sweeperLockID).Scan(&locked).Error; err != nil {
			return fmt.Errorf("take sweeper lock: %w", err)
		}
		if !locked {
			return nil
		}
		dead, err := deadOwners(tx, s.grace)
		if err != nil || len(dead) == 0 {
			return err
		}
		// The outer conditions are checked again on each row as locked, so
		// a user taken over by a live node meanwhile is skipped.
		var rows []presenceRow
		err = tx.Raw(`UPDATE user_presences p
			   SET status = 'offline',
			       last_event_at = GREATEST(date_trunc('milliseconds', clock_timestamp()), p.last_event_at)
			 WHERE p.status = 'online' AND p.node_id = ANY (?::text[])
			   AND p.user_id IN (SELECT user_id FROM user_presences
			                      WHERE status = 'online' AND node_id = ANY (?::text[])
			                      ORDER BY node_id, user_id LIMIT ?)
			RETURNING p.user_id, p.status, p.last_event_at`,
			textArray(dead), textArray(dead), sweepBatch).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("mark the users of %d dead nodes offline: %w", len(dead), err)
		}
		for _, r := range rows {
			announced = append(announced, r.domain())
		}
		if err := announcePresence(tx, announced); err != nil {
			return err
		}
		if len(rows) < sweepBatch {
			err = tx.Exec(`DELETE FROM nodes n
				WHERE n.node_id = ANY (?::text[]) AND n.heartbeat_at < now() - make_interval(secs => ?)
				  AND NOT EXISTS (SELECT 1 FROM user_presences p WHERE p.status = 'online' AND p.node_id = n.node_id)`,
				textArray(dead), s.grace.Seconds()).Error
			if err != nil {
				return fmt.Errorf("forget dead nodes: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, false, classify("sweep presence", err)
	}
	if len(announced) > 0 {
		s.db.wakeRelay()
	}
	return len(announced), locked, nil
}

// deadOwners lists the nodes silent for longer than grace that own online
// users, plus the owners with no row in nodes (a node registers before it
// owns anyone, so such an owner is gone), and the dead nodes that own
// nobody, whose rows are then deleted. The owners are found with a loose
// index scan of the online users' partial index: one probe per owning
// node, however many users are online.
func deadOwners(tx *gorm.DB, grace time.Duration) ([]string, error) {
	var dead []string
	err := tx.Raw(`WITH RECURSIVE owners AS (
		    (SELECT node_id FROM user_presences WHERE status = 'online' AND node_id IS NOT NULL
		      ORDER BY node_id LIMIT 1)
		    UNION ALL
		    SELECT (SELECT p.node_id FROM user_presences p
		             WHERE p.status = 'online' AND p.node_id > o.node_id ORDER BY p.node_id LIMIT 1)
		      FROM owners o WHERE o.node_id IS NOT NULL)
		SELECT node_id FROM owners o
		 WHERE o.node_id IS NOT NULL
		   AND NOT EXISTS (SELECT 1 FROM nodes n
		                    WHERE n.node_id = o.node_id AND n.heartbeat_at >= now() - make_interval(secs => ?))
		UNION
		SELECT node_id FROM nodes WHERE heartbeat_at < now() - make_interval(secs => ?)`,
		grace.Seconds(), grace.Seconds()).Scan(&dead).Error
	if err != nil {
		return nil, fmt.Errorf("find dead nodes: %w", err)
	}
	return dead, nil
}
