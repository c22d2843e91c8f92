package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/chatd/chat/infrastructure/eventcodec"
	"github.com/chatd/chat/retry"

	"github.com/chatd/chat/domain"
)

// EventSink receives committed events from the relay, in outbox order, as
// the outbox stores them: encoded, with their routing read from the
// outbox's columns, so nothing is decoded only to be encoded again. It is
// the relay's port; the Kafka publisher implements it.
type EventSink interface {
	// DeliverRecords takes a batch of events. Returning nil means they are
	// safely handed on and may be forgotten; an error makes the relay
	// offer the same events again later (delivery is at least once).
	DeliverRecords(ctx context.Context, records []eventcodec.Record) error
}

// relayBackoff spaces the retries of a failing relay.
var relayBackoff = retry.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}

// Relay tuning. A batch is bounded so one transaction never holds many rows.
const (
	DefaultPollInterval = 200 * time.Millisecond
	relayBatchSize      = 500
	// relayHoldLimit bounds how long a relay keeps the lock while rows
	// keep coming, so a relay that pauses the others (a fault test, an
	// operator) gets it within that time.
	relayHoldLimit     = 250 * time.Millisecond
	relayUnlockTimeout = 5 * time.Second
	// relayLinger is how long a relay that emptied the outbox keeps the
	// lock and its session, waiting for the next commit. Under a steady
	// stream (a commit every few milliseconds) that saves taking the lock,
	// setting up the session and releasing both for every row.
	relayLinger = 20 * time.Millisecond
	// relayPace is the least time between two reads while rows keep
	// coming. Messages reach their recipients by the live path
	// (application/fanout.Live) as soon as they commit; this path is the
	// guarantee behind it, and the only one for the other events. Reading
	// every few milliseconds, as commits wake it, made batches of a few
	// rows and cost a database round trip, a broker request and a
	// consumer delivery for each: at 2,000 sends/s the relay's database
	// session alone took 0.21 cores (0.05 with the pace). Waiting up to
	// this long makes the batches several times larger for that much more
	// latency on this path.
	relayPace = 20 * time.Millisecond
	// relayBusyRetry is how soon a relay that found the lock taken tries
	// again: the holder may not read the rows this node just committed
	// before it lets go, and waiting for the next poll would delay them.
	relayBusyRetry = 25 * time.Millisecond
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
// is seq order; reading by id keeps it. Across processes, a relay delivers
// only while it holds the session advisory lock RelayLockID, on one
// connection kept for a short run of batches (relayHoldLimit), so two
// relays on one database never deliver at the same time. FOR UPDATE SKIP
// LOCKED would not do: a second relay would skip the first's rows and
// deliver later rows of the same channel before them. A relay that finds
// the lock taken simply waits for its next poll; a relay that dies closes
// its connection, which releases the lock at once. The same short hold
// makes a failover harmless: a round whose connection to the old primary
// died fails, and the retry takes the lock on the new one.
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
	edge := retry.NewEdge(r.logger, slog.LevelError, "outbox relay")
	for {
		more, busy, err := r.relay(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if !relayBackoff.Wait(ctx, edge.Fail(ctx, err)) {
				return nil
			}
			continue
		}
		edge.OK(ctx)
		if more {
			continue // rows may be waiting
		}
		if busy {
			if !retry.Sleep(ctx, relayBusyRetry) {
				return nil
			}
			continue
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
	ID     int64
	record eventcodec.Record
}

// relay takes the relay lock, if free, and delivers batches until the
// outbox stays empty for relayLinger or relayHoldLimit has passed (more
// reports the latter: rows may be waiting). busy reports that another
// relay held the lock.
func (r *OutboxRelay) relay(ctx context.Context) (more, busy bool, err error) {
	pool, err := r.db.system.DB()
	if err != nil {
		return false, false, fmt.Errorf("relay outbox: %w", err)
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return false, false, classify("relay outbox", err)
	}
	defer conn.Close()
	var locked bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", RelayLockID).Scan(&locked); err != nil {
		discardConn(conn)
		return false, false, classify("take relay lock", err)
	}
	if !locked {
		return false, true, nil // another relay is delivering
	}
	defer r.unlock(ctx, conn)
	more, err = r.relayHeld(ctx, conn)
	if err != nil {
		return false, false, classify("relay outbox", err)
	}
	return more, false, nil
}

// relayHeld delivers batches while the relay holds the lock. It reads
// the next batch while the sink publishes the current one, and deletes a
// batch's rows only once the sink accepted them, before handing over the
// next batch.
//
// The session commits asynchronously (synchronous_commit off): its only
// writes are those deletes, and a delete lost in a database crash only
// makes its rows go out again, which consumers drop as duplicates. That
// keeps a WAL flush (milliseconds on a busy disk) out of every cycle.
func (r *OutboxRelay) relayHeld(ctx context.Context, conn *sql.Conn) (more bool, err error) {
	if _, err := conn.ExecContext(ctx, "SET synchronous_commit TO off"); err != nil {
		return false, fmt.Errorf("relay session settings: %w", err)
	}
	deadline := time.Now().Add(relayHoldLimit)
	lastRead := time.Now()
	rows, err := r.read(ctx, conn, nil)
	for err == nil {
		if len(rows) == 0 {
			if !r.linger(ctx, deadline) {
				return false, nil
			}
			lastRead = time.Now()
			rows, err = r.read(ctx, conn, nil)
			continue
		}
		ids, records := r.routable(ctx, rows)
		delivered := make(chan error, 1)
		go func() { delivered <- r.deliver(ctx, records) }()
		var next []outboxRow
		if len(rows) < r.batchSize {
			r.pace(ctx, lastRead, deadline)
		}
		more = time.Now().After(deadline)
		if !more {
			lastRead = time.Now()
			next, err = r.read(ctx, conn, ids)
		}
		// Wait for the sink even if the read failed: nothing may run
		// behind this call's back once it returns.
		if deliverErr := <-delivered; deliverErr != nil {
			return false, deliverErr
		}
		if err != nil {
			return false, err
		}
		if _, err := conn.ExecContext(ctx, "DELETE FROM outbox WHERE id = ANY($1)", ids); err != nil {
			return false, fmt.Errorf("delete delivered outbox rows: %w", err)
		}
		if more {
			return true, nil
		}
		rows = next
	}
	return false, err
}

// pace waits until relayPace has passed since the last read, or until
// deadline or ctx ends, whichever comes first.
func (r *OutboxRelay) pace(ctx context.Context, lastRead, deadline time.Time) {
	wait := min(time.Until(lastRead.Add(relayPace)), time.Until(deadline))
	if wait > 0 {
		retry.Sleep(ctx, wait)
	}
}

// linger waits up to relayLinger, and not past deadline, for a commit to
// wake the relay; false when none did.
func (r *OutboxRelay) linger(ctx context.Context, deadline time.Time) bool {
	d := min(relayLinger, time.Until(deadline))
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-r.db.outboxWake:
		return true
	case <-t.C:
		return false
	}
}

