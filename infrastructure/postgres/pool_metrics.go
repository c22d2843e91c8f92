package postgres

import (
	"fmt"

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
