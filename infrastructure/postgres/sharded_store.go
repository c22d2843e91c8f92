package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/retry"
)

var _ chat.Store = (*ShardedStore)(nil)

// ShardedStore is the chat store over the shard map: it sends each
// command to the shard that holds its channel, where a ChatStore runs it
// exactly as on a single database (one transaction, the same policies,
// group commit and dense seq per channel).
//
// A change of membership touches two databases, the directory's index and
// the shard, with no transaction spanning both. The order and the repair:
//
//  1. The directory first, as the acting user under the same policies
//     (the index holds the same channels and memberships, so it makes the
//     same decisions), stamping the index row pending_since.
//  2. Then the shard, as the acting user, recording the change's event.
//  3. Then the directory's mark is cleared (settle), only if no later
//     change re-marked it.
//
// The directory is thus the record of what was decided. chatd killed
// after 1, or a shard that failed at 2, leaves a mark; the reconciler
// (Reconciler) makes the shard's memberships match the index for marks
// older than a grace period, recording the events the shard missed, and
// clears them. A client may therefore get `unavailable` for a change that
// completes later, as with any request whose answer is lost; what is never
// left is a half-applied change. Between 1 and 2 the index may list a
// member the shard does not have yet (or no longer has); only the shard
// decides who reads and writes messages.
type ShardedStore struct {
	shards *Shards
	logger *slog.Logger
	// newID makes the id of a new channel, which places it on the ring.
	newID func() string
	gates *sendGates
}

// NewShardedStore returns the store over shards.
func NewShardedStore(shards *Shards, logger *slog.Logger) *ShardedStore {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &ShardedStore{shards: shards, logger: logger.With(slog.String("component", "sharded_store")), newID: uuid.NewString, gates: newSendGates()}
}

// BatchSizes is the send path's histogram over every shard.
func (s *ShardedStore) BatchSizes() prometheus.Collector { return s.shards.BatchSizes() }

// CreateChannel places a new channel by the ring (keyed by its id, chosen
// here) and creates it in the directory's index, then on its shard under
// the same id and creation time. A direct pair that has a channel gets
// that one, wherever it lives.
func (s *ShardedStore) CreateChannel(ctx context.Context, actor domain.Actor, spec domain.NewChannelSpec, members []string) (domain.Channel, bool, error) {
	id := s.newID()
	target, err := s.shards.owner(id)
	if err != nil {
		return domain.Channel{}, false, err
	}
	if target.isDirectory() {
		return target.store.CreateChannel(ctx, actor, spec, members)
	}
	idx, err := s.shards.home.store.createChannel(ctx, actor, spec, members, placing{id: id, shardID: target.spec.ID})
	if err != nil {
		return domain.Channel{}, false, err
	}
	if idx.shardID == "" {
		// An existing pair of the directory's own channels: done there.
		return idx.channel, idx.created, nil
	}
	s.shards.placed.store(idx.channel.ID, idx.shardID)
	var res creation
	err = s.onShard(ctx, idx.channel.ID, func(sh *shard) (err error) {
		if err := s.shards.copyUsers(ctx, sh, members); err != nil {
			return err
		}
		res, err = sh.store.createChannel(ctx, actor, spec, members, placing{id: idx.channel.ID, createdAt: idx.createdAt})
		return err
	})
	if err != nil {
		return domain.Channel{}, false, err
	}
	s.settle(ctx, idx.channel.ID, idx.pending)
	return res.channel, res.created, nil
}

// Join joins the index, then the shard. The shard's answer is the answer:
// it holds the authoritative membership.
func (s *ShardedStore) Join(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, bool, error) {
	var ch domain.Channel
	var joined, indexed bool
	var pending time.Time
	err := s.onShard(ctx, channelID, func(sh *shard) (err error) {
		if sh.isDirectory() {
			ch, joined, err = sh.store.Join(ctx, actor, channelID)
			return err
		}
		if !indexed {
			if _, pending, err = s.shards.home.store.indexJoin(ctx, actor, channelID); err != nil {
				return err
			}
			indexed = true
		}
		if err := s.shards.copyUsers(ctx, sh, []string{actor.UserID}); err != nil {
			return err
		}
		ch, joined, err = sh.store.Join(ctx, actor, channelID)
		return err
	})
	if err != nil {
		return domain.Channel{}, false, err
	}
	s.settle(ctx, channelID, pending)
	return ch, joined, nil
}

