package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chat/domain"
)

// refreshInterval is how often a node reads the shard map, so that every
// node sees a shard added or drained within about that long.
const refreshInterval = 2 * time.Second

// listShards reads the shard map.
func (db *DB) listShards(ctx context.Context) ([]ShardSpec, error) {
	var specs []ShardSpec
	if err := db.system.WithContext(ctx).Raw("SELECT id, url, weight, state FROM shards ORDER BY id").Scan(&specs).Error; err != nil {
		return nil, classify("read the shard map", err)
	}
	return specs, nil
}

// Refresh brings this node's view up to the shard map in the directory:
// it opens the shards added since, forgets the ones removed, and rebuilds
// the ring when the active shards or their weights changed (buildRing).
func (s *Shards) Refresh(ctx context.Context) error {
	specs, err := s.dir.listShards(ctx)
	if err != nil {
		return err
	}
	key := ringKeyOf(specs)
	s.mu.RLock()
	var added []ShardSpec
	for _, spec := range specs {
		if _, ok := s.byID[spec.ID]; !ok {
			added = append(added, spec)
		}
	}
	sameRing := key == s.ringKey
	s.mu.RUnlock()
	var ring *domain.Ring
	if !sameRing {
		if ring, err = buildRing(specs); err != nil {
			return err
		}
	}
	// Opening migrates and connects, which takes a while: outside the lock.
	opened := map[string]*shard{}
	for _, spec := range added {
		sh, err := s.connect(ctx, spec)
		if err != nil {
			for _, o := range opened {
				o.db.Close()
			}
			return err
		}
		opened[spec.ID] = sh
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]*shard, len(specs))
	for _, spec := range specs {
		sh := s.byID[spec.ID]
		if sh == nil {
			sh = opened[spec.ID]
			s.logger.Info("shard added to the map", "shard", shardLabel(spec))
		}
		// Only weight and state change; id and URL are fixed for a
		// shard's life, which is why they may be read without the lock.
		sh.spec.Weight, sh.spec.State = spec.Weight, spec.State
		next[spec.ID] = sh
	}
	for id, sh := range s.byID {
		if _, ok := next[id]; !ok && sh != s.home {
			s.logger.Info("shard removed from the map", "shard", id)
			// Closed once its relay has stopped (ShardRelays).
			s.retired = append(s.retired, sh)
		}
	}
	s.byID = next
	if ring != nil {
		s.ring, s.ringKey = ring, key
	}
	return nil
}

// connect opens one shard of the map (the directory's own entry reuses
// the directory's pools).
func (s *Shards) connect(ctx context.Context, spec ShardSpec) (*shard, error) {
	if spec.URL == "" {
		return s.home, nil
	}
	cfg := s.base
	cfg.URL = spec.URL
	db, err := Open(ctx, cfg, s.logger.With("shard", spec.ID))
	if err != nil {
		return nil, fmt.Errorf("open shard %s: %w", spec.ID, err)
	}
	return &shard{spec: spec, db: db, store: newChatStore(db, s.sizes)}, nil
}

// closeRetired closes the pools of shards that left the map.
func (s *Shards) closeRetired() {
	s.mu.Lock()
	retired := s.retired
	s.retired = nil
	s.mu.Unlock()
	for _, sh := range retired {
		if err := sh.db.Close(); err != nil {
			s.logger.Warn("close a removed shard", "shard", sh.spec.ID, "err", err)
		}
	}
}
