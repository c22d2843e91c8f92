package postgres

import (
	"fmt"

	"github.com/chatd/chat/infrastructure/eventcodec"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// writeOutbox records e in the outbox inside the transaction that made the
// change, so the event exists exactly when the change does. actorID must be
// the transaction's acting user: chat_app may write only its own events.
// An event of no single channel (presence_changed) has a NULL channel_id.
func writeOutbox(tx *gorm.DB, actorID string, e domain.Event) error {
	data, err := eventcodec.EncodeEvent(e)
	if err != nil {
		return err
	}
	err = tx.Exec("INSERT INTO outbox (channel_id, actor_id, event) VALUES (NULLIF(?, '')::uuid, ?, ?::jsonb)",
		e.ChannelID, actorID, string(data)).Error
	if err != nil {
		return fmt.Errorf("write %s event to the outbox: %w", e.Type, err)
	}
	return nil
}
