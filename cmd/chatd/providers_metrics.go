package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/infrastructure/cluster"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/infrastructure/telemetry"
	"github.com/chatd/chat/interfaces/ws"
)

// provideGatewayMetrics is the gateway's metrics port, bound to the registry.
func provideGatewayMetrics(registry *prometheus.Registry) (ws.Metrics, error) {
	return telemetry.NewGatewayMetrics(registry)
}

// registerDBMetrics exports the pools' wait statistics and whether the
// primary is reachable (provideDB).
func registerDBMetrics(db *postgres.DB, registry *prometheus.Registry) error {
	cols, err := db.PoolCollectors()
	if err != nil {
		return err
	}
	cols = append(cols, db.PrimaryGauge())
	for _, c := range cols {
		if err := registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// registerRingMetrics exports the ring's size, shares and changes
// (provideMembership).
func registerRingMetrics(m *cluster.Membership, registry *prometheus.Registry) error {
	return registry.Register(m.Collector())
}
