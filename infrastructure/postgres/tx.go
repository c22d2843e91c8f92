package postgres

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// inUserTx runs fn in a transaction on the chat_app pool with userID as the
// acting user, proven by its HMAC under the actor key (migration 00010):
// a session that sets app.user_id to someone else without the key acts as
// nobody. set_config(..., true) is SET LOCAL with bound parameters: the
// settings end with the transaction, so a pooled connection never carries
// one user's identity into another's work. If fn reports that it wrote
// outbox rows (wroteOutbox), the relay is woken after the commit.
func (db *DB) inUserTx(ctx context.Context, userID string, fn func(tx *gorm.DB) (wroteOutbox bool, err error)) error {
	wrote := false
	err := db.app.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT set_config('app.user_id', ?, true), set_config('app.user_proof', ?, true)",
			userID, actorProof(db.actorKey, userID)).Error; err != nil {
			return fmt.Errorf("set acting user: %w", err)
		}
		var err error
		wrote, err = fn(tx)
		return err
	})
	if err != nil {
		return err
	}
	if wrote {
		db.wakeRelay()
	}
	return nil
}

// inSystemTx runs fn in a transaction on the chat_system pool.
func (db *DB) inSystemTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.system.WithContext(ctx).Transaction(fn)
}

// wakeRelay tells the relay that committed outbox rows wait. It never
// blocks: if a wake is pending already, the relay will see these rows too.
func (db *DB) wakeRelay() {
	select {
	case db.outboxWake <- struct{}{}:
	default:
	}
}
