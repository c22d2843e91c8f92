package postgres

import (
	"context"
	"fmt"

	"github.com/chatd/chat/application/fanout"
)

// Members answers the fan-out router's "who is in these channels now" on
// the system pool: routing is the system's decision, made for every user
// at once, not a read on some user's behalf. It asks each channel's shard,
// whose memberships are the authoritative ones, not the directory's index.
type Members struct {
	shards *Shards
}

// NewMembers returns the members reader over the shards.
func NewMembers(shards *Shards) *Members {
	return &Members{shards: shards}
}

// ChannelMembers returns the members of each channel of channelIDs that
// has members, with its membership version (migration 00013). Ids that
// are not channel ids (no event carries one) are left out rather than
// failing the whole lookup, which the router would retry for ever.
func (m *Members) ChannelMembers(ctx context.Context, channelIDs []string) (map[string]fanout.Roster, error) {
	ids := make([]string, 0, len(channelIDs))
	for _, id := range channelIDs {
		if parsed, err := parseChannelID(id); err == nil {
			ids = append(ids, parsed)
		}
	}
	out := make(map[string]fanout.Roster, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	byShard, err := m.shards.group(ctx, ids)
	if err != nil {
		return nil, err
	}
	for sh, ids := range byShard {
		if err := shardMembers(ctx, sh.db, ids, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// shardMembers adds the members of channels ids of one database to out.
// One statement reads the members and the version together, so they
// agree.
func shardMembers(ctx context.Context, db *DB, ids []string, out map[string]fanout.Roster) error {
	var rows []struct {
		ChannelID string `gorm:"column:channel_id"`
		Version   int64  `gorm:"column:member_version"`
		UserID    string `gorm:"column:user_id"`
	}
	err := db.system.WithContext(ctx).Raw(`SELECT c.id::text AS channel_id, c.member_version, m.user_id
		FROM channels c JOIN memberships m ON m.channel_id = c.id
		WHERE c.id = ANY (?::uuid[])`, textArray(ids)).Scan(&rows).Error
	if err != nil {
		return classify(fmt.Sprintf("read the members of %d channels", len(ids)), err)
	}
	for _, r := range rows {
		roster := out[r.ChannelID]
		roster.Version = r.Version
		roster.Users = append(roster.Users, r.UserID)
		out[r.ChannelID] = roster
	}
	return nil
}
