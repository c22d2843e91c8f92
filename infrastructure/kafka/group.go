package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/chatd/chat/retry"
)

// GroupID returns this node's consumer group id.
func (c *Cluster) GroupID() string { return c.groupID }

// NewConsumerGroup returns this node's consumer group, ready to Consume
// the topics. Before that it commits the current end of every partition
// for which the group has no committed offset yet, so that a brand-new
// node starts at "now" as of its start, not as of whenever its first
// rebalance completes: events published in between are still delivered
// (clients catch up on anything older with get_messages). A node that
// restarts resumes from its committed offsets.
//
// The group uses static membership (instance id = group id): a restarted
// node takes its old member's place at once instead of waiting for the
// old session to time out.
func (c *Cluster) NewConsumerGroup(ctx context.Context) (sarama.ConsumerGroup, error) {
	return c.newGroup(ctx, c.groupID)
}

// newGroup starts this node's member of group groupID, after committing
// start offsets at the end of the topics if the group has none.
func (c *Cluster) newGroup(ctx context.Context, groupID string) (sarama.ConsumerGroup, error) {
	if err := c.retry(ctx, func(ctx context.Context) error { return c.startAtEnd(ctx, groupID) }); err != nil {
		return nil, err
	}
	group, err := sarama.NewConsumerGroup(c.brokers, groupID, consumerConfig(c.clientID+"-consumer", c.groupID))
	if err != nil {
		return nil, fmt.Errorf("start Kafka consumer group %s: %w", groupID, err)
	}
	return group, nil
}

// groupSetupTimeout bounds the retries of the offset setup: a broker that
// just started answers "coordinator loading" for a moment.
const groupSetupTimeout = 30 * time.Second

var groupSetupBackoff = retry.Backoff{Min: 100 * time.Millisecond, Max: time.Second}

// retry runs fn until it succeeds, fails for good, ctx ends or
// groupSetupTimeout passes.
func (c *Cluster) retry(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, groupSetupTimeout)
	defer cancel()
	return retry.Do(ctx, groupSetupBackoff, transient, fn)
}

// transient reports whether a broker error may go away by itself: the
// group coordinator is loading or moving, or the network failed.
func transient(err error) bool {
	var kerr sarama.KError
	if !errors.As(err, &kerr) {
		return true // not an answer of the broker: a connection problem
	}
	switch kerr {
	case sarama.ErrOffsetsLoadInProgress, sarama.ErrConsumerCoordinatorNotAvailable,
		sarama.ErrNotCoordinatorForConsumer, sarama.ErrRequestTimedOut, sarama.ErrRebalanceInProgress,
		sarama.ErrNotLeaderForPartition, sarama.ErrLeaderNotAvailable, sarama.ErrUnknownTopicOrPartition:
		return true
	}
	return false
}

// startAtEnd commits the end offsets of the partitions group groupID has
// not committed anything for.
func (c *Cluster) startAtEnd(ctx context.Context, groupID string) error {
	partitions := map[string][]int32{}
	for _, topic := range c.topics.All() {
		ps, err := c.client.Partitions(topic)
		if err != nil {
			return fmt.Errorf("partitions of %s: %w", topic, err)
		}
		partitions[topic] = ps
	}
	committed, err := c.admin.ListConsumerGroupOffsets(groupID, partitions)
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		// kfake's answer for a group it never saw; Kafka answers offset -1.
		committed, err = &sarama.OffsetFetchResponse{}, nil
	}
	if err != nil {
		return fmt.Errorf("committed offsets of group %s: %w", groupID, err)
	}
	missing := map[string]map[int32]int64{}
	for topic, ps := range partitions {
		for _, p := range ps {
			if b := committed.GetBlock(topic, p); b == nil || b.Offset < 0 {
				if missing[topic] == nil {
					missing[topic] = map[int32]int64{}
				}
				missing[topic][p] = sarama.OffsetNewest
			}
		}
	}
	if len(missing) == 0 || ctx.Err() != nil {
		return ctx.Err()
	}
	ends, err := c.admin.ListOffsets(missing, nil)
	if err != nil {
		return fmt.Errorf("end offsets: %w", err)
	}
	commit := map[string]map[int32]sarama.OffsetAndMetadata{}
	for topic, ps := range ends {
		commit[topic] = map[int32]sarama.OffsetAndMetadata{}
		for p, res := range ps {
			if res.Err != nil && !errors.Is(res.Err, sarama.ErrNoError) {
				return fmt.Errorf("end offset of %s/%d: %w", topic, p, res.Err)
			}
			commit[topic][p] = sarama.OffsetAndMetadata{Offset: res.Offset, LeaderEpoch: -1}
		}
	}
	resp, err := c.admin.AlterConsumerGroupOffsets(groupID, commit, nil)
	if err != nil {
		return fmt.Errorf("commit start offsets of group %s: %w", groupID, err)
	}
	for topic, ps := range resp.Errors {
		for p, kerr := range ps {
			if !errors.Is(kerr, sarama.ErrNoError) {
				return fmt.Errorf("commit start offset of %s/%d for group %s: %w", topic, p, groupID, kerr)
			}
		}
	}
	c.logger.Info("new consumer group starts at the end of the topics", "group", groupID)
	return nil
}
