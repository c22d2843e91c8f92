package postgres

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/domain"
)

var _ chat.Store = (*ChatStore)(nil)

// ChatStore keeps channels, memberships and messages. Every method runs in
// one transaction as the acting user, so row-level security, not this code
// alone, decides what the user may see and change; every change writes its
// outbox event in the same transaction and wakes the relay after commit.
type ChatStore struct {
	db      *DB
	appends *appendLanes
}

// NewChatStore returns a store over db.
func NewChatStore(db *DB) *ChatStore {
	return newChatStore(db, newBatchSizes())
}

// newChatStore returns a store over db whose send path records its batch
// sizes in sizes, which the stores of every shard share.
func newChatStore(db *DB, sizes prometheus.Histogram) *ChatStore {
	return &ChatStore{db: db, appends: newAppendLanes(db.appSQL, db.logger, db.wakeRelay, sizes)}
}

// BatchSizes is the histogram of sends per transaction of the send path,
// for the metrics registry.
func (s *ChatStore) BatchSizes() prometheus.Collector { return s.appends.sizes }

// Channel returns a channel with its members; a channel the actor cannot
// see is not found, a group it is not in is forbidden.
func (s *ChatStore) Channel(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return domain.Channel{}, err
	}
	var ch domain.Channel
	err = s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		row, err := memberChannel(tx, id, false)
		if err != nil {
			return false, err
		}
		reads, err := channelReadState(tx, id)
		if err != nil {
			return false, err
		}
		memberIDs := make([]string, 0, len(reads))
		for _, r := range reads {
			memberIDs = append(memberIDs, r.UserID)
			if r.UserID == actor.UserID {
				row.LastReadSeq = r.LastReadSeq
			}
		}
		ch = row.domain(memberIDs)
		ch.ReadState = reads
		return false, nil
	})
	if err != nil {
		return domain.Channel{}, classify("get channel", err)
	}
	return ch, nil
}

// Channels lists the actor's channels, oldest first, without members,
// with the actor's read position.
func (s *ChatStore) Channels(ctx context.Context, actor domain.Actor) ([]domain.Channel, error) {
	return s.channels(ctx, actor, nil, false)
}

// channels lists the actor's channels among ids (all of them when ids is
// nil) whose data lives in this database, or with index the directory's
// index rows of channels on other shards, whose seqs are not kept here.
func (s *ChatStore) channels(ctx context.Context, actor domain.Actor, ids []string, index bool) ([]domain.Channel, error) {
	var rows []channelRow
	err := s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		query := `SELECT c.id, c.type, c.name, c.last_seq, c.member_count, c.created_at, m.last_read_seq
			FROM channels c JOIN memberships m ON m.channel_id = c.id
			WHERE m.user_id = chat_current_user() AND (c.shard_id IS NOT NULL) = ?`
		args := []any{index}
		if ids != nil {
			query += " AND c.id = ANY (?::uuid[])"
			args = append(args, textArray(ids))
		}
		return false, tx.Raw(query+" ORDER BY c.created_at, c.id", args...).Scan(&rows).Error
	})
	if err != nil {
		return nil, classify("list channels", err)
	}
	chs := make([]domain.Channel, 0, len(rows))
	for _, r := range rows {
		chs = append(chs, r.domain(nil))
	}
	return chs, nil
}

// selectChannel reads a channel the actor can see. With lock it takes the
// row lock that serialises every change of the channel (seq, membership,
// outbox order): FOR NO KEY UPDATE, the lock UPDATE itself takes, which
// unlike FOR UPDATE does not block inserts that merely reference the row.
//
// A locked read is a change to come, which a fenced channel (moving to
// another shard) takes no more: it fails with errFenced.
func selectChannel(tx *gorm.DB, id string, lock bool) (channelRow, bool, error) {
	query := "SELECT " + channelColumns + " FROM channels WHERE id = ?::uuid"
	if lock {
		query += " FOR NO KEY UPDATE"
	}
	var row channelRow
	res := tx.Raw(query, id).Scan(&row)
	if res.Error != nil {
		return channelRow{}, false, fmt.Errorf("read channel: %w", res.Error)
	}
	if lock && row.Fenced {
		return channelRow{}, false, errFenced
	}
	return row, res.RowsAffected > 0, nil
}

// memberChannel reads a channel the actor is a member of: invisible is
// domain.ErrChannelNotFound, visible but not joined is domain.ErrNotMember.
func memberChannel(tx *gorm.DB, id string, lock bool) (channelRow, error) {
	row, found, err := selectChannel(tx, id, lock)
	if err != nil {
		return channelRow{}, err
	}
	if !found {
		return channelRow{}, domain.ErrChannelNotFound
	}
	member, err := isMember(tx, id)
	if err != nil {
		return channelRow{}, err
	}
	if !member {
		return channelRow{}, domain.ErrNotMember
	}
	return row, nil
}

func isMember(tx *gorm.DB, id string) (bool, error) {
	var member bool
	if err := tx.Raw("SELECT chat_is_member(?::uuid)", id).Scan(&member).Error; err != nil {
		return false, fmt.Errorf("check membership: %w", err)
	}
	return member, nil
}

func channelMembers(tx *gorm.DB, id string) ([]string, error) {
	members := []string{}
	err := tx.Raw("SELECT user_id FROM memberships WHERE channel_id = ?::uuid ORDER BY joined_at, user_id", id).
		Scan(&members).Error
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	return members, nil
}
