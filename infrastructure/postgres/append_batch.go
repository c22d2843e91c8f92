package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
)

// Group commit of the send path. Every send used to be its own transaction,
// and what a transaction costs beyond the send's own statements (the round
// trip, the snapshot, the commit and its WAL flush) was most of the
// database's work; worse, a sender holds its channel's row lock until its
// commit is flushed, so one busy channel took at most one fsync's worth of
// messages a second. Each lane (appendLanes) runs one call at a time; the
// sends that arrive meanwhile wait and go together in the next call of
// chat_append_messages (migration 00009): one transaction and a fixed
// number of statements for the whole batch.
//
// Under light load nothing waits: a send finds a free slot and runs alone,
// as before, so batching adds no latency; it appears only when sends queue
// anyway. No goroutine runs while nothing is sent: the caller that takes a
// free slot runs the batch, and a batch that leaves others waiting hands
// the slot to a new goroutine for them.
const (
	// appendLaneCount is how many send transactions run at once (see
	// appendLanes). Fewer make larger batches, and a batch costs the
	// database little more than one send; more than one keep a batch
	// committing (waiting for its WAL flush) while another runs. Measured
	// with chatbench direct (250 pairs, embedded mode, 2 cores), at
	// saturation: 2 lanes 4,733 to 5,952 sends/s, 4 lanes 4,957 and
	// 5,332/s but a worse p99 at 2,500/s (smaller batches, more
	// transactions), and two slots shared by all channels (before lanes)
	// 3,782 to 5,057/s, their batches waiting on each other's row locks.
	// One transaction per send saturated near 1,900/s.
	appendLaneCount = 2
	// appendMaxBatch bounds one transaction, so a backlog cannot make one
	// commit (and the row locks it holds) arbitrarily long. With two shared
	// slots, 128 sustained 5,057 sends/s where 64 reached 4,649/s; 256 was
	// no better than 128.
	appendMaxBatch = 128
	// appendMaxPending bounds the sends waiting in one lane behind the
	// batch in flight: eight full batches, about 0.4 s of work at the
	// measured 5,000 sends/s of two lanes. Past it a send is refused at
	// once (unavailable, retry after appendRetryAfter) instead of waiting
	// seconds in a queue that only grows, so what is accepted keeps its
	// latency (docs/performance.md, admission control).
	appendMaxPending = 8 * appendMaxBatch
	// appendMaxWait bounds how long the oldest send waiting in a lane may
	// have waited when a new one arrives; past it the new one is refused
	// like a full lane's. The count above assumes a lane's drain rate, and
	// with more shards (more lanes on the same cores) each lane drains
	// slower: on three shards at saturation the count let sends queue for
	// most of a second (p99 send to answer 1.2 to 1.4 s). A wait is what a
	// sender feels whatever the rate, so this bound holds on any number of
	// shards (0.7 s at p99 in two of three such runs, docs/performance.md). It is
	// above the database's stalls at moderate load (100 to 250 ms), so
	// those delay sends rather than refuse them: at 200 ms a group run at
	// 2,000 sends/s had 4 refused.
	appendMaxWait = 300 * time.Millisecond
	// appendRetryAfter is the hint given with such a refusal: about the
	// time a full lane takes to drain.
	appendRetryAfter = 200 * time.Millisecond
	// appendTimeout bounds one batch. A batch serves many callers, so it
	// must not end with one caller's context; a database that does not
	// answer within this long is treated as unavailable.
	appendTimeout = 30 * time.Second
)

// errSendsOverloaded refuses a send when its lane is full.
var errSendsOverloaded = domain.Overloaded(appendRetryAfter, "too many sends waiting to be stored; retry with the same ids")

// appendCall is one send waiting for its batch.
type appendCall struct {
	actor, channel, clientMessageID, body, status string
	// proof proves actor to chat_append_messages (see actorProof); origin
	// is the session that sent, written into the message's event.
	proof, origin string
	// ordered, if set, is called once the call is queued in its lane,
	// behind every earlier call of the lane (so of its channel).
	ordered func()
	// queued is when the call began to wait in its lane's pending list.
	queued time.Time
	// done receives the outcome exactly once; buffered, so a batch never
	// waits for a caller that stopped waiting.
	done chan appendOutcome
}

