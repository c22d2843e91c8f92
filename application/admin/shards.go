package admin

import (
	"context"
	"fmt"
	"time"
)

// Shard is one database of the partitioned channel store, as the operator
// sees it.
type Shard struct {
	ID string
	// URL is where the shard is, its password hidden; empty for the
	// directory's own database.
	URL    string
	Weight int
	// State is "active" (on the ring) or "draining" (giving its channels
	// away, then leaving the map).
	State string
	// Share is the fraction of the ring, so of new channels, it owns.
	Share float64
	// Channels is how many channels the directory places on it;
	// Messages how many messages it holds (counted up to 100,000, past
	// that an estimate; 0 when unreachable).
	Channels, Messages int64
	Reachable          bool
}

// ShardMove is a channel moving, or moved, between shards.
type ShardMove struct {
	ChannelID, From, To string
	// Fence is how long sends to the channel waited (finished moves).
	Fence time.Duration
	At    time.Time
}

// ShardStatus is the shard map with its moves.
type ShardStatus struct {
	Shards []Shard
	// Moving are the moves in progress (the directory's journal).
	Moving []ShardMove
	// Recent, MovesDone and LongestFence describe the moves of the node
	// that answers, since it started, when its mover did them.
	Recent       []ShardMove
	MovesDone    int
	LongestFence time.Duration
}

// ShardMap lists and changes the shards of the channel store.
type ShardMap interface {
	Shards(ctx context.Context) (ShardStatus, error)
	// AddShard puts a new, empty database on the ring (url empty: created
	// by the service, embedded mode only); weight 0 means 1.
	AddShard(ctx context.Context, id, url string, weight int) (Shard, error)
	// DrainShard takes a shard off the ring; it leaves the map once its
	// channels have moved.
	DrainShard(ctx context.Context, id string) error
	// SetShardWeight changes an active shard's share of the ring; the
	// channels whose owner changed move.
	SetShardWeight(ctx context.Context, id string, weight int) (Shard, error)
}

// Shards returns the shard map and its moves.
func (s *Service) Shards(ctx context.Context) (ShardStatus, error) {
	st, err := s.shards.Shards(ctx)
	if err != nil {
		return ShardStatus{}, fmt.Errorf("list shards: %w", err)
	}
	return st, nil
}

// AddShard adds a shard to the map.
func (s *Service) AddShard(ctx context.Context, id, url string, weight int) (Shard, error) {
	sh, err := s.shards.AddShard(ctx, id, url, weight)
	if err != nil {
		return Shard{}, fmt.Errorf("add shard %q: %w", id, err)
	}
	return sh, nil
}

// DrainShard drains a shard.
func (s *Service) DrainShard(ctx context.Context, id string) error {
	if err := s.shards.DrainShard(ctx, id); err != nil {
		return fmt.Errorf("drain shard %q: %w", id, err)
	}
	return nil
}

// SetShardWeight changes a shard's weight.
func (s *Service) SetShardWeight(ctx context.Context, id string, weight int) (Shard, error) {
	sh, err := s.shards.SetShardWeight(ctx, id, weight)
	if err != nil {
		return Shard{}, fmt.Errorf("set the weight of shard %q: %w", id, err)
	}
	return sh, nil
}
