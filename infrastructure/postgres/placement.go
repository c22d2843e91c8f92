package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxCachedPlacements bounds the placement cache; past it the cache starts
// over (a miss costs one primary-key read of the directory).
const maxCachedPlacements = 1 << 20

// placements caches where channels live: channel id to shard id, "" for
// the directory. A channel's placement is written once, when the
// directory indexes it, so an entry stays true until the channel moves.
type placements struct {
	m sync.Map
	n atomic.Int64
}

func (p *placements) load(id string) (string, bool) {
	v, ok := p.m.Load(id)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (p *placements) store(id, shardID string) {
	if p.n.Add(1) > maxCachedPlacements {
		p.m.Clear()
		p.n.Store(1)
	}
	p.m.Store(id, shardID)
}

// locate returns the shard that holds a channel. A channel the directory
// does not know routes to the directory, which answers not found.
func (s *Shards) locate(ctx context.Context, channelID string) (*shard, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return nil, err
	}
	if shardID, ok := s.placed.load(id); ok {
		return s.resolve(ctx, shardID)
	}
	found, err := s.lookUp(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	shardID, ok := found[id]
	if !ok {
		return s.home, nil
	}
	return s.resolve(ctx, shardID)
}

// group sorts channel ids by the shard that holds them, as the directory
// says now; ids it does not know are left out. It reads the directory
// rather than the cache: its callers (fan-out member lookups, the admin
// API) have no retry that would notice a channel moved since it was
// cached, and an answer from the old shard would be "nobody".
func (s *Shards) group(ctx context.Context, channelIDs []string) (map[*shard][]string, error) {
	out := map[*shard][]string{}
	if len(channelIDs) == 0 {
		return out, nil
	}
	if s.directoryOnly() {
		// Every channel is the directory's: no placement to read.
		out[s.home] = channelIDs
		return out, nil
	}
	found, err := s.lookUp(ctx, channelIDs)
	if err != nil {
		return nil, err
	}
	for id, shardID := range found {
		sh, err := s.resolve(ctx, shardID)
		if err != nil {
			return nil, err
		}
		out[sh] = append(out[sh], id)
	}
	return out, nil
}

// locateNow is locate past the cache (see group).
func (s *Shards) locateNow(ctx context.Context, channelID string) (*shard, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return nil, err
	}
	byShard, err := s.group(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	for sh := range byShard {
		return sh, nil
	}
	return s.home, nil
}

// lookUp reads the placement of channels from the directory, as the
// system: routing is the service's decision, made before any user-scoped
// check, which the shard then makes.
func (s *Shards) lookUp(ctx context.Context, ids []string) (map[string]string, error) {
	var rows []struct {
		ID      string         `gorm:"column:id"`
		ShardID sql.NullString `gorm:"column:shard_id"`
	}
	err := s.dir.system.WithContext(ctx).
		Raw("SELECT id::text AS id, shard_id FROM channels WHERE id = ANY (?::uuid[])", textArray(ids)).Scan(&rows).Error
	if err != nil {
		return nil, classify(fmt.Sprintf("look up where %d channels live", len(ids)), err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.ShardID.String
		s.placed.store(r.ID, r.ShardID.String)
	}
	return out, nil
}

// forget drops a channel's cached placement: it is moving.
func (s *Shards) forget(channelID string) {
	if id, err := parseChannelID(channelID); err == nil {
		s.placed.m.Delete(id)
	}
}

// relocated reports whether a channel that sh did not have lives
// elsewhere now or is being moved: then the caller should try again.
func (s *Shards) relocated(ctx context.Context, channelID string, sh *shard) (bool, error) {
	id, err := parseChannelID(channelID)
	if err != nil {
		return false, nil
	}
	s.placed.m.Delete(id)
	found, err := s.lookUp(ctx, []string{id})
	if err != nil {
		return false, err
	}
	shardID, ok := found[id]
	if !ok {
		return false, nil
	}
	now, err := s.resolve(ctx, shardID)
	if err != nil {
		return false, err
	}
	if now != sh {
		return true, nil
	}
	var moving bool
	err = s.dir.system.WithContext(ctx).
		Raw("SELECT EXISTS (SELECT 1 FROM shard_moves WHERE channel_id = ?::uuid)", id).Scan(&moving).Error
	if err != nil {
		return false, classify("check for a move in progress", err)
	}
	return moving, nil
}

// resolve is byShardID for a placement just read: a shard this node does
// not know yet was added by another node, so the map is read again.
func (s *Shards) resolve(ctx context.Context, shardID string) (*shard, error) {
	sh, err := s.byShardID(shardID)
	if err == nil {
		return sh, nil
	}
	if rerr := s.Refresh(ctx); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	return s.byShardID(shardID)
}

// directoryOnly reports whether the directory is the only database of
// the map (the default deployment). Nothing can have moved then: a shard
// joins the map before the mover gives it any channel.
func (s *Shards) directoryOnly() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID) == 1 && s.byID[s.home.spec.ID] == s.home && s.home.spec.ID != ""
}
