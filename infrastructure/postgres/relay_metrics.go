package postgres

import (
	"context"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

// BacklogGauge is a Prometheus gauge of Backlog, counted at each scrape
// (NaN when the database does not answer) rather than on the relay's hot
// path.
func (r *OutboxRelay) BacklogGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatd_outbox_backlog",
		Help: "Outbox rows committed but not yet acknowledged by the broker.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
		defer cancel()
		n, err := r.Backlog(ctx)
		if err != nil {
			r.logger.Warn("cannot count the outbox backlog for a metrics scrape", "err", err)
			return math.NaN()
		}
		return float64(n)
	})
}
