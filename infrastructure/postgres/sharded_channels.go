package postgres

import (
	"cmp"
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
)

// Channels lists the actor's channels: the directory's index says which
// shards to ask, and each shard lists the actor's channels it holds (its
// memberships are the authoritative ones; an index row whose shard does
// not confirm it is left out). The lists are merged oldest first.
func (s *ShardedStore) Channels(ctx context.Context, actor domain.Actor) ([]domain.Channel, error) {
	home := s.shards.home
	var rows []struct {
		ID      string `gorm:"column:id"`
		ShardID string `gorm:"column:shard_id"`
	}
	err := home.db.inUserTx(ctx, actor.UserID, func(tx *gorm.DB) (bool, error) {
		return false, tx.Raw(`SELECT c.id::text AS id, c.shard_id FROM channels c JOIN memberships m ON m.channel_id = c.id
			WHERE m.user_id = chat_current_user() AND c.shard_id IS NOT NULL`).Scan(&rows).Error
	})
	if err != nil {
		return nil, classify("list channels", err)
	}
	byShard := map[string][]string{}
	for _, r := range rows {
		byShard[r.ShardID] = append(byShard[r.ShardID], r.ID)
		s.shards.placed.store(r.ID, r.ShardID)
	}
	out, err := home.store.Channels(ctx, actor)
	if err != nil {
		return nil, err
	}
	for shardID, ids := range byShard {
		sh, err := s.shards.resolve(ctx, shardID)
		if err != nil {
			return nil, err
		}
		chs, err := sh.store.channels(ctx, actor, ids, false)
		if domain.KindOf(err) == domain.KindUnavailable {
			// A shard that is down must not keep its users from
			// connecting: its channels are listed from the index, without
			// their seqs, and the client catches up with get_messages
			// once the shard is back.
			s.logger.Warn("shard unavailable; listing its channels from the directory's index", "shard", shardID, "err", err)
			chs, err = home.store.channels(ctx, actor, ids, true)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, chs...)
	}
	slices.SortFunc(out, func(a, b domain.Channel) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
