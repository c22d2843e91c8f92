package kafka

import (
	"context"

	"github.com/IBM/sarama"
)

// FanoutGroupID is the consumer group every node of a cluster joins for
// direct node-to-node delivery.
func (c *Cluster) FanoutGroupID() string { return c.fanoutGroupID }

// NewFanoutGroup returns this node's member of the cluster-wide fan-out
// group: the nodes share the partitions, so each event is read by one node
// only, which routes it to the nodes of its recipients. The member's
// static instance id is the node's own group id, unique per node, so a
// restarted node takes back its place (and partitions) at once.
func (c *Cluster) NewFanoutGroup(ctx context.Context) (sarama.ConsumerGroup, error) {
	return c.newGroup(ctx, c.fanoutGroupID)
}
