package kafka

import (
	"errors"
	"fmt"
	"strings"

	"github.com/IBM/sarama"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

// Topic base names; a deployment's prefix goes before them. The version
// suffix lets a future incompatible encoding run beside this one.
const (
	eventsTopic   = "chat.events.v1"
	presenceTopic = "chat.presence.v1"
)

// Topics names the backbone's topics of one deployment.
type Topics struct {
	// Events carries channel events (channel_created, message_created,
	// member_joined, member_left) keyed by channel id.
	Events string
	// Presence carries presence_changed keyed by user id.
	Presence string
}

// NewTopics returns the topic names under prefix.
func NewTopics(prefix string) Topics {
	return Topics{Events: prefix + eventsTopic, Presence: prefix + presenceTopic}
}

// All lists every topic, for creation and consumption.
func (t Topics) All() []string { return []string{t.Events, t.Presence} }

// route picks an event's topic and key. The key decides the partition, so
// everything that must stay in order shares a key: a channel's events
// (seq order), a user's presence changes.
func (t Topics) route(r eventcodec.Record) (topic, key string, err error) {
	if r.Type == domain.EventPresenceChanged {
		if r.UserID == "" {
			return "", "", fmt.Errorf("route %s event: no user id", r.Type)
		}
		return t.Presence, r.UserID, nil
	}
	if r.ChannelID == "" {
		return "", "", fmt.Errorf("route %s event: no channel id", r.Type)
	}
	return t.Events, r.ChannelID, nil
}

// ensureTopics creates the topics that are missing. An existing topic is
// left alone even if its partition count differs: adding partitions would
// move keys to other partitions and break per-channel order for events in
// flight, so that is an operator's decision, which the warning reports.
func (c *Cluster) ensureTopics() error {
	partitions, replication := c.partitions, c.replication
	existing, err := c.admin.DescribeTopics(c.topics.All())
	if err != nil {
		return fmt.Errorf("describe topics: %w", err)
	}
	have := map[string]int{}
	for _, md := range existing {
		if md.Err == sarama.ErrNoError {
			have[md.Name] = len(md.Partitions)
		}
	}
	for _, name := range c.topics.All() {
		if n, ok := have[name]; ok {
			if n != partitions {
				c.logger.Warn("topic exists with another partition count; keeping it",
					"topic", name, "partitions", n, "configured", partitions)
			}
			continue
		}
		detail := &sarama.TopicDetail{NumPartitions: int32(partitions), ReplicationFactor: int16(replication)}
		err := c.admin.CreateTopic(name, detail, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return fmt.Errorf("create topic %s (%d partitions, replication %d): %w", name, partitions, replication, err)
		}
		if err == nil {
			c.logger.Info("created topic", "topic", name, "partitions", partitions, "replication", replication)
		}
	}
	return nil
}

// groupID is the consumer group of one node. Until the cluster routes
// users to nodes, every node reads every event for its own connections,
// so each node has a group of its own.
func groupID(prefix, nodeID string) string {
	return prefix + "chatd." + sanitizeID(nodeID)
}

// sanitizeID maps a node id onto the characters Kafka allows in group and
// instance ids.
func sanitizeID(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, id)
}
