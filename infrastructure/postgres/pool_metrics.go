package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"
)

// PoolCollectors returns the database/sql statistics of both pools, read
// at each scrape and labelled db_name by the role the pool logs in as:
// above all go_sql_wait_count_total and go_sql_wait_duration_seconds_total,
// the requests that found every connection busy and how long they waited,
// the first sign that a pool is too small for the load.
func (db *DB) PoolCollectors() ([]prometheus.Collector, error) {
	var out []prometheus.Collector
	for _, pool := range []struct {
		role string
		gdb  *gorm.DB
	}{{roleApp, db.app}, {roleSystem, db.system}} {
		sqlDB, err := pool.gdb.DB()
		if err != nil {
			return nil, fmt.Errorf("statistics of the %s pool: %w", pool.role, err)
		}
		out = append(out, collectors.NewDBStatsCollector(sqlDB, pool.role))
	}
	return out, nil
}

// primaryTimeout bounds the primary check of one scrape.
const primaryTimeout = 2 * time.Second

// PrimaryGauge is chatd_database_primary, checked at each scrape: 1 when
// the system pool reaches a writable primary, 0 when it reaches a
// read-only standby or nothing at all. Every write of the service needs
// the primary, so a cluster whose nodes all report 0 is down for sends.
func (db *DB) PrimaryGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatd_database_primary",
		Help: "1 when this node reaches a writable PostgreSQL primary, else 0.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), primaryTimeout)
		defer cancel()
		var standby bool
		err := db.system.WithContext(ctx).Raw("SELECT pg_is_in_recovery()").Scan(&standby).Error
		if err != nil || standby {
			return 0
		}
		return 1
	})
}
