package postgres

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// AppendMessage stores msg as actorID with the channel's next seq.
//
// The channel row lock is what makes seq dense: concurrent senders queue on
// it, each reads last_seq after the previous one committed, and the message,
// the new last_seq and the outbox row commit together or not at all. The
// same lock orders outbox rows of a channel by seq, which the relay keeps.
// A retry (same sender, channel and ClientMessageID) finds the stored
// message under the lock and returns it with duplicate=true.
func (s *ChatStore) AppendMessage(ctx context.Context, actorID string, msg domain.Message, origin string) (domain.Message, bool, error) {
	id, err := parseChannelID(msg.ChannelID)
	if err != nil {
		return domain.Message{}, false, err
	}
	if msg.SenderID != "" && msg.SenderID != actorID {
		return domain.Message{}, false, domain.Errorf(domain.KindForbidden, "cannot send as another user")
	}
	status := msg.Status
	if status == "" {
		status = domain.MessageSent
	}
	var stored domain.Message
	var duplicate bool
	err = s.db.inUserTx(ctx, actorID, func(tx *gorm.DB) (bool, error) {
		if _, err := memberChannel(tx, id, true); err != nil {
			return false, err
		}
		existing, found, err := messageByClientID(tx, id, actorID, msg.ClientMessageID)
		if err != nil {
			return false, err
		}
		if found {
			stored, duplicate = existing, true
			return false, nil
		}
		var seq int64
		if err := tx.Raw("UPDATE channels SET last_seq = last_seq + 1 WHERE id = ?::uuid RETURNING last_seq", id).
			Scan(&seq).Error; err != nil {
			return false, fmt.Errorf("take next seq: %w", err)
		}
		var row messageRow
		err = tx.Raw(`INSERT INTO messages (channel_id, seq, sender_id, client_message_id, body, status, created_at)
			VALUES (?::uuid, ?, ?, ?, ?, ?, date_trunc('milliseconds', clock_timestamp()))
			RETURNING `+messageColumns,
			id, seq, actorID, msg.ClientMessageID, msg.Body, string(status)).Scan(&row).Error
		if err != nil {
			return false, fmt.Errorf("insert message: %w", err)
		}
		stored = row.domain()
		event := domain.Event{Type: domain.EventMessageCreated, ChannelID: id, Message: &stored, OriginSession: origin}
		return true, writeOutbox(tx, actorID, event)
	})
	if err != nil {
		return domain.Message{}, false, classify("append message", err)
	}
	return stored, duplicate, nil
}

func messageByClientID(tx *gorm.DB, channelID, senderID, clientMessageID string) (domain.Message, bool, error) {
	var row messageRow
	res := tx.Raw("SELECT "+messageColumns+` FROM messages
		WHERE channel_id = ?::uuid AND sender_id = ? AND client_message_id = ?`,
		channelID, senderID, clientMessageID).Scan(&row)
	if res.Error != nil {
		return domain.Message{}, false, fmt.Errorf("look up client message id: %w", res.Error)
	}
	return row.domain(), res.RowsAffected > 0, nil
}

// Messages returns one page of history in ascending seq. It reads one row
// more than the page holds to learn whether more lie beyond it: after
// AfterSeq that means newer messages, below BeforeSeq older ones.
func (s *ChatStore) Messages(ctx context.Context, actorID, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return nil, false, err
	}
	limit := page.Limit
	if limit <= 0 {
		limit = domain.DefaultPageLimit
	}
	limit = min(limit, domain.MaxPageLimit)
	var rows []messageRow
	err = s.db.inUserTx(ctx, actorID, func(tx *gorm.DB) (bool, error) {
		if _, err := memberChannel(tx, id, false); err != nil {
			return false, err
		}
		query := "SELECT " + messageColumns + " FROM messages WHERE channel_id = ?::uuid AND seq > ? ORDER BY seq LIMIT ?"
		bound := page.AfterSeq
		if page.BeforeSeq > 0 {
			query = "SELECT " + messageColumns + " FROM messages WHERE channel_id = ?::uuid AND seq < ? ORDER BY seq DESC LIMIT ?"
			bound = page.BeforeSeq
		}
		if err := tx.Raw(query, id, bound, limit+1).Scan(&rows).Error; err != nil {
			return false, fmt.Errorf("read history: %w", err)
		}
		return false, nil
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
