package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/domain"
)

// Presence returns the user's row of user_presences; a user without one
// has never been seen (Seen false).
func (s *AdminStore) Presence(ctx context.Context, userID string) (admin.Presence, error) {
	var rows []struct {
		UserID      string     `gorm:"column:id"`
		Status      *string    `gorm:"column:status"`
		LastEventAt *time.Time `gorm:"column:last_event_at"`
		NodeID      *string    `gorm:"column:node_id"`
	}
	err := s.db.system.WithContext(ctx).Raw(`SELECT u.id, p.status, p.last_event_at, p.node_id
		FROM users u LEFT JOIN user_presences p ON p.user_id = u.id WHERE u.id = ?`, userID).Scan(&rows).Error
	if err != nil {
		return admin.Presence{}, classify(fmt.Sprintf("presence of %q", userID), err)
	}
	if len(rows) == 0 {
		return admin.Presence{}, domain.ErrUserNotFound
	}
	r := rows[0]
	p := admin.Presence{UserPresence: domain.UserPresence{UserID: r.UserID, Status: domain.PresenceOffline}}
	if r.Status != nil {
		p.Seen = true
		p.Status = domain.PresenceStatus(*r.Status)
	}
	if r.LastEventAt != nil {
		p.LastEventAt = r.LastEventAt.UTC()
	}
	if r.NodeID != nil {
		p.NodeID = *r.NodeID
	}
	return p, nil
}
