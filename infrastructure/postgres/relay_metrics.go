package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"
)

const (
	// backlogTimeout bounds the count behind one scrape of the backlog gauge.
	backlogTimeout = 2 * time.Second
	// backlogExact is how many outbox rows a scrape counts one by one.
	// Past it the count would read the whole backlog on every scrape,
	// just when the database is already behind (the broker down for an
	// hour holds millions of rows), so the gauge reports the id span
	// instead.
	backlogExact = 10_000
)

// Backlog counts the outbox rows not yet relayed: committed changes whose
// events the broker has not acknowledged. It grows while the broker is
// down and should fall back to about zero within a poll interval after.
// Up to backlogExact it is exact; past it, it is the span of the ids left
// (two lookups at the ends of the primary key), which can only count too
// many: ids are never reused, and rows published out of order or ids of
// rolled-back transactions leave holes inside the span.
func (r *OutboxRelay) Backlog(ctx context.Context) (int64, error) {
	var n int64
	err := r.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		exact, over, err := countUpTo(tx, "outbox", backlogExact)
		if err != nil || !over {
			n = exact
			return err
		}
		return tx.Raw("SELECT coalesce(max(id) - min(id) + 1, 0) FROM outbox").Scan(&n).Error
	})
	if err != nil {
		return 0, classify("count outbox backlog", err)
	}
	return n, nil
}
