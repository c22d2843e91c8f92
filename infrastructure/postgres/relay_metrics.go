package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// backlogTimeout bounds the count behind one scrape of the backlog gauge.
const backlogTimeout = 2 * time.Second

// Backlog counts the outbox rows not yet relayed: committed changes whose
// events the broker has not acknowledged. It grows while the broker is
// down and should fall back to about zero within a poll interval after.
func (r *OutboxRelay) Backlog(ctx context.Context) (int64, error) {
	var n int64
	err := r.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT count(*) FROM outbox").Scan(&n).Error
	})
	if err != nil {
		return 0, classify("count outbox backlog", err)
	}
	return n, nil
}
