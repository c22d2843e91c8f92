package postgres

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/domain"
)

var _ admin.Store = (*AdminStore)(nil)

// adminActor is the actor_id of outbox rows the operator causes. User ids
// cannot contain '/', so it never names a user.
const adminActor = "/admin"

// AdminStore serves the operator's use cases on the chat_system pool,
// whose policies see every row: the admin API acts for no user, and the
// admin token checked in front of it takes the place of row-level
// security. Listings are keyset-paginated on (created_at, id), which the
// indexes of migration 00006 serve.
type AdminStore struct {
	db     *DB // the directory
	shards *Shards
}

// NewAdminStore returns an admin store over the shards and their directory.
func NewAdminStore(shards *Shards) *AdminStore {
	return &AdminStore{db: shards.dir, shards: shards}
}

// Users lists users after the key in (created_at, id) order.
func (s *AdminStore) Users(ctx context.Context, after *admin.Key, limit int) ([]domain.User, error) {
	query := "SELECT id, name, created_at FROM users"
	var args []any
	if after != nil {
		query += " WHERE (created_at, id) > (?, ?)"
		args = append(args, after.CreatedAt, after.ID)
	}
	query += " ORDER BY created_at, id LIMIT ?"
	var rows []userRow
	if err := s.db.system.WithContext(ctx).Raw(query, append(args, limit)...).Scan(&rows).Error; err != nil {
		return nil, classify("list users", err)
	}
	users := make([]domain.User, 0, len(rows))
	for _, r := range rows {
		users = append(users, r.domain())
	}
	return users, nil
}

// Channels lists channels matching filter after the key in (created_at,
// id) order. The member filter is a semi-join on memberships, so a channel
// appears once whatever its members.
func (s *AdminStore) Channels(ctx context.Context, filter admin.ChannelFilter, after *admin.Key, limit int) ([]admin.ChannelSummary, error) {
	var where []string
	var args []any
	if filter.Type != "" {
		where = append(where, "c.type = ?")
		args = append(args, string(filter.Type))
	}
	if filter.MemberID != "" {
		where = append(where, "EXISTS (SELECT 1 FROM memberships m WHERE m.channel_id = c.id AND m.user_id = ?)")
		args = append(args, filter.MemberID)
	}
	if after != nil {
		id, err := uuid.Parse(after.ID)
		if err != nil {
			return nil, domain.Errorf(domain.KindBadRequest, "cursor is not valid for this listing")
		}
		where = append(where, "(c.created_at, c.id) > (?, ?::uuid)")
		args = append(args, after.CreatedAt, id.String())
	}
	query := "SELECT c.id, c.type, c.name, c.last_seq, c.member_count, c.created_at, c.shard_id FROM channels c"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY c.created_at, c.id LIMIT ?"
	var rows []channelRow
	if err := s.db.system.WithContext(ctx).Raw(query, append(args, limit)...).Scan(&rows).Error; err != nil {
		return nil, classify("list channels", err)
	}
	// The directory's index rows of channels stored elsewhere carry no
	// seq: the shards have it.
	elsewhere := map[string][]string{}
	for _, r := range rows {
		if r.ShardID.Valid {
			elsewhere[r.ShardID.String] = append(elsewhere[r.ShardID.String], r.ID)
		}
	}
	seqs, err := s.lastSeqs(ctx, elsewhere)
	if err != nil {
		return nil, err
	}
	out := make([]admin.ChannelSummary, 0, len(rows))
	for _, r := range rows {
		if r.ShardID.Valid {
			r.LastSeq = seqs[r.ID]
		}
		out = append(out, admin.ChannelSummary{Channel: r.domain(nil), MemberCount: r.MemberCount})
	}
	return out, nil
}

// lastSeqs reads the last seq of channels from the shards that hold them.
func (s *AdminStore) lastSeqs(ctx context.Context, byShard map[string][]string) (map[string]int64, error) {
	out := map[string]int64{}
	for shardID, ids := range byShard {
		sh, err := s.shards.resolve(ctx, shardID)
		if err != nil {
			return nil, err
		}
		var rows []struct {
			ID      string `gorm:"column:id"`
			LastSeq int64  `gorm:"column:last_seq"`
		}
		err = sh.db.system.WithContext(ctx).Raw("SELECT id::text AS id, last_seq FROM channels WHERE id = ANY (?::uuid[])", textArray(ids)).
			Scan(&rows).Error
		if err != nil {
			return nil, classify("read channels' seq from shard "+shardID, err)
		}
		for _, r := range rows {
			out[r.ID] = r.LastSeq
		}
	}
	return out, nil
}
