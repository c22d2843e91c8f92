package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chatd/chat/retry"
)

// moverLockID keys the advisory lock that lets one mover at a time work
// on a deployment, whichever node runs it.
const moverLockID int64 = 0x63686174_6d6f7665 // "chatmove"

// Mover tuning.
const (
	// moveConcurrency is how many channels move at once: enough to finish
	// a shard's share in minutes, few enough that the shards' other work
	// goes on.
	moveConcurrency = 4
	// scanBatch is how many index rows one planning query reads.
	scanBatch = 1000
	// drainTimeout bounds the wait for a fenced channel's outbox to be
	// published; past it the move is undone and tried again later.
	drainTimeout = 10 * time.Second
	moverIdle    = time.Second
)

// moverBackoff spaces the rounds of a failing mover.
var moverBackoff = retry.Backoff{Min: time.Second, Max: 30 * time.Second}

// ShardMover moves every channel whose owner on the shard ring is not the
// shard that holds it: after a shard joins (it takes about 1/N of every
// other shard's channels), is drained (it gives all of its own away), or
// changes weight. Each node runs one; the one holding the directory's
// advisory lock works, the others wait for it.
//
// A move, per channel, journalled in the directory's shard_moves:
//
//  1. fence the channel on the shard it leaves (channels.fenced): from now
//     on that copy takes no change, and the store makes sends wait;
//  2. wait until the relay has published the channel's outbox rows there,
//     so its events reach Kafka in order, the old shard's before the new;
//  3. copy the channel, its members with their read positions and its
//     messages to the new shard (replacing an earlier partial copy);
//  4. switch: the directory's index points at the new shard and the fence
//     is lifted (waiting sends go there), journal marked switched;
//  5. delete the old copy, then the journal row.
//
// A mover killed anywhere resumes from the journal: before 4 it redoes
// the move from 1, after 4 it finishes 5. Until 4 the old copy is the
// channel; after 4 the new one is, and the fenced old copy takes nothing.
type ShardMover struct {
	shards *Shards
	logger *slog.Logger
	stats  moveStats
}

// NewShardMover returns the mover of the shards.
func NewShardMover(shards *Shards, logger *slog.Logger) *ShardMover {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &ShardMover{shards: shards, logger: logger.With(slog.String("component", "shard_mover"))}
}

// Run keeps the channels where the ring says until ctx ends: it reads the
// map, takes the mover lock when free, finishes journalled moves, then
// moves the misplaced channels.
func (m *ShardMover) Run(ctx context.Context) error {
	edge := retry.NewEdge(m.logger, slog.LevelError, "shard mover")
	for {
		moved, err := m.Round(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if !moverBackoff.Wait(ctx, edge.Fail(ctx, err)) {
				return nil
			}
			continue
		}
		edge.OK(ctx)
		if moved == 0 && !retry.Sleep(ctx, moverIdle) {
			return nil
		}
	}
}

// Round does one pass under the mover lock and reports how many channels
// it moved; 0 without the lock.
func (m *ShardMover) Round(ctx context.Context) (int, error) {
	if err := m.shards.Refresh(ctx); err != nil {
		return 0, err
	}
	conn, err := m.shards.dir.systemSQL.Conn(ctx)
	if err != nil {
		return 0, classify("connect for the mover lock", err)
	}
	defer conn.Close()
	var locked bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", moverLockID).Scan(&locked); err != nil || !locked {
		return 0, classify("take the mover lock", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", moverLockID)
	if err := m.resume(ctx); err != nil {
		return 0, err
	}
	moved, err := m.rebalance(ctx)
	if err != nil {
		return moved, err
	}
	return moved, m.removeDrained(ctx)
}

// journalRow is one move of shard_moves.
type journalRow struct {
	ChannelID string `gorm:"column:channel_id"`
	From      string `gorm:"column:from_shard"`
	To        string `gorm:"column:to_shard"`
	Switched  bool   `gorm:"column:switched"`
}

// resume finishes the moves an earlier mover left in the journal.
func (m *ShardMover) resume(ctx context.Context) error {
	var rows []journalRow
	err := m.shards.dir.system.WithContext(ctx).
		Raw("SELECT channel_id::text AS channel_id, from_shard, to_shard, switched FROM shard_moves ORDER BY started_at").Scan(&rows).Error
	if err != nil {
		return classify("read the move journal", err)
	}
	for _, r := range rows {
		m.logger.InfoContext(ctx, "finishing an interrupted move", "channel_id", r.ChannelID, "from", r.From, "to", r.To, "switched", r.Switched)
		if err := m.move(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// rebalance moves every channel whose ring owner is not its shard.
func (m *ShardMover) rebalance(ctx context.Context) (int, error) {
	after := "00000000-0000-0000-0000-000000000000"
	moved := 0
	for {
		var rows []struct {
			ID      string         `gorm:"column:id"`
			ShardID sql.NullString `gorm:"column:shard_id"`
		}
		err := m.shards.dir.system.WithContext(ctx).Raw(`SELECT id::text AS id, shard_id FROM channels
			WHERE id > ?::uuid AND pending_since IS NULL ORDER BY id LIMIT ?`, after, scanBatch).Scan(&rows).Error
		if err != nil {
			return moved, classify("scan the channel index", err)
		}
		if len(rows) == 0 {
			return moved, nil
		}
		after = rows[len(rows)-1].ID
		var plan []journalRow
		for _, r := range rows {
			from := m.shards.idOf(r.ShardID.String)
			owner, err := m.shards.owner(r.ID)
			if err != nil {
				return moved, err
			}
			if owner.spec.ID != from {
				plan = append(plan, journalRow{ChannelID: r.ID, From: from, To: owner.spec.ID})
			}
		}
		n, err := m.moveAll(ctx, plan)
		moved += n
		if err != nil {
			return moved, err
		}
	}
}

// moveAll moves the planned channels, moveConcurrency at a time.
func (m *ShardMover) moveAll(ctx context.Context, plan []journalRow) (int, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	moved := 0
	next := make(chan journalRow)
	for range min(moveConcurrency, len(plan)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				err := m.move(ctx, r)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("move %s from %s to %s: %w", r.ChannelID, r.From, r.To, err))
				} else {
					moved++
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range plan {
		select {
		case next <- r:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return moved, errors.Join(errs...)
}

// removeDrained takes draining shards that hold no channel any more out
// of the map.
func (m *ShardMover) removeDrained(ctx context.Context) error {
	for _, sh := range m.shards.all() {
		if m.shards.specOf(sh).State != ShardDraining {
			continue
		}
		var held int64
		query := "SELECT count(*) FROM channels WHERE shard_id = ?"
		args := []any{sh.spec.ID}
		if sh.isDirectory() {
			query, args = "SELECT count(*) FROM channels WHERE shard_id IS NULL", nil
		}
		if err := m.shards.dir.system.WithContext(ctx).Raw(query, args...).Scan(&held).Error; err != nil {
			return classify("count a draining shard's channels", err)
		}
		if held > 0 {
			continue
		}
		err := m.shards.dir.system.WithContext(ctx).Exec("DELETE FROM shards WHERE id = ? AND state = ?", sh.spec.ID, ShardDraining).Error
		if err != nil {
			return classify("remove a drained shard", err)
		}
		m.logger.InfoContext(ctx, "drained shard removed from the map", "shard", sh.spec.ID)
	}
	return m.shards.Refresh(ctx)
}
