package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
)

// Shards is this node's view of the shard map, with open pools on every
// shard: which database holds a channel, and the second consistent hash
// ring (the first places users on gateway nodes), which places new
// channels by their id over the active shards, weighted.
//
// The directory (DATABASE_URL) holds the map. A shard is a full database
// with the same migrations, roles, policies and actor key, used through
// the same unprivileged logins; its URL names the owner in development
// (Open migrates it) or chat_app in production (`chatd migrate` first),
// with the passwords of Config shared by every shard.
type Shards struct {
	dir    *DB
	base   Config
	logger *slog.Logger
	sizes  prometheus.Histogram

	// home is the directory as a store: for the channels it holds when it
	// is a shard of the map, and to answer "not found" for ids it does
	// not know when it is not.
	home *shard

	mu      sync.RWMutex
	byID    map[string]*shard
	retired []*shard // removed from the map, pools still open
	ring    *domain.Ring
	// ringKey names the active shards and weights ring was built from
	// (ringKeyOf), so a refresh that finds the same rebuilds nothing.
	ringKey string
	placed  placements
}

// shard is one database of the map and the store over it.
type shard struct {
	spec  ShardSpec
	db    *DB
	store *ChatStore
	users knownUsers
}

// OpenShards reads the shard map from the directory, writing initial as
// the first map of a new deployment (the directory alone when empty), and
// opens every shard. cfg is the directory's Config: its actor key and
// passwords serve every shard.
func OpenShards(ctx context.Context, dir *DB, cfg Config, initial []ShardSpec, logger *slog.Logger) (*Shards, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	specs, kept, err := dir.bootstrapShards(ctx, initial)
	if err != nil {
		return nil, err
	}
	if kept && len(initial) > 0 && !sameShards(specs, initial) {
		logger.Warn("CHAT_SHARD_URLS differs from the shard map in the directory, which wins: change shards through /admin/v1/shards",
			"map_shards", len(specs), "configured_shards", len(initial))
	}
	s := &Shards{dir: dir, base: cfg, logger: logger, sizes: newBatchSizes(), byID: map[string]*shard{}}
	s.home = &shard{db: dir, store: newChatStore(dir, s.sizes)}
	// Opening migrates each shard: in parallel, as a node's start waits.
	opened := make([]*shard, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opened[i], errs[i] = s.connect(ctx, spec)
		}()
	}
	wg.Wait()
	for i, spec := range specs {
		if errs[i] == nil {
			opened[i].spec = spec
			s.byID[spec.ID] = opened[i]
			s.logger.Info("shard open", "shard", shardLabel(spec))
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.Close()
		return nil, err
	}
	if s.ring, err = buildRing(specs); err != nil {
		s.Close()
		return nil, err
	}
	s.ringKey = ringKeyOf(specs)
	return s, nil
}

// buildRing places new channels over the active shards of specs. It
// costs about 0.5 ms per unit of weight (1,024 ring points each): a
// refresh builds it only when ringKeyOf changed, and outside the lock that
// every send's placement takes.
func buildRing(specs []ShardSpec) (*domain.Ring, error) {
	var nodes []domain.RingNode
	for _, spec := range specs {
		if spec.State == ShardActive {
			nodes = append(nodes, domain.RingNode{ID: spec.ID, Weight: spec.Weight})
		}
	}
	if len(nodes) == 0 {
		return nil, errors.New("the shard map has no active shard")
	}
	ring, err := domain.NewRing(nodes, 0)
	if err != nil {
		return nil, fmt.Errorf("build the shard ring: %w", err)
	}
	return ring, nil
}

// ringKeyOf names what the ring depends on: the active shards, in id
// order, with their weights.
func ringKeyOf(specs []ShardSpec) string {
	var active []string
	for _, spec := range specs {
		if spec.State == ShardActive {
			active = append(active, fmt.Sprintf("%s:%d", spec.ID, spec.Weight))
		}
	}
	slices.Sort(active)
	return strings.Join(active, ",")
}

// Close closes every shard's pools but the directory's.
func (s *Shards) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, sh := range s.retired {
		errs = append(errs, sh.db.Close())
	}
	for _, sh := range s.byID {
		if sh.db != s.dir {
			errs = append(errs, sh.db.Close())
		}
	}
	return errors.Join(errs...)
}

// BatchSizes is the send path's histogram of sends per transaction, over
// every shard.
func (s *Shards) BatchSizes() prometheus.Collector { return s.sizes }

// Directory is the directory's database.
func (s *Shards) Directory() *DB { return s.dir }

// owner is the shard the ring gives a new channel.
func (s *Shards) owner(channelID string) (*shard, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	node, ok := s.ring.Owner(channelID)
	if !ok {
		return nil, errors.New("the shard ring is empty")
	}
	return s.byID[node.ID], nil
}

// byShardID is the shard of the map with id; "" is the directory.
func (s *Shards) byShardID(id string) (*shard, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id == "" {
		return s.home, nil
	}
	sh, ok := s.byID[id]
	if !ok {
		return nil, fmt.Errorf("shard %s is not in this node's map: %w", id, domain.ErrUnavailable)
	}
	return sh, nil
}

// specOf reads a shard's spec under the lock that Refresh changes its
// weight and state under.
func (s *Shards) specOf(sh *shard) ShardSpec {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sh.spec
}

// isDirectory reports whether sh is the directory's own database.
func (sh *shard) isDirectory() bool { return sh.spec.URL == "" }

// all returns every shard of the map.
func (s *Shards) all() []*shard {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*shard, 0, len(s.byID))
	for _, sh := range s.byID {
		out = append(out, sh)
	}
	// In id order, so that listings (GET /admin/v1/shards) are stable.
	slices.SortFunc(out, func(a, b *shard) int { return strings.Compare(a.spec.ID, b.spec.ID) })
	return out
}
