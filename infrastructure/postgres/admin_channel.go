package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/domain"
)

// Channel returns a channel with its members, oldest member first.
func (s *AdminStore) Channel(ctx context.Context, channelID string) (admin.ChannelDetail, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return admin.ChannelDetail{}, err
	}
	sh, err := s.shards.locateNow(ctx, id)
	if err != nil {
		return admin.ChannelDetail{}, err
	}
	var detail admin.ChannelDetail
	err = sh.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		row, found, err := selectChannel(tx, id, false)
		if err != nil {
			return err
		}
		if !found {
			return domain.ErrChannelNotFound
		}
		var members []struct {
			UserID   string    `gorm:"column:user_id"`
			Name     string    `gorm:"column:name"`
			JoinedAt time.Time `gorm:"column:joined_at"`
			LastRead int64     `gorm:"column:last_read_seq"`
		}
		err = tx.Raw(`SELECT m.user_id, u.name, m.joined_at, m.last_read_seq FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.channel_id = ?::uuid ORDER BY m.joined_at, m.user_id`, id).Scan(&members).Error
		if err != nil {
			return fmt.Errorf("read members: %w", err)
		}
		detail.Members = make([]admin.Member, 0, len(members))
		ids := make([]string, 0, len(members))
		for _, m := range members {
			detail.Members = append(detail.Members, admin.Member{UserID: m.UserID, Name: m.Name, JoinedAt: m.JoinedAt.UTC(), LastReadSeq: m.LastRead})
			ids = append(ids, m.UserID)
		}
		// The count comes from the same read as the list, so the two agree.
		detail.ChannelSummary = admin.ChannelSummary{Channel: row.domain(ids), MemberCount: len(ids)}
		return nil
	})
	if err != nil {
		return admin.ChannelDetail{}, classify("get channel", err)
	}
	return detail, nil
}

// Messages returns a page of a channel's history, with the same windows as
// ChatStore.Messages but for any channel.
func (s *AdminStore) Messages(ctx context.Context, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return nil, false, err
	}
	limit := page.Limit
	if limit <= 0 {
		limit = domain.DefaultPageLimit
	}
	limit = min(limit, domain.MaxPageLimit)
	sh, err := s.shards.locateNow(ctx, id)
	if err != nil {
		return nil, false, err
	}
	var rows []messageRow
	err = sh.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		if _, found, err := selectChannel(tx, id, false); err != nil || !found {
			if err == nil {
				err = domain.ErrChannelNotFound
			}
			return err
		}
		query := "SELECT " + messageColumns + " FROM messages WHERE channel_id = ?::uuid AND seq > ? ORDER BY seq LIMIT ?"
		bound := page.AfterSeq
		if page.BeforeSeq > 0 {
			query = "SELECT " + messageColumns + " FROM messages WHERE channel_id = ?::uuid AND seq < ? ORDER BY seq DESC LIMIT ?"
			bound = page.BeforeSeq
		}
		if err := tx.Raw(query, id, bound, limit+1).Scan(&rows).Error; err != nil {
			return fmt.Errorf("read history: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, false, classify("read messages", err)
	}
	hasMore := len(rows) > limit
	if hasMore {
		rows = rows[:limit]
	}
	if page.BeforeSeq > 0 {
		slices.Reverse(rows)
	}
	msgs := make([]domain.Message, 0, len(rows))
	for _, r := range rows {
		msgs = append(msgs, r.domain())
	}
	return msgs, hasMore, nil
}

// RemoveMember ends a membership and writes member_left to the outbox in
// the same transaction, so the relay ends the member's subscriptions on
// every node and tells the others, exactly as for leave_channel. The
// channel row lock orders the event after every message already stored.
// A channel on another shard is changed in the directory's index first,
// marked pending, then on its shard, like a leave (see ShardedStore).
func (s *AdminStore) RemoveMember(ctx context.Context, channelID, userID string) error {
	id, err := parseChannelID(channelID)
	if err != nil {
		return err
	}
	sh, err := s.shards.locateNow(ctx, id)
	if err != nil {
		return err
	}
	var pending time.Time
	if !sh.isDirectory() {
		if pending, err = removeIndexMember(ctx, s.db, id, userID); err != nil {
			return err
		}
	}
	err = sh.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		_, found, err := selectChannel(tx, id, true)
		if err != nil {
			return err
		}
		if !found {
			return domain.ErrChannelNotFound
		}
		res := tx.Exec("DELETE FROM memberships WHERE channel_id = ?::uuid AND user_id = ?", id, userID)
		if res.Error != nil {
			return fmt.Errorf("delete membership: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return admin.ErrNotMember
		}
		return writeOutbox(tx, adminActor, domain.Event{Type: domain.EventMemberLeft, ChannelID: id, UserID: userID})
	})
	if err != nil && !(errors.Is(err, admin.ErrNotMember) && !pending.IsZero()) {
		return classify("remove member", err)
	}
	sh.db.wakeRelay()
	return s.db.settle(ctx, id, pending)
}

// removeIndexMember ends a membership in the directory's index, marking
// the row pending until the shard has ended it too.
func removeIndexMember(ctx context.Context, dir *DB, id, userID string) (time.Time, error) {
	var pending time.Time
	err := dir.inSystemTx(ctx, func(tx *gorm.DB) error {
		var stamp sql.NullTime
		err := tx.Raw("UPDATE channels SET pending_since = clock_timestamp() WHERE id = ?::uuid RETURNING pending_since", id).
			Scan(&stamp).Error
		if err != nil {
			return fmt.Errorf("mark the index row pending: %w", err)
		}
		if !stamp.Valid {
			return domain.ErrChannelNotFound
		}
		res := tx.Exec("DELETE FROM memberships WHERE channel_id = ?::uuid AND user_id = ?", id, userID)
		if res.Error != nil {
			return fmt.Errorf("delete index membership: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return admin.ErrNotMember
		}
		pending = stamp.Time
		return nil
	})
	if err != nil {
		return time.Time{}, classify("remove member", err)
	}
	return pending, nil
}
