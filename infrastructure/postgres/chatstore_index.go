package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// The directory's side of a membership change of a channel stored on
// another shard: the same checks, as the acting user under the same
// policies, on the directory's index rows, which then carry a pending mark
// until the shard has made the same change (see ShardedStore).

// indexJoin makes the actor a member of the index row of a channel stored
// elsewhere and marks the row pending. joined is false when the index had
// the membership already.
func (s *ChatStore) indexJoin(ctx context.Context, actor domain.Actor, id string) (joined bool, pending time.Time, err error) {
	err = s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		var err error
		if joined, err = joinLocked(tx, id, actor.UserID); err != nil {
			return false, err
		}
		pending, err = markPending(tx, id)
		return false, err
	})
	if err != nil {
		return false, time.Time{}, classify("join channel", err)
	}
	return joined, pending, nil
}

// indexLeave ends the actor's membership of the index row of a channel
// stored elsewhere. The mark comes first: chat_index_pending marks only for
// a member.
func (s *ChatStore) indexLeave(ctx context.Context, actor domain.Actor, id string) (pending time.Time, err error) {
	err = s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		if _, err := memberChannel(tx, id, true); err != nil {
			return false, err
		}
		if pending, err = markPending(tx, id); err != nil {
			return false, err
		}
		res := tx.Exec("DELETE FROM memberships WHERE channel_id = ?::uuid AND user_id = ?", id, actor.UserID)
		if res.Error != nil {
			return false, fmt.Errorf("delete membership: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return false, domain.ErrNotMember
		}
		return false, nil
	})
	if err != nil {
		return time.Time{}, classify("leave channel", err)
	}
	return pending, nil
}

func markPending(tx *gorm.DB, id string) (time.Time, error) {
	var stamp sql.NullTime
	if err := tx.Raw("SELECT chat_index_pending(?::uuid)", id).Scan(&stamp).Error; err != nil {
		return time.Time{}, fmt.Errorf("mark the index row pending: %w", err)
	}
	return stamp.Time, nil
}

// settle clears an index row's pending mark once its shard made the
// change, unless a later change marked it again (the mark differs then).
func (db *DB) settle(ctx context.Context, id string, pending time.Time) error {
	if pending.IsZero() {
		return nil
	}
	err := db.system.WithContext(ctx).
		Exec("UPDATE channels SET pending_since = NULL WHERE id = ?::uuid AND pending_since = ?", id, pending).Error
	if err != nil {
		return classify("settle the channel index", err)
	}
	return nil
}
