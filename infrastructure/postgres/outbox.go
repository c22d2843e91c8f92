package postgres

import (
	"fmt"

	"github.com/chatd/chat/infrastructure/eventcodec"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// recordEvent records e in the outbox inside the user's transaction that
// made the change, so the event exists exactly when the change does.
// chat_app cannot write the outbox itself: chat_record_event accepts only
// an event of the acting user that the stored rows confirm (migration
// 00010), so no session can make a client receive an event that did not
// happen.
func recordEvent(tx *gorm.DB, e domain.Event) error {
	data, err := eventcodec.EncodeEvent(e)
	if err != nil {
		return err
	}
	if err := tx.Exec("SELECT chat_record_event(?::jsonb)", string(data)).Error; err != nil {
		return fmt.Errorf("record the %s event: %w", e.Type, err)
	}
	return nil
}

// writeOutbox records e in the outbox inside a system transaction (admin
// paths, presence), whose role may write any event. An event of no single
// channel (presence_changed) has a NULL channel_id.
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