func (r *OutboxRelay) deliver(ctx context.Context, records []eventcodec.Record) error {
	if len(records) == 0 {
		return nil
	}
	if err := r.sink.DeliverRecords(ctx, records); err != nil {
		return fmt.Errorf("deliver %d events: %w", len(records), err)
	}
	return nil
}

// read returns the next batch of rows in id order, leaving out the rows
// of inFlight (the batch being delivered, not yet deleted). It reads from
// the lowest id, not after the last one delivered: a row with a lower id
// may have committed since, and a later row of its channel cannot have
// committed before it (see OutboxRelay). The rows to leave out are
// filtered here rather than in SQL, where a filter on a parameter list
// made the planner give up the primary key's order.
func (r *OutboxRelay) read(ctx context.Context, conn *sql.Conn, inFlight []int64) ([]outboxRow, error) {
	result, err := conn.QueryContext(ctx, `SELECT id, event, coalesce(event->>'type', ''),
		coalesce(channel_id::text, ''), coalesce(actor_id, '') FROM outbox ORDER BY id LIMIT $1`, r.batchSize+len(inFlight))
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer result.Close()
	var rows []outboxRow
	for result.Next() && len(rows) < r.batchSize {
		var row outboxRow
		if err := result.Scan(&row.ID, &row.record.Data, &row.record.Type, &row.record.ChannelID, &row.record.UserID); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		if !slices.Contains(inFlight, row.ID) {
			rows = append(rows, row)
		}
	}
	if err := result.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return rows, nil
}

// routable returns the ids of rows, to delete once delivered, and the
// records of those that can be routed: a type, and a channel (or, for a
// presence change, which has none, the user). No retry can fix a row
// without them; holding it would stop every later event, so it is logged
// whole and dropped. The JSON itself is not parsed: the consumers decode
// it (and report a row that does not decode).
func (r *OutboxRelay) routable(ctx context.Context, rows []outboxRow) ([]int64, []eventcodec.Record) {
	ids := make([]int64, 0, len(rows))
	records := make([]eventcodec.Record, 0, len(rows))
	for _, row := range rows {
		ids = append(ids, row.ID)
		rec := row.record
		if rec.Type == "" || (rec.ChannelID == "" && (rec.Type != domain.EventPresenceChanged || rec.UserID == "")) {
			r.logger.ErrorContext(ctx, "dropping an outbox row that names no type, channel or user",
				slog.Int64("id", row.ID), slog.String("event", string(rec.Data)))
			continue
		}
		records = append(records, rec)
	}
	return ids, records
}

// unlock restores the session's commit setting and releases the relay
// lock before conn goes back to the pool. If that fails, the connection
// is closed instead: both are the session's, and must not outlive this
// relay round in an idle pooled connection.
func (r *OutboxRelay) unlock(ctx context.Context, conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), relayUnlockTimeout)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "RESET synchronous_commit"); err != nil {
		discardConn(conn)
		return
	}
	var released bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", RelayLockID).Scan(&released); err != nil || !released {
		discardConn(conn)
	}
}

// discardConn makes database/sql close conn instead of pooling it.
func discardConn(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
