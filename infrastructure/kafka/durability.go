package kafka

import (
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
)

// Production durability of the topics. With acks=all (every produce
// request waits for the in-sync replicas) a write survives the loss of
// min.insync.replicas - 1 brokers; a replication factor of 3 with
// min.insync.replicas 2 keeps accepting writes with one broker down and
// loses none: the settings docs/operations.md recommends.
const (
	wantReplicationFactor = 3
	wantMinInSyncReplicas = 2
)

// durabilityProblems says what falls short of the recommended settings
// for one topic on a cluster of brokers brokers. A single broker (tests,
// development) has nothing to replicate to and gets no complaint.
func durabilityProblems(topic string, brokers, replication, minISR int) []string {
	if brokers < 2 {
		return nil
	}
	var out []string
	if replication < wantReplicationFactor {
		out = append(out, fmt.Sprintf("topic %s has replication factor %d, below %d: losing a broker can lose or stop events", topic, replication, wantReplicationFactor))
	}
	if minISR < wantMinInSyncReplicas {
		out = append(out, fmt.Sprintf("topic %s has min.insync.replicas %d, below %d: acks=all then accepts a write held by a single broker", topic, minISR, wantMinInSyncReplicas))
	}
	return out
}

// topicDurability is what a topic's replication looks like now.
type topicDurability struct {
	topic               string
	brokers             int
	replication, minISR int // the lowest replica count of its partitions
}

// checkDurability warns, once at start, about topics whose replication
// would let a broker failure lose acknowledged events. It never stops the
// start: a test or staging cluster may run with less on purpose.
func (c *Cluster) checkDurability() error {
	found, err := c.durability()
	if err != nil {
		return err
	}
	for _, d := range found {
		for _, problem := range durabilityProblems(d.topic, d.brokers, d.replication, d.minISR) {
			c.logger.Warn("Kafka topic below production durability", "problem", problem,
				"topic", d.topic, "brokers", d.brokers, "replicationFactor", d.replication, "minInsyncReplicas", d.minISR)
		}
	}
	return nil
}

// durability reads the replication of every topic from the cluster.
func (c *Cluster) durability() ([]topicDurability, error) {
	brokers := len(c.client.Brokers())
	metadata, err := c.admin.DescribeTopics(c.topics.All())
	if err != nil {
		return nil, fmt.Errorf("describe topics: %w", err)
	}
	var out []topicDurability
	for _, md := range metadata {
		if md.Err != sarama.ErrNoError || len(md.Partitions) == 0 {
			return nil, fmt.Errorf("describe topic %s: %w", md.Name, md.Err)
		}
		replication := len(md.Partitions[0].Replicas)
		for _, p := range md.Partitions {
			replication = min(replication, len(p.Replicas))
		}
		minISR, err := c.minInSyncReplicas(md.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, topicDurability{topic: md.Name, brokers: brokers, replication: replication, minISR: minISR})
	}
	return out, nil
}

// minInSyncReplicas reads the topic's effective min.insync.replicas (its
// own setting or the broker default it inherits).
func (c *Cluster) minInSyncReplicas(topic string) (int, error) {
	entries, err := c.admin.DescribeConfig(sarama.ConfigResource{
		Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"min.insync.replicas"},
	})
	if err != nil {
		return 0, fmt.Errorf("describe config of topic %s: %w", topic, err)
	}
	for _, e := range entries {
		if e.Name == "min.insync.replicas" {
			n, err := strconv.Atoi(e.Value)
			if err != nil {
				return 0, fmt.Errorf("min.insync.replicas of %s is %q: %w", topic, e.Value, err)
			}
			return n, nil
		}
	}
	return 1, nil // Kafka's default
}
