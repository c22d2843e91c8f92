package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// DirectoryShardID names the directory in the shard map when it holds
// channel data itself: a deployment started without CHAT_SHARD_URLS.
const DirectoryShardID = "main"

// Shard states. A draining shard keeps serving its channels but is off
// the ring, so it gets no new ones.
const (
	ShardActive   = "active"
	ShardDraining = "draining"
)

// ShardSpec is one row of the shard map.
type ShardSpec struct {
	ID string `gorm:"column:id"`
	// URL is empty for the directory's own database.
	URL    string `gorm:"column:url"`
	Weight int    `gorm:"column:weight"`
	State  string `gorm:"column:state"`
}

var shardIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ParseShardURLs reads CHAT_SHARD_URLS: comma-separated id=url pairs. Every
// shard named there starts at weight 1; weights are the admin API's (a
// URL may hold any character a weight suffix would need).
func ParseShardURLs(s string) ([]ShardSpec, error) {
	var out []ShardSpec
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, url, ok := strings.Cut(part, "=")
		if !ok || url == "" {
			return nil, fmt.Errorf("CHAT_SHARD_URLS: %q is not id=postgres-url", part)
		}
		if !shardIDPattern.MatchString(id) {
			return nil, fmt.Errorf("CHAT_SHARD_URLS: shard id %q: use 1 to 32 of a-z, 0-9, '-' and '_'", id)
		}
		if seen[id] {
			return nil, fmt.Errorf("CHAT_SHARD_URLS: shard id %q listed twice", id)
		}
		seen[id] = true
		out = append(out, ShardSpec{ID: id, URL: url, Weight: 1, State: ShardActive})
	}
	return out, nil
}

// shardMapLock keys the transaction lock under which nodes starting
// together write the first shard map, so exactly one of them does.
const shardMapLock int64 = 0x63686174_73686d70 // "chatshmp"

// bootstrapShards writes the first shard map of a deployment: initial, or
// the directory alone when initial is empty. A map that exists already is
// kept (it is changed through the admin API, not by restarting with other
// settings) and returned.
func (db *DB) bootstrapShards(ctx context.Context, initial []ShardSpec) (specs []ShardSpec, kept bool, err error) {
	if len(initial) == 0 {
		initial = []ShardSpec{{ID: DirectoryShardID, Weight: 1, State: ShardActive}}
	}
	err = db.inSystemTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", shardMapLock).Error; err != nil {
			return fmt.Errorf("lock the shard map: %w", err)
		}
		if err := tx.Raw("SELECT id, url, weight, state FROM shards ORDER BY id").Scan(&specs).Error; err != nil {
			return fmt.Errorf("read the shard map: %w", err)
		}
		if len(specs) > 0 {
			kept = true
			return nil
		}
		for _, s := range initial {
			err := tx.Exec("INSERT INTO shards (id, url, weight, state) VALUES (?, ?, ?, ?)", s.ID, s.URL, s.Weight, s.State).Error
			if err != nil {
				return fmt.Errorf("write shard %s: %w", s.ID, err)
			}
		}
		specs = initial
		return nil
	})
	if err != nil {
		return nil, false, classify("bootstrap the shard map", err)
	}
	return specs, kept, nil
}

// sameShards reports whether two maps name the same shards at the same URLs.
func sameShards(a, b []ShardSpec) bool {
	key := func(specs []ShardSpec) string {
		parts := make([]string, 0, len(specs))
		for _, s := range specs {
			parts = append(parts, s.ID+"="+s.URL)
		}
		return strings.Join(parts, ",")
	}
	byID := func(x, y ShardSpec) int { return strings.Compare(x.ID, y.ID) }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, byID)
	slices.SortFunc(b, byID)
	return key(a) == key(b)
}

// shardLabel is how logs name a shard.
func shardLabel(s ShardSpec) string {
	if s.URL == "" {
		return s.ID + " (the directory)"
	}
	return s.ID + " (weight " + strconv.Itoa(s.Weight) + ")"
}
