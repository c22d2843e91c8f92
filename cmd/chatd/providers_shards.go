package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres"
)

// provideShards opens the shard map: the shards CHAT_SHARD_URLS names for
// a new deployment, else the directory alone, or the map the directory
// already keeps.
func provideShards(ctx context.Context, cfg config.Config, db *postgres.DB, registry *prometheus.Registry, logger *slog.Logger) (*postgres.Shards, func(), error) {
	initial, err := postgres.ParseShardURLs(cfg.Shards.URLs)
	if err != nil {
		return nil, nil, err
	}
	shards, err := postgres.OpenShards(ctx, db, dbConfig(cfg), initial, logger)
	if err != nil {
		return nil, nil, err
	}
	if err := registry.Register(shards.BatchSizes()); err != nil {
		shards.Close()
		return nil, nil, err
	}
	return shards, func() {
		if err := shards.Close(); err != nil {
			logger.Warn("close shards", "err", err)
		}
	}, nil
}

// provideChatStore returns the chat store over the shards.
func provideChatStore(shards *postgres.Shards, logger *slog.Logger) *postgres.ShardedStore {
	return postgres.NewShardedStore(shards, logger)
}

func provideRelays(shards *postgres.Shards, sink postgres.EventSink, logger *slog.Logger) *postgres.ShardRelays {
	return postgres.NewShardRelays(shards, sink, logger, outboxPollInterval)
}

// provideShardAdmin lets the operator list, add and drain shards; in
// embedded mode a shard added without a URL gets a database of the local
// cluster.
func provideShardAdmin(cfg config.Config, shards *postgres.Shards, mover *postgres.ShardMover) *postgres.ShardAdmin {
	return postgres.NewShardAdmin(shards, mover, cfg.Shards.CreateLocal)
}

func provideReconciler(cfg config.Config, shards *postgres.Shards, logger *slog.Logger) *postgres.Reconciler {
	return postgres.NewReconciler(shards, cfg.Shards.ReconcileGrace, cfg.Shards.ReconcileInterval, logger)
}
