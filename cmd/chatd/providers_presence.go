package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/infrastructure/presencetimer"
	"github.com/chatd/chat/infrastructure/telemetry"
	"github.com/chatd/chat/infrastructure/wallclock"
	"github.com/chatd/chat/interfaces/ws"
)

// presenceSet provides online presence: the use cases over their tracker
// (the delayed offline trigger), the PostgreSQL store, the node's
// liveness row, the crash sweeper and the metrics.
var presenceSet = wire.NewSet(
	postgres.NewPresenceStore,
	providePresenceTracker,
	providePresenceMetrics,
	providePresenceService,
	provideNodeLiveness,
	providePresenceWorkers,
	wire.Bind(new(presence.Store), new(*postgres.PresenceStore)),
	wire.Bind(new(presence.Trigger), new(*presence.Tracker)),
	wire.Bind(new(presence.Metrics), new(*telemetry.PresenceMetrics)),
	wire.Bind(new(ws.PresenceService), new(*presence.Service)),
)

// presenceWorkers are presence's background loops: the timer that expires
// users and writes changes, the node's liveness beat, and the sweeper.
type presenceWorkers []namedWorker

func providePresenceTracker(cfg config.Config) *presence.Tracker {
	return presence.NewTracker(cfg.PresenceTimeout)
}

func providePresenceMetrics(cfg config.Config, registry *prometheus.Registry, tracker *presence.Tracker) (*telemetry.PresenceMetrics, error) {
	return telemetry.NewPresenceMetrics(registry, cfg.NodeID, tracker.Online)
}

// providePresenceService takes the wall clock directly: the shared set
// provides wallclock.Clock, and a set may bind only what it provides.
func providePresenceService(cfg config.Config, store presence.Store, trigger presence.Trigger, clock wallclock.Clock, metrics presence.Metrics) *presence.Service {
	return presence.NewService(store, trigger, clock, metrics, presence.Config{NodeID: cfg.NodeID})
}

// provideNodeLiveness registers this node before it serves anyone: the
// sweeper takes an owner without a row for a dead one.
func provideNodeLiveness(ctx context.Context, cfg config.Config, db *postgres.DB, service *presence.Service, logger *slog.Logger) (*postgres.NodeLiveness, error) {
	liveness := postgres.NewNodeLiveness(db, cfg.NodeID, cfg.Presence.NodeHeartbeatInterval, cfg.Presence.NodeGrace, service.Reannounce, logger)
	if err := liveness.Register(ctx); err != nil {
		return nil, err
	}
	return liveness, nil
}

func providePresenceWorkers(cfg config.Config, db *postgres.DB, service *presence.Service, liveness *postgres.NodeLiveness, metrics *telemetry.PresenceMetrics, logger *slog.Logger) presenceWorkers {
	return presenceWorkers{
		{"presence timer", presencetimer.New(service, cfg.PresenceTimeout, logger)},
		{"node liveness", liveness},
		{"presence sweeper", postgres.NewPresenceSweeper(db, cfg.Presence.NodeGrace, cfg.Presence.SweepInterval, metrics.Swept, logger)},
	}
}