// Leave leaves the index, then the shard. A shard that no longer has the
// membership (the reconciler got there first) has done the leave.
func (s *ShardedStore) Leave(ctx context.Context, actor domain.Actor, channelID string) error {
	var indexed bool
	var pending time.Time
	err := s.onShard(ctx, channelID, func(sh *shard) (err error) {
		if sh.isDirectory() {
			return sh.store.Leave(ctx, actor, channelID)
		}
		if !indexed {
			if pending, err = s.shards.home.store.indexLeave(ctx, actor, channelID); err != nil {
				return err
			}
			indexed = true
		}
		if err := sh.store.Leave(ctx, actor, channelID); err != nil && !errors.Is(err, domain.ErrNotMember) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.settle(ctx, channelID, pending)
	return nil
}

// settle clears a pending mark; failing, it leaves the mark to the
// reconciler, which finds nothing to change and clears it.
func (s *ShardedStore) settle(ctx context.Context, channelID string, pending time.Time) {
	if err := s.shards.dir.settle(ctx, channelID, pending); err != nil {
		s.logger.Warn("cannot clear a channel's pending mark; the reconciler will", "channel_id", channelID, "err", err)
	}
}

// AppendMessage stores the message on the channel's shard. A send that
// meets the channel moving waits for the move and is stored on the new
// shard, in the order of its arrival (sendGates), or fails with
// `unavailable` and retryAfterMs when the move takes longer than
// fencePatience.
func (s *ShardedStore) AppendMessage(ctx context.Context, actor domain.Actor, msg domain.Message, ordered func()) (domain.Message, bool, error) {
	id, err := parseChannelID(msg.ChannelID)
	if err != nil {
		return domain.Message{}, false, err
	}
	ticket, sh := s.gates.enter(id)
	gaveUp := false
	defer func() { s.gates.leave(id, ticket, gaveUp) }()
	if !s.gates.waitIfClosed(ctx, id, ticket) {
		gaveUp = true
		return domain.Message{}, false, classify("append message", errFenced)
	}
	if ordered != nil {
		ordered = sync.OnceFunc(ordered)
	}
	deadline := deadlineFrom(time.Now())
	wait := fenceRetryMin
	for {
		if sh == nil {
			if sh, err = s.shards.locate(ctx, id); err != nil {
				return domain.Message{}, false, err
			}
			sh = s.gates.use(id, sh)
		}
		stored, dup, err := sh.store.AppendMessage(ctx, actor, msg, ordered)
		if err = s.settleMove(ctx, id, sh, err, deadline); err != errMoving {
			gaveUp = errors.Is(err, errFenced)
			return stored, dup, err
		}
		if !s.gates.turn(ctx, id, ticket) || !retry.Sleep(ctx, wait) {
			gaveUp = true
			return domain.Message{}, false, classify("append message", errFenced)
		}
		wait = min(2*wait, fenceRetryMax)
		if sh, err = s.shards.locate(ctx, id); err != nil {
			return domain.Message{}, false, err
		}
		s.gates.moved(id, sh)
	}
}

// Messages reads history from the channel's shard.
func (s *ShardedStore) Messages(ctx context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	var msgs []domain.Message
	var more bool
	err := s.onShard(ctx, channelID, func(sh *shard) (err error) {
		msgs, more, err = sh.store.Messages(ctx, actor, channelID, page)
		return err
	})
	return msgs, more, err
}

// Channel reads a channel and its members from its shard.
func (s *ShardedStore) Channel(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error) {
	var ch domain.Channel
	err := s.onShard(ctx, channelID, func(sh *shard) (err error) {
		ch, err = sh.store.Channel(ctx, actor, channelID)
		return err
	})
	return ch, err
}

// MarkRead moves the read position on the channel's shard.
func (s *ShardedStore) MarkRead(ctx context.Context, actor domain.Actor, channelID string, seq int64) (int64, error) {
	var read int64
	err := s.onShard(ctx, channelID, func(sh *shard) (err error) {
		read, err = sh.store.MarkRead(ctx, actor, channelID, seq)
		return err
	})
	return read, err
}

// UsersSharingChannel asks the directory, whose index memberships the
// users policy reads.
func (s *ShardedStore) UsersSharingChannel(ctx context.Context, actor domain.Actor, ids []string) ([]domain.User, error) {
	return s.shards.home.store.UsersSharingChannel(ctx, actor, ids)
}
