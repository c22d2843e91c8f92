package config

import (
	"fmt"
	"time"
)

// Shards says which PostgreSQL databases hold the channels (docs/scaling.md,
// docs/consistent-hashing.md). DATABASE_URL is always the directory.
type Shards struct {
	// URLs is CHAT_SHARD_URLS, comma-separated id=postgres-url pairs: the
	// shards a new deployment starts with. Empty: the directory is the
	// only shard. Once the directory holds a shard map, it wins; shards
	// are then added and drained through /admin/v1/shards.
	URLs string
	// Embedded is CHAT_EMBEDDED_SHARDS (default 1), the shard databases
	// embedded mode creates in its local cluster; 1 is the directory
	// alone.
	Embedded int
	// ReconcileGrace is how old a directory index row's pending mark must
	// be before the reconciler completes its change on the shard
	// (CHAT_SHARD_RECONCILE_GRACE); it must exceed any request's duration.
	ReconcileGrace time.Duration
	// CreateLocal lets POST /admin/v1/shards create a shard's database
	// beside the directory when no URL is given: embedded mode, set by
	// main once the local cluster runs.
	CreateLocal bool
	// ReconcileInterval is how often each node looks for such rows: every
	// 5 s, or every grace period when that is shorter.
	ReconcileInterval time.Duration
}

// maxEmbeddedShards bounds CHAT_EMBEDDED_SHARDS: each shard opens pools of
// up to 30 connections beside the directory's, and the local cluster
// allows 200 (infrastructure/pgembed/pg.sh).
const maxEmbeddedShards = 4

func loadShards(getenv func(string) string) (Shards, error) {
	s := Shards{URLs: getenv("CHAT_SHARD_URLS")}
	var err error
	if s.Embedded, err = positiveInt(getenv, "CHAT_EMBEDDED_SHARDS", 1); err != nil {
		return Shards{}, err
	}
	if s.Embedded > maxEmbeddedShards {
		return Shards{}, fmt.Errorf("CHAT_EMBEDDED_SHARDS=%d: at most %d in embedded mode (each shard opens its own connection pools)", s.Embedded, maxEmbeddedShards)
	}
	if s.ReconcileGrace, err = duration(getenv, "CHAT_SHARD_RECONCILE_GRACE", 30*time.Second); err != nil {
		return Shards{}, err
	}
	// Looking at least once per grace period keeps a repair's delay
	// within two of them.
	s.ReconcileInterval = min(5*time.Second, s.ReconcileGrace)
	return s, nil
}
