package postgres

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// AppendMessage stores msg as the actor's user with the channel's next seq.
//
// It is one call of chat_append_messages (migration 00009), alone or with
// other sends that arrived at the same time (see appendBatcher), which is
// its own transaction: it takes the row locks of the batch's channels,
// checks each sender's right to send, finds earlier sends with the same
// client message id, takes the seqs and inserts the messages and their
// outbox rows. The channel row lock is what makes seq dense: concurrent
// transactions queue on it, each reads last_seq after the previous one
// committed, and the messages, the new last_seq and the outbox rows commit
// together or not at all. The same lock orders outbox rows of a channel by
// seq, which the relay keeps. A retry (same sender, channel and
// ClientMessageID) finds the stored message under the lock and returns it
// with duplicate=true.
func (s *ChatStore) AppendMessage(ctx context.Context, actor domain.Actor, msg domain.Message, ordered func()) (domain.Message, bool, error) {
	id, err := parseChannelID(msg.ChannelID)
	if err != nil {
		return domain.Message{}, false, err
	}
	if msg.SenderID != "" && msg.SenderID != actor.UserID {
		return domain.Message{}, false, domain.Errorf(domain.KindForbidden, "cannot send as another user")
	}
	status := msg.Status
	if status == "" {
		status = domain.MessageSent
	}
	stored := domain.Message{ChannelID: id, SenderID: actor.UserID, ClientMessageID: msg.ClientMessageID, Body: msg.Body, Status: status}
	// chat_append_messages writes the message_created event itself, from
	// the row it stored.
	out, err := s.appends.append(ctx, &appendCall{
		actor: actor.UserID, proof: actorProof(s.db.actorKey, actor.UserID), channel: id,
		clientMessageID: msg.ClientMessageID, body: msg.Body, status: string(status), origin: actor.SessionID,
		ordered: ordered,
	})
	if err != nil {
		return domain.Message{}, false, classify("append message", err)
	}
	switch out.status {
	case "not_found":
		return domain.Message{}, false, classify("append message", domain.ErrChannelNotFound)
	case "not_member":
		return domain.Message{}, false, classify("append message", domain.ErrNotMember)
	case "fenced":
		return domain.Message{}, false, classify("append message", errFenced)
	case "stored", "duplicate":
	default:
		return domain.Message{}, false, fmt.Errorf("append message: unexpected outcome %q", out.status)
	}
	stored.ID, stored.Seq, stored.Body = out.id.String, out.seq.Int64, out.body.String
	stored.Status, stored.CreatedAt = domain.MessageStatus(out.msgStatus.String), out.createdAt.Time.UTC()
	stored.MemberVersion = out.memberVersion.Int64
	return stored, out.status == "duplicate", nil
}

// Messages returns one page of history in ascending seq. It reads one row
// more than the page holds to learn whether more lie beyond it: after
// AfterSeq that means newer messages, below BeforeSeq older ones.
func (s *ChatStore) Messages(ctx context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error) {
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
	err = s.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
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
