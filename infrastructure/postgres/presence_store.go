package postgres

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/domain"
)

var _ presence.Store = (*PresenceStore)(nil)

// PresenceStore keeps user_presences. Status changes run on the system
// pool (they are the node's decisions, not a user's) and write their
// presence_changed events in the same transaction; reads for a user run as
// that user, so row-level security decides whose presence they see.
type PresenceStore struct {
	db *DB
}

// NewPresenceStore returns a store over db.
func NewPresenceStore(db *DB) *PresenceStore {
	return &PresenceStore{db: db}
}

// presenceRow is a row of user_presences as the store reads it.
type presenceRow struct {
	UserID      string    `gorm:"column:user_id"`
	Status      string    `gorm:"column:status"`
	LastEventAt time.Time `gorm:"column:last_event_at"`
}

func (r presenceRow) domain() domain.UserPresence {
	return domain.UserPresence{UserID: r.UserID, Status: domain.PresenceStatus(r.Status), LastEventAt: r.LastEventAt.UTC()}
}

// Record applies the changes in one transaction (see presence.Store). The
// stored lastEventAt never moves backwards, whatever the clocks of the
// nodes say, and the announced time is the stored one.
func (s *PresenceStore) Record(ctx context.Context, nodeID string, changes []presence.Change) ([]domain.UserPresence, error) {
	var announced []domain.UserPresence
	err := s.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		announced = announced[:0]
		for _, c := range changes {
			row, changed, err := applyPresence(tx, nodeID, c)
			if err != nil {
				return err
			}
			if changed {
				announced = append(announced, row.domain())
			}
		}
		return announcePresence(tx, announced)
	})
	if err != nil {
		return nil, classify(fmt.Sprintf("record %d presence changes", len(changes)), err)
	}
	if len(announced) > 0 {
		s.db.wakeRelay()
	}
	return announced, nil
}

// applyPresence writes one change and reports whether the stored status
// changed. Going online inserts or flips the row and takes ownership; if
// the user is online already, only the owner moves to nodeID (a reconnect
// on another node), which is no change. A reclaim flips back only a user
// offline under nodeID. Going offline applies only while nodeID owns the
// user. A user deleted meanwhile gets no row.
func applyPresence(tx *gorm.DB, nodeID string, c presence.Change) (presenceRow, bool, error) {
	var rows []presenceRow
	var err error
	switch {
	case c.Reclaim:
		err = tx.Raw(`UPDATE user_presences
			   SET status = 'online', last_event_at = GREATEST(?, last_event_at)
			 WHERE user_id = ? AND status = 'offline' AND node_id = ?
			RETURNING user_id, status, last_event_at`, c.LastEventAt, c.UserID, nodeID).Scan(&rows).Error
	case c.Status == domain.PresenceOnline:
		err = tx.Raw(`INSERT INTO user_presences (user_id, status, last_event_at, node_id)
			SELECT id, 'online', ?, ? FROM users WHERE id = ?
			ON CONFLICT (user_id) DO UPDATE
			   SET status = 'online', node_id = EXCLUDED.node_id,
			       last_event_at = GREATEST(EXCLUDED.last_event_at, user_presences.last_event_at)
			 WHERE user_presences.status <> 'online'
			RETURNING user_id, status, last_event_at`, c.LastEventAt, nodeID, c.UserID).Scan(&rows).Error
		if err == nil && len(rows) == 0 {
			err = tx.Exec(`UPDATE user_presences SET node_id = ?
				WHERE user_id = ? AND status = 'online' AND node_id IS DISTINCT FROM ?`, nodeID, c.UserID, nodeID).Error
		}
	default:
		err = tx.Raw(`UPDATE user_presences
			   SET status = 'offline', last_event_at = GREATEST(?, last_event_at)
			 WHERE user_id = ? AND status = 'online' AND node_id = ?
			RETURNING user_id, status, last_event_at`, c.LastEventAt, c.UserID, nodeID).Scan(&rows).Error
	}
	if err != nil {
		return presenceRow{}, false, fmt.Errorf("set %s %s: %w", c.UserID, c.Status, err)
	}
	if len(rows) == 0 {
		return presenceRow{}, false, nil
	}
	return rows[0], true, nil
}

// announcePresence writes the presence_changed event of each change, with
// the channels the user is in now: their subscribers are the users who
// share a channel with the user.
func announcePresence(tx *gorm.DB, changes []domain.UserPresence) error {
	if len(changes) == 0 {
		return nil
	}
	ids := make([]string, len(changes))
	for i, c := range changes {
		ids[i] = c.UserID
	}
	var memberships []struct {
		UserID    string `gorm:"column:user_id"`
		ChannelID string `gorm:"column:channel_id"`
	}
	err := tx.Raw(`SELECT user_id, channel_id::text AS channel_id FROM memberships
		WHERE user_id = ANY (?::text[]) ORDER BY user_id, channel_id`, textArray(ids)).Scan(&memberships).Error
	if err != nil {
		return fmt.Errorf("read the channels of %d users: %w", len(ids), err)
	}
	channels := make(map[string][]string, len(changes))
	for _, m := range memberships {
		channels[m.UserID] = append(channels[m.UserID], m.ChannelID)
	}
	for _, c := range changes {
		p := c
		e := domain.Event{Type: domain.EventPresenceChanged, UserID: c.UserID, Presence: &p, ChannelIDs: channels[c.UserID]}
		if err := writeOutbox(tx, c.UserID, e); err != nil {
			return err
		}
	}
	return nil
}

// Presences returns the stored presence of those of ids actorID may see.
func (s *PresenceStore) Presences(ctx context.Context, actorID string, ids []string) ([]domain.UserPresence, error) {
	var rows []presenceRow
	err := s.db.inUserTx(ctx, actorID, func(tx *gorm.DB) (bool, error) {
		return false, tx.Raw(`SELECT user_id, status, last_event_at FROM user_presences
			WHERE user_id = ANY (?::text[])`, textArray(ids)).Scan(&rows).Error
	})
	if err != nil {
		return nil, classify(fmt.Sprintf("read the presence of %d users", len(ids)), err)
	}
	out := make([]domain.UserPresence, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// OwnedOnline lists the users stored as online under nodeID.
func (s *PresenceStore) OwnedOnline(ctx context.Context, nodeID string) ([]string, error) {
	var ids []string
	err := s.db.system.WithContext(ctx).Raw(`SELECT user_id FROM user_presences
		WHERE status = 'online' AND node_id = ? ORDER BY user_id`, nodeID).Scan(&ids).Error
	if err != nil {
		return nil, classify("list the online users of node "+nodeID, err)
	}
	return ids, nil
}
