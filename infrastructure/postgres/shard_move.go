package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/retry"
)

// errOutboxBusy undoes a move whose channel's events wait too long for
// the relay (the broker is down, say); the next round tries again.
var errOutboxBusy = errors.New("the channel's outbox was not published in time")

// move runs one move of the journal's form from step 1, or finishes one
// already switched (see ShardMover).
func (m *ShardMover) move(ctx context.Context, r journalRow) error {
	from, err := m.shards.resolve(ctx, r.From)
	if err != nil {
		return err
	}
	to, err := m.shards.resolve(ctx, r.To)
	if err != nil {
		return err
	}
	dir := m.shards.dir.system.WithContext(ctx)
	if !r.Switched {
		err := dir.Exec(`INSERT INTO shard_moves (channel_id, from_shard, to_shard) VALUES (?::uuid, ?, ?)
			ON CONFLICT (channel_id) DO UPDATE SET to_shard = EXCLUDED.to_shard`, r.ChannelID, r.From, r.To).Error
		if err != nil {
			return classify("journal the move", err)
		}
		fence, err := m.copyAcross(ctx, r, from, to)
		if errors.Is(err, errOutboxBusy) || errors.Is(err, errNothingToMove) {
			m.logger.WarnContext(ctx, "move put off", "channel_id", r.ChannelID, "from", r.From, "to", r.To, "reason", err)
			return m.unjournal(ctx, r, from)
		}
		if err != nil {
			return err
		}
		m.stats.record(r, fence)
	}
	if !from.isDirectory() {
		err := from.db.system.WithContext(ctx).Exec("DELETE FROM channels WHERE id = ?::uuid AND fenced", r.ChannelID).Error
		if err != nil {
			return classify("delete the old copy", err)
		}
	}
	if err := dir.Exec("DELETE FROM shard_moves WHERE channel_id = ?::uuid", r.ChannelID).Error; err != nil {
		return classify("close the move journal", err)
	}
	return nil
}