// appendOutcome is chat_append_messages' answer for one send.
type appendOutcome struct {
	status              string
	id, body, msgStatus sql.NullString
	seq                 sql.NullInt64
	createdAt           sql.NullTime
	// memberVersion is the channel's membership version at the commit
	// (migration 00013).
	memberVersion sql.NullInt64
	err           error
}

type appendBatcher struct {
	pool   *sql.DB
	logger *slog.Logger
	// stored is called after a batch that stored at least one message
	// committed (the relay's wake-up).
	stored func()
	// sizes records how many sends each transaction held, which shows
	// whether the database is keeping up (1s) or sends queue (larger).
	sizes prometheus.Histogram
	// onBatch is called with each batch's size before it runs; tests
	// replace it to see how sends were grouped.
	onBatch func(n int)
	// now is the clock of the wait bound (time.Now; tests set their own).
	now func() time.Time

	mu sync.Mutex
	// busy is true while this batcher's one transaction is in flight;
	// sends that arrive meanwhile wait in pending for the next one.
	busy    bool
	pending []*appendCall
}

func newAppendBatcher(pool *sql.DB, logger *slog.Logger, stored func(), sizes prometheus.Histogram) *appendBatcher {
	b := &appendBatcher{pool: pool, logger: logger, stored: stored, sizes: sizes, now: time.Now}
	b.onBatch = func(n int) { b.sizes.Observe(float64(n)) }
	return b
}

func newBatchSizes() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "chatd_send_batch_size",
		Help:    "Sends stored together in one database transaction (group commit).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 8), // 1 .. 128 = appendMaxBatch
	})
}

// appendLanes splits the send path into lanes by channel, each a batcher
// with one transaction in flight. Two batches in flight at once used to
// share channels (a direct chat's two senders, a busy group), and the
// second then waited on the first's row locks until its commit: the two
// slots mostly ran one after the other. Lanes never share a channel, so
// their transactions never wait for each other, and a channel's sends
// still go through one queue in arrival order.
type appendLanes struct {
	lanes []*appendBatcher
	sizes prometheus.Histogram
}

func newAppendLanes(pool *sql.DB, logger *slog.Logger, stored func(), sizes prometheus.Histogram) *appendLanes {
	l := &appendLanes{sizes: sizes}
	for range appendLaneCount {
		l.lanes = append(l.lanes, newAppendBatcher(pool, logger, stored, l.sizes))
	}
	return l
}

// lane returns the batcher of channel's lane.
func (l *appendLanes) lane(channel string) *appendBatcher {
	h := fnv.New32a()
	_, _ = h.Write([]byte(channel))
	return l.lanes[h.Sum32()%uint32(len(l.lanes))]
}

func (l *appendLanes) append(ctx context.Context, c *appendCall) (appendOutcome, error) {
	return l.lane(c.channel).append(ctx, c)
}

// append stores one send, alone or with others, and returns its outcome
// once the transaction that holds it has committed (or failed).
func (b *appendBatcher) append(ctx context.Context, c *appendCall) (appendOutcome, error) {
	c.done = make(chan appendOutcome, 1)
	b.mu.Lock()
	if !b.busy {
		b.busy = true
		batch := b.takeLocked([]*appendCall{c})
		b.mu.Unlock()
		c.markOrdered()
		b.run(context.WithoutCancel(ctx), batch)
	} else {
		c.queued = b.now()
		if b.fullLocked(c.queued) {
			b.mu.Unlock()
			return appendOutcome{}, errSendsOverloaded
		}
		b.pending = append(b.pending, c)
		b.mu.Unlock()
		c.markOrdered()
	}
	select {
	case out := <-c.done:
		return out, out.err
	case <-ctx.Done():
		// The send may still commit; a retry with the same client
		// message id then finds it.
		return appendOutcome{}, fmt.Errorf("wait for the send's batch: %w", ctx.Err())
	}
}

