package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"
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
	if len(rows) == 0 {
		return nil
	}
	var found, names, created []string
	for _, r := range rows {
		found, names = append(found, r.ID), append(names, r.Name)
		created = append(created, r.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	err = sh.db.system.WithContext(ctx).Exec(`INSERT INTO users (id, name, created_at)
		SELECT u.id, u.name, u.created::timestamptz FROM unnest(?::text[], ?::text[], ?::text[]) AS u(id, name, created)
		ON CONFLICT (id) DO NOTHING`, textArray(found), textArray(names), textArray(created)).Error
	if err != nil {
		return classify(fmt.Sprintf("copy %d users to shard %s", len(found), sh.spec.ID), err)
	}
	for _, id := range found {
		sh.users.m.Store(id, struct{}{})
	}
	return nil
}
