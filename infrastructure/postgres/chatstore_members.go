package postgres

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// Join makes the actor a member of a channel and returns the channel with its
// members. A group is joined under its row lock, so the 50-member limit
// holds against concurrent joiners. A direct channel is invisible to
// everyone but its members, so one of its pair who left can only be told
// apart from a stranger by chat_may_join; everybody else gets not found.
func (s *ChatStore) Join(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, bool, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return domain.Channel{}, false, err
	}
	var ch domain.Channel
	var joined bool
	err = s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		var err error
		if joined, err = joinLocked(tx, id, actor.UserID); err != nil {
			return false, err
		}
		// Read again: the insert changed member_count, and a rejoined
		// direct channel has only now become visible.
		row, err := memberChannel(tx, id, true)
		if err != nil {
			return false, err
		}
		memberIDs, err := channelMembers(tx, id)
		if err != nil {
			return false, err
		}
		ch = row.domain(memberIDs)
		if !joined {
			return false, nil
		}
		event := domain.Event{Type: domain.EventMemberJoined, ChannelID: id, Channel: &ch, UserID: actor.UserID, OriginSession: actor.SessionID}
		return true, recordEvent(tx, event)
	})
	if err != nil {
		return domain.Channel{}, false, classify("join channel", err)
	}
	return ch, joined, nil
}

// joinLocked makes the actor a member of a channel under its row lock:
// a visible group, or a direct channel of its own pair.
func joinLocked(tx *gorm.DB, id, actorID string) (bool, error) {
	row, found, err := selectChannel(tx, id, true)
	if err != nil {
		return false, err
	}
	if found {
		return joinVisible(tx, row, actorID)
	}
	return rejoinDirect(tx, id, actorID)
}

// joinVisible joins a channel the actor can see and holds locked.
func joinVisible(tx *gorm.DB, row channelRow, actorID string) (bool, error) {
	member, err := isMember(tx, row.ID)
	if err != nil || member {
		return false, err
	}
	if domain.ChannelType(row.Type) != domain.ChannelGroup {
		// Unreachable while the policies hide direct channels from
		// non-members; kept so a policy change fails closed.
		return false, domain.ErrDirectJoin
	}
	if row.MemberCount >= domain.MaxGroupMembers {
		return false, domain.ErrChannelFull
	}
	if err := tx.Exec("INSERT INTO memberships (channel_id, user_id) VALUES (?::uuid, ?)", row.ID, actorID).Error; err != nil {
		return false, fmt.Errorf("insert membership: %w", err)
	}
	return true, nil
}

// rejoinDirect lets one of a direct channel's pair back in. The insert
// itself locks the channel row (the member_count trigger updates it), and
// ON CONFLICT makes a concurrent second join of the same user a no-op.
func rejoinDirect(tx *gorm.DB, id, actorID string) (bool, error) {
	var mayJoin bool
	if err := tx.Raw("SELECT chat_may_join(?::uuid)", id).Scan(&mayJoin).Error; err != nil {
		return false, fmt.Errorf("check direct pair: %w", err)
	}
	if !mayJoin {
		return false, domain.ErrChannelNotFound
	}
	res := tx.Exec("INSERT INTO memberships (channel_id, user_id) VALUES (?::uuid, ?) ON CONFLICT DO NOTHING", id, actorID)
	if res.Error != nil {
		return false, fmt.Errorf("insert membership: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// Leave ends the actor's membership. The channel row lock orders the
// member_left event after every message the actor sent before leaving.
func (s *ChatStore) Leave(ctx context.Context, actor domain.Actor, channelID string) error {
	id, err := parseChannelID(channelID)
	if err != nil {
		return err
	}
	err = s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		if _, err := memberChannel(tx, id, true); err != nil {
			return false, err
		}
		res := tx.Exec("DELETE FROM memberships WHERE channel_id = ?::uuid AND user_id = ?", id, actor.UserID)
		if res.Error != nil {
			return false, fmt.Errorf("delete membership: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return false, domain.ErrNotMember
		}
		event := domain.Event{Type: domain.EventMemberLeft, ChannelID: id, UserID: actor.UserID, OriginSession: actor.SessionID}
		return true, recordEvent(tx, event)
	})
	if err != nil {
		return classify("leave channel", err)
	}
	return nil
}

// UsersSharingChannel returns those of ids the actor may see. The users
// policy does the filtering: the actor and whoever shares a channel with it.
func (s *ChatStore) UsersSharingChannel(ctx context.Context, actor domain.Actor, ids []string) ([]domain.User, error) {
	users := []domain.User{}
	if len(ids) == 0 {
		return users, nil
	}
	var rows []userRow
	err := s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		return false, tx.Raw("SELECT id, name, created_at FROM users WHERE id = ANY (?::text[])", textArray(ids)).
			Scan(&rows).Error
	})
	if err != nil {
		return nil, classify("look up users", err)
	}
	byID := make(map[string]domain.User, len(rows))
	for _, r := range rows {
		byID[r.ID] = r.domain()
	}
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			users = append(users, u)
			delete(byID, id)
		}
	}
	return users, nil
}