// fenceForMove fences a channel on the shard it leaves and reports
// whether the shard has it. FOR UPDATE, not the NO KEY UPDATE of a plain
// UPDATE, because it is the lock that waits for the FOR KEY SHARE of
// marks in flight (migration 00014): once the fence commits, every mark
// before it has committed too and the copy holds it, and every mark after
// it sees the fence.
func fenceForMove(sys *gorm.DB, channelID string) (bool, error) {
	res := sys.Exec(`WITH locked AS (SELECT id FROM channels WHERE id = ?::uuid FOR UPDATE)
		UPDATE channels c SET fenced = true FROM locked WHERE c.id = locked.id`, channelID)
	if res.Error != nil {
		return false, classify("fence the channel", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// errNothingToMove: the index row has no channel behind it on its shard
// yet (a creation the reconciler has still to finish).
var errNothingToMove = errors.New("the shard has no such channel")

// copyAcross runs steps 1 to 4 and returns how long the channel was
// fenced.
func (m *ShardMover) copyAcross(ctx context.Context, r journalRow, from, to *shard) (time.Duration, error) {
	found, err := fenceForMove(from.db.system.WithContext(ctx), r.ChannelID)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errNothingToMove
	}
	fencedAt := time.Now()
	if err := waitForOutbox(ctx, from.db, r.ChannelID); err != nil {
		return 0, err
	}
	c, found, err := readCopy(ctx, from.db, r.ChannelID)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errNothingToMove
	}
	if err := m.shards.copyUsers(ctx, to, append(memberIDs(c.members), c.senders...)); err != nil {
		return 0, err
	}
	if err := writeCopy(ctx, to, c); err != nil {
		return 0, err
	}
	if err := m.switchOver(ctx, r, from, to); err != nil {
		return 0, err
	}
	to.db.wakeRelay()
	return time.Since(fencedAt), nil
}

// switchOver points the index at the new shard and marks the journal, in
// one directory transaction. Leaving the directory, the channel's data
// there goes in the same transaction; its row and memberships stay as the
// index. Arriving there, the row is the data again (NULL shard).
func (m *ShardMover) switchOver(ctx context.Context, r journalRow, from, to *shard) error {
	var placed any = to.spec.ID
	if to.isDirectory() {
		placed = nil
	}
	err := m.shards.dir.inSystemTx(ctx, func(tx *gorm.DB) error {
		if from.isDirectory() {
			if err := tx.Exec("DELETE FROM messages WHERE channel_id = ?::uuid", r.ChannelID).Error; err != nil {
				return fmt.Errorf("delete the directory's copy of the messages: %w", err)
			}
		}
		err := tx.Exec("UPDATE channels SET shard_id = ?, fenced = false WHERE id = ?::uuid", placed, r.ChannelID).Error
		if err != nil {
			return fmt.Errorf("point the index at the new shard: %w", err)
		}
		return tx.Exec("UPDATE shard_moves SET switched = true WHERE channel_id = ?::uuid", r.ChannelID).Error
	})
	if err != nil {
		return classify("switch the channel's shard", err)
	}
	m.shards.placed.store(r.ChannelID, placedID(to))
	return nil
}

// unjournal undoes a move that did not copy: the fence is lifted and the
// journal row deleted.
func (m *ShardMover) unjournal(ctx context.Context, r journalRow, from *shard) error {
	if err := from.db.system.WithContext(ctx).Exec("UPDATE channels SET fenced = false WHERE id = ?::uuid", r.ChannelID).Error; err != nil {
		return classify("lift the fence of a put-off move", err)
	}
	if err := m.shards.dir.system.WithContext(ctx).Exec("DELETE FROM shard_moves WHERE channel_id = ?::uuid", r.ChannelID).Error; err != nil {
		return classify("close the move journal", err)
	}
	return nil
}

// waitForOutbox waits until the relay published every outbox row of the
// channel. The channel is fenced, so no new row comes.
func waitForOutbox(ctx context.Context, db *DB, id string) error {
	db.wakeRelay()
	deadline := time.Now().Add(drainTimeout)
	for {
		var n int64
		if err := db.system.WithContext(ctx).Raw("SELECT count(*) FROM outbox WHERE channel_id = ?::uuid", id).Scan(&n).Error; err != nil {
			return classify("count the moving channel's outbox rows", err)
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errOutboxBusy
		}
		if !retry.Sleep(ctx, 5*time.Millisecond) {
			return ctx.Err()
		}
	}
}

func memberIDs(members []copiedMember) []string {
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.UserID)
	}
	return ids
}

// placedID is how the directory's index names sh: "" for itself.
func placedID(sh *shard) string {
	if sh.isDirectory() {
		return ""
	}
	return sh.spec.ID
}

// idOf is the map id of a placement read from the index ("" is the
// directory, which is in the map under its own id or not at all).
func (s *Shards) idOf(placement string) string {
	if placement == "" {
		return s.home.spec.ID
	}
	return placement
}

// MoveRecord is one finished move, for the admin API.
type MoveRecord struct {
	ChannelID string
	From, To  string
	Fence     time.Duration
	At        time.Time
}

// moveStats remembers the recent moves of this node's mover.
type moveStats struct {
	mu     sync.Mutex
	recent []MoveRecord
	total  int
	max    time.Duration
}

// maxRecentMoves bounds the moves remembered.
const maxRecentMoves = 20000

func (s *moveStats) record(r journalRow, fence time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	s.max = max(s.max, fence)
	if len(s.recent) == maxRecentMoves {
		s.recent = s.recent[1:]
	}
	s.recent = append(s.recent, MoveRecord{ChannelID: r.ChannelID, From: r.From, To: r.To, Fence: fence, At: time.Now().UTC()})
}

// Moves returns this node's recent moves, the total and the longest fence.
func (m *ShardMover) Moves() (recent []MoveRecord, total int, longest time.Duration) {
	m.stats.mu.Lock()
	defer m.stats.mu.Unlock()
	return append([]MoveRecord(nil), m.stats.recent...), m.stats.total, m.stats.max
}