// fullLocked reports whether the lane refuses a send arriving at now to
// wait behind its pending sends: too many wait, or the oldest has waited
// too long.
func (b *appendBatcher) fullLocked(now time.Time) bool {
	return len(b.pending) >= appendMaxPending ||
		len(b.pending) > 0 && now.Sub(b.pending[0].queued) > appendMaxWait
}

// markOrdered tells the caller that c holds its place in its lane.
func (c *appendCall) markOrdered() {
	if c.ordered != nil {
		c.ordered()
	}
}

// takeLocked moves waiting sends into batch, up to appendMaxBatch, oldest
// first.
func (b *appendBatcher) takeLocked(batch []*appendCall) []*appendCall {
	n := min(len(b.pending), appendMaxBatch-len(batch))
	batch = append(batch, b.pending[:n]...)
	clear(b.pending[:n])
	b.pending = b.pending[n:]
	if len(b.pending) == 0 {
		b.pending = nil // let a large backlog's array go
	}
	return batch
}

// run stores batch, then runs the sends that queued meanwhile as the next
// batch, or marks the batcher idle.
func (b *appendBatcher) run(ctx context.Context, batch []*appendCall) {
	b.store(ctx, batch)
	b.mu.Lock()
	if len(b.pending) == 0 {
		b.busy = false
		b.mu.Unlock()
		return
	}
	next := b.takeLocked(nil)
	b.mu.Unlock()
	go b.run(ctx, next)
}

// store runs one transaction for batch and answers every call in it.
func (b *appendBatcher) store(ctx context.Context, batch []*appendCall) {
	b.onBatch(len(batch))
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	outs, err := b.storeMany(ctx, batch)
	if err != nil {
		outs = make([]appendOutcome, len(batch))
		if len(batch) == 1 {
			outs[0].err = err
		} else {
			// Handled here: the batch stored nothing, so each send is
			// retried alone, and only a send that fails alone fails.
			b.logger.Warn("a batch of sends failed; retrying each alone", "sends", len(batch), "err", err)
			for i := range batch {
				one, err := b.storeMany(ctx, batch[i:i+1])
				if err != nil {
					outs[i].err = err
					continue
				}
				outs[i] = one[0]
			}
		}
	}
	for _, out := range outs {
		if out.err == nil && out.status == "stored" {
			b.stored()
			break
		}
	}
	for i, c := range batch {
		c.done <- outs[i]
	}
}

// storeMany stores batch with one call of chat_append_messages, which is
// its own transaction, and returns the outcome of each send in order.
func (b *appendBatcher) storeMany(ctx context.Context, batch []*appendCall) ([]appendOutcome, error) {
	n := len(batch)
	actors, proofs, channels, clientIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	bodies, statuses, origins := make([]string, n), make([]string, n), make([]string, n)
	for i, c := range batch {
		actors[i], proofs[i], channels[i], clientIDs[i] = c.actor, c.proof, c.channel, c.clientMessageID
		bodies[i], statuses[i], origins[i] = c.body, c.status, c.origin
	}
	rows, err := b.pool.QueryContext(ctx,
		"SELECT * FROM chat_append_messages($1::text[], $2::text[], $3::text[]::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])",
		actors, proofs, channels, clientIDs, bodies, statuses, origins)
	if err != nil {
		return nil, fmt.Errorf("append %d messages: %w", n, err)
	}
	defer rows.Close()
	outs := make([]appendOutcome, n)
	answered := make([]bool, n)
	for rows.Next() {
		var idx int
		var out appendOutcome
		if err := rows.Scan(&idx, &out.status, &out.id, &out.seq, &out.body, &out.msgStatus, &out.createdAt, &out.memberVersion); err != nil {
			return nil, fmt.Errorf("read the outcome of a batched send: %w", err)
		}
		if idx < 1 || idx > n || answered[idx-1] {
			return nil, fmt.Errorf("batched send outcome for item %d of %d, or twice", idx, n)
		}
		outs[idx-1], answered[idx-1] = out, true
	}
	// The commit happens as the statement completes; its error (and a
	// failed commit's) surfaces here.
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("append %d messages: %w", n, err)
	}
	for i, ok := range answered {
		if !ok {
			return nil, fmt.Errorf("batched send %d of %d has no outcome", i+1, n)
		}
	}
	return outs, nil
}
