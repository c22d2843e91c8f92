package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/chatd/chat/infrastructure/eventcodec"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// EventSink receives committed events from the relay, in outbox order. It is
// the relay's port: in one process it hands events to the gateway; later a
// broker producer takes its place.
type EventSink interface {
	// Deliver takes a batch of events. Returning nil means they are safely
	// handed on and may be forgotten; an error makes the relay offer the
	// same events again later (delivery is at least once).
	Deliver(ctx context.Context, events []domain.Event) error
}

// Relay tuning. A batch is bounded so one transaction never holds many rows;
// failures back off exponentially between the two bounds.
const (
	DefaultPollInterval = 200 * time.Millisecond
	relayBatchSize      = 500
	relayMinBackoff     = 100 * time.Millisecond
	relayMaxBackoff     = 5 * time.Second
)

// RelayLockID keys the advisory lock that makes one relay at a time deliver
// from a database. Whoever holds it pauses publishing for every node on
// that database (committed events wait in the outbox): fault tests use
// that to stop the relays between commit and publish.
const RelayLockID int64 = 0x63686174_72656c79 // "chatrely"

// OutboxRelay publishes the outbox: it reads committed events in id order,
// hands them to the sink, and deletes them only once the sink accepted them,
// so a crash at any point loses nothing (it may repeat a batch).
//
// Order: ChatStore writes every outbox row of a channel under that
// channel's row lock, so within a channel ids grow in commit order, which
// is seq order; reading by id keeps it. Across processes, each batch runs
// in a transaction holding pg_try_advisory_xact_lock, so two relays on one
// database never deliver at the same time. FOR UPDATE SKIP LOCKED would not
// do: a second relay would skip the first's rows and deliver later rows of
// the same channel before them. A relay that finds the lock taken simply
// waits for its next poll; the lock ends with the transaction, so a relay
// that dies releases it at once.
type OutboxRelay struct {
	db           *DB
	sink         EventSink
	logger       *slog.Logger
	pollInterval time.Duration
	batchSize    int
}

// NewOutboxRelay builds a relay for db. pollInterval (DefaultPollInterval
// when zero) is how often it looks for rows nobody woke it for, such as
// rows left by a process that crashed after committing.
func NewOutboxRelay(db *DB, sink EventSink, logger *slog.Logger, pollInterval time.Duration) *OutboxRelay {
	if pollInterval <= 0 {
		pollInterval = DefaultPollInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &OutboxRelay{
		db:           db,
		sink:         sink,
		logger:       logger.With(slog.String("component", "outbox_relay")),
		pollInterval: pollInterval,
		batchSize:    relayBatchSize,
	}
}

// Run delivers until ctx is done, then returns nil. It relays at once on
// start, again right after every ChatStore commit that wrote events, and
// every poll interval. A failure is logged when it starts and when it
// ends, not on every retry, and retried with exponential backoff.
func (r *OutboxRelay) Run(ctx context.Context) error {
	ticker := time.NewTicker(r.pollInterval)
	defer ticker.Stop()
	failures := 0
	for {
		n, err := r.relayBatch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			if failures == 1 {
				r.logger.ErrorContext(ctx, "outbox relay failed; retrying with backoff", slog.Any("error", err))
			}
			if !wait(ctx, backoff(failures)) {
				return nil
			}
			continue
		}
		if failures > 0 {
			r.logger.InfoContext(ctx, "outbox relay recovered", slog.Int("failedAttempts", failures))
			failures = 0
		}
		if n == r.batchSize {
			continue // more rows are waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.db.outboxWake:
		case <-ticker.C:
		}
	}
}

type outboxRow struct {
	ID    int64  `gorm:"column:id"`
	Event []byte `gorm:"column:event"`
}

// relayBatch delivers one batch and reports how many rows it consumed.
func (r *OutboxRelay) relayBatch(ctx context.Context) (int, error) {
	n := 0
	err := r.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		var locked bool
		if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", RelayLockID).Scan(&locked).Error; err != nil {
			return fmt.Errorf("take relay lock: %w", err)
		}
		if !locked {
			return nil // another relay is delivering
		}
		var rows []outboxRow
		if err := tx.Raw("SELECT id, event FROM outbox ORDER BY id LIMIT ?", r.batchSize).Scan(&rows).Error; err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, 0, len(rows))
		events := make([]domain.Event, 0, len(rows))
		for _, row := range rows {
			ids = append(ids, row.ID)
			e, err := eventcodec.DecodeEvent(row.Event)
			if err != nil {
				// No retry can fix a row that does not decode; holding it
				// would stop every later event. Log it whole and drop it.
				r.logger.ErrorContext(ctx, "dropping undecodable outbox row",
					slog.Int64("id", row.ID), slog.String("event", string(row.Event)), slog.Any("error", err))
				continue
			}
			events = append(events, e)
		}
		if len(events) > 0 {
			if err := r.sink.Deliver(ctx, events); err != nil {
				return fmt.Errorf("deliver %d events: %w", len(events), err)
			}
		}
		if err := tx.Exec("DELETE FROM outbox WHERE id IN ?", ids).Error; err != nil {
			return fmt.Errorf("delete delivered outbox rows: %w", err)
		}
		n = len(rows)
		return nil
	})
	if err != nil {
		return 0, classify("relay outbox", err)
	}
	return n, nil
}

func backoff(failures int) time.Duration {
	d := relayMinBackoff
	for i := 1; i < failures && d < relayMaxBackoff; i++ {
		d *= 2
	}
	return min(d, relayMaxBackoff)
}

// wait pauses the retry loop for d, or until ctx is done (reported false).
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
