package postgres

import (
	"context"
	"fmt"
)

// Members answers the fan-out router's "who is in these channels now" on
// the system pool: routing is the system's decision, made for every user
// at once, not a read on some user's behalf.
type Members struct {
	db *DB
}

// NewMembers returns the members reader over db.
func NewMembers(db *DB) *Members {
	return &Members{db: db}
}

// ChannelMembers returns the member ids of each channel of channelIDs that
// has members. Ids that are not channel ids (no event carries one) are
// left out rather than failing the whole lookup, which the router would
// retry for ever.
func (m *Members) ChannelMembers(ctx context.Context, channelIDs []string) (map[string][]string, error) {
	ids := make([]string, 0, len(channelIDs))
	for _, id := range channelIDs {
		if parsed, err := parseChannelID(id); err == nil {
			ids = append(ids, parsed)
		}
	}
	out := make(map[string][]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ChannelID string `gorm:"column:channel_id"`
		UserID    string `gorm:"column:user_id"`
	}
	err := m.db.system.WithContext(ctx).Raw(`SELECT channel_id::text AS channel_id, user_id FROM memberships
		WHERE channel_id = ANY (?::uuid[])`, textArray(ids)).Scan(&rows).Error
	if err != nil {
		return nil, classify(fmt.Sprintf("read the members of %d channels", len(ids)), err)
	}
	for _, r := range rows {
		out[r.ChannelID] = append(out[r.ChannelID], r.UserID)
	}
	return out, nil
}
