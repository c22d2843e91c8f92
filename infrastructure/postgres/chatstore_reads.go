package postgres

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// MarkRead moves the actor's read position of a channel up to seq through
// chat_mark_read (migrations 00011 and 00014), which clamps it to the channel's
// last seq, never lowers it, and records read_updated when it grew. One
// statement: mark_read may follow every message a client shows.
//
// The commit does not wait for the WAL flush (synchronous_commit off for
// this transaction only). A read position is advisory and the client marks
// again: losing the last instant of marks to a database crash costs a
// badge that is briefly too high, while waiting for an fsync per mark
// halved the send path's throughput when every receiver marked every
// message (docs/performance-history.md, read receipts). Position and event still
// commit or vanish together.
func (s *ChatStore) MarkRead(ctx context.Context, actor domain.Actor, channelID string, seq int64) (int64, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return 0, err
	}
	var res struct {
		Status      string `gorm:"column:out_status"`
		LastReadSeq int64  `gorm:"column:out_last_read_seq"`
		Grew        bool   `gorm:"column:out_grew"`
	}
	err = s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		// The setting rides in the same statement (it only has to hold by
		// COMMIT): one round trip fewer per mark.
		err := tx.Raw(`SELECT m.out_status, m.out_last_read_seq, m.out_grew
			FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed, chat_mark_read(?::uuid, ?, ?) AS m`,
			id, seq, actor.SessionID).Scan(&res).Error
		if err != nil {
			return false, fmt.Errorf("mark read: %w", err)
		}
		switch res.Status {
		case "ok":
			return res.Grew, nil
		case "not_member":
			return false, domain.ErrNotMember
		case "fenced":
			// Moving to another shard: the sharded store retries there.
			return false, errFenced
		default:
			return false, domain.ErrChannelNotFound
		}
	})
	if err != nil {
		return 0, classify("mark read", err)
	}
	return res.LastReadSeq, nil
}

// channelReadState reads every member of a channel with its read position,
// oldest member first; the memberships policy shows them only to members.
func channelReadState(tx *gorm.DB, id string) ([]domain.ReadPosition, error) {
	var rows []struct {
		UserID      string `gorm:"column:user_id"`
		LastReadSeq int64  `gorm:"column:last_read_seq"`
	}
	err := tx.Raw("SELECT user_id, last_read_seq FROM memberships WHERE channel_id = ?::uuid ORDER BY joined_at, user_id", id).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	out := make([]domain.ReadPosition, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.ReadPosition{UserID: r.UserID, LastReadSeq: r.LastReadSeq})
	}
	return out, nil
}
