package postgres

import (
	"context"
	"fmt"
	"sync"
)

// Users live in the directory. A shard's memberships and messages refer to
// users by foreign key, so each user is copied to a shard before its first
// membership there; users are never changed or deleted, so a copy never
// goes stale and a node remembers which users a shard has.

// knownUsers remembers, per shard, the users copied there.
type knownUsers struct{ m sync.Map }

// copyUsers makes sure the users of ids exist on sh.
func (s *Shards) copyUsers(ctx context.Context, sh *shard, ids []string) error {
	if sh.isDirectory() {
		return nil
	}
	var missing []string
	for _, id := range ids {
		if _, ok := sh.users.m.Load(id); !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var rows []userRow
	err := s.dir.system.WithContext(ctx).
		Raw("SELECT id, name, created_at FROM users WHERE id = ANY (?::text[])", textArray(missing)).Scan(&rows).Error
	if err != nil {
		return classify("read users to copy to a shard", err)
	}
	for _, r := range rows {
		err := sh.db.system.WithContext(ctx).
			Exec("INSERT INTO users (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING", r.ID, r.Name, r.CreatedAt).Error
		if err != nil {
			return classify(fmt.Sprintf("copy user %s to shard %s", r.ID, sh.spec.ID), err)
		}
		sh.users.m.Store(r.ID, struct{}{})
	}
	return nil
}
