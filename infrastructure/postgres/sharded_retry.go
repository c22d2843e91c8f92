package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/retry"
)

// fencePatience is how long a change waits for a channel that is moving
// between shards before the client is told to retry (`unavailable` with
// retryAfterMs). A move fences a channel for milliseconds to a few hundred
// for a long history (docs/consistent-hashing.md, measured).
const fencePatience = 2 * time.Second

// Retry spacing while a channel moves.
const (
	fenceRetryMin = 5 * time.Millisecond
	fenceRetryMax = 100 * time.Millisecond
)

// onShard runs op on the shard that holds channelID. When that shard
// refuses because the channel is moving away (errFenced) or has moved
// (not found there), it re-reads the placement and tries again, for up to
// fencePatience. A channel that is simply unknown is not found at once.
func (s *ShardedStore) onShard(ctx context.Context, channelID string, op func(sh *shard) error) error {
	deadline := time.Now().Add(fencePatience)
	wait := fenceRetryMin
	for {
		sh, err := s.shards.locate(ctx, channelID)
		if err != nil {
			return err
		}
		if err = s.settleMove(ctx, channelID, sh, op(sh), deadline); err != errMoving {
			return err
		}
		if !retry.Sleep(ctx, wait) {
			return ctx.Err()
		}
		wait = min(2*wait, fenceRetryMax)
	}
}

// errMoving says that an operation met a channel on the move and should
// be tried again; it never leaves this file.
var errMoving = errors.New("the channel is moving")

// settleMove returns err, the outcome of an operation on sh, unless it
// means that the channel is moving (errFenced) or has moved (not found on
// sh, found elsewhere by the directory): then errMoving, or errFenced past
// the deadline, when it is the client's turn to retry.
func (s *ShardedStore) settleMove(ctx context.Context, channelID string, sh *shard, err error, deadline time.Time) error {
	fenced := errors.Is(err, errFenced)
	if !fenced && !errors.Is(err, domain.ErrChannelNotFound) {
		return err
	}
	if fenced {
		s.shards.forget(channelID)
	} else {
		moved, lerr := s.shards.relocated(ctx, channelID, sh)
		if lerr != nil {
			return lerr
		}
		if !moved {
			return err
		}
	}
	if time.Now().After(deadline) {
		return classify("wait for a moving channel", errFenced)
	}
	return errMoving
}
