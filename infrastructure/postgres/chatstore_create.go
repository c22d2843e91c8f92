package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// creation is what one database did with a chat_create_channel call.
type creation struct {
	channel domain.Channel // read back when the data lives here
	created bool
	// readded are the members of an existing direct pair let back in.
	readded []string
	// shardID is where the channel's data lives; empty: this database.
	shardID   string
	createdAt time.Time
	// pending is the index row's mark (zero when not an index row).
	pending time.Time
}

// placing says how a database takes part in a creation: id and createdAt
// empty for a fresh channel of this database; shardID set for the
// directory's index row of a channel whose data goes to that shard.
type placing struct {
	id        string
	shardID   string
	createdAt time.Time
}

// CreateChannel creates a channel whose data lives in this database.
func (s *ChatStore) CreateChannel(ctx context.Context, actor domain.Actor, spec domain.NewChannelSpec, members []string) (domain.Channel, bool, error) {
	res, err := s.createChannel(ctx, actor, spec, members, placing{})
	if err != nil {
		return domain.Channel{}, false, err
	}
	return res.channel, res.created, nil
}

// createChannel runs chat_create_channel (migration 00012), the only way
// chat_app can add people other than itself to a channel (see migration
// 00003 for why). Where the channel's data lives here, it reads the
// channel back as the actor and records channel_created, or member_joined
// for each re-added member of an existing pair. A directory index row of a
// channel stored elsewhere records nothing: its shard does.
func (s *ChatStore) createChannel(ctx context.Context, actor domain.Actor, spec domain.NewChannelSpec, members []string, at placing) (creation, error) {
	var out creation
	err := s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		var res struct {
			ChannelID string `gorm:"column:out_channel_id"`
			Created   bool   `gorm:"column:out_created"`
			// User ids cannot contain spaces (a CHECK on users.id), so a
			// space-joined list round-trips without an array scanner.
			Readded   string         `gorm:"column:out_readded"`
			ShardID   sql.NullString `gorm:"column:out_shard_id"`
			CreatedAt time.Time      `gorm:"column:out_created_at"`
			Pending   sql.NullTime   `gorm:"column:out_pending_since"`
		}
		err := tx.Raw(`SELECT out_channel_id, out_created, array_to_string(out_readded, ' ') AS out_readded,
				out_shard_id, out_created_at, out_pending_since
			FROM chat_create_channel(NULLIF(?, '')::uuid, NULLIF(?, ''), ?, ?, ?::text[], ?::timestamptz)`,
			at.id, at.shardID, string(spec.Type), spec.Name, textArray(members), nullTime(at.createdAt)).Scan(&res).Error
		if err != nil {
			if pgCode(err) == codeNoDataFound {
				return false, domain.ErrUserNotFound
			}
			return false, err
		}
		out = creation{created: res.Created, readded: strings.Fields(res.Readded), shardID: res.ShardID.String,
			createdAt: res.CreatedAt.UTC(), pending: res.Pending.Time}
		out.channel.ID = res.ChannelID
		if out.shardID != "" {
			return false, nil
		}
		return s.announceCreation(tx, actor, &out)
	})
	if err != nil {
		return creation{}, classify("create channel", err)
	}
	return out, nil
}

// announceCreation reads the channel just created or re-joined as the
// actor and records its events; it reports whether it wrote any.
func (s *ChatStore) announceCreation(tx *gorm.DB, actor domain.Actor, out *creation) (bool, error) {
	row, found, err := selectChannel(tx, out.channel.ID, false)
	if err != nil {
		return false, err
	}
	if !found {
		return false, fmt.Errorf("channel %s vanished after creation", out.channel.ID)
	}
	memberIDs, err := channelMembers(tx, row.ID)
	if err != nil {
		return false, err
	}
	ch := row.domain(memberIDs)
	out.channel = ch
	if !out.created {
		// Members of the pair who had left and are back are announced
		// like a join, so their connections subscribe again.
		for _, userID := range out.readded {
			event := domain.Event{Type: domain.EventMemberJoined, ChannelID: ch.ID, Channel: &ch, UserID: userID, OriginSession: actor.SessionID}
			if err := recordEvent(tx, event); err != nil {
				return false, err
			}
		}
		return len(out.readded) > 0, nil
	}
	event := domain.Event{Type: domain.EventChannelCreated, ChannelID: ch.ID, Channel: &ch, OriginSession: actor.SessionID}
	return true, recordEvent(tx, event)
}

// nullTime is t for a query argument, NULL when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
