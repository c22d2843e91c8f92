package config

import (
	"fmt"
	"net"
	"strings"
)

// Kafka is the broker side of the configuration: where the event backbone
// lives and how its topics are laid out.
type Kafka struct {
	// Brokers are the bootstrap addresses of an external cluster
	// (KAFKA_BROKERS). Empty means the in-process development broker.
	Brokers []string
	// EmbeddedAddr is where the development broker listens; a second local
	// node started with the same address joins the first one's broker.
	EmbeddedAddr string
	// Partitions is the partition count of topics created at start. It
	// bounds how many consumers can share a topic; changing it later moves
	// keys between partitions, so it is only applied to new topics.
	Partitions int
	// ReplicationFactor of topics created at start: 1 suits a single test
	// broker, 3 a production cluster.
	ReplicationFactor int
	// TopicPrefix is put before every topic and consumer group name, so
	// several deployments (or parallel tests) can share one cluster without
	// seeing each other's events.
	TopicPrefix string
}

// Embedded reports whether chatd runs its own development broker.
func (k Kafka) Embedded() bool { return len(k.Brokers) == 0 }

// Kafka defaults. 12 partitions let up to 12 consumers of one group share
// the load and keep per-channel order (a channel is one key).
const (
	defaultKafkaPartitions   = 12
	defaultEmbeddedKafkaAddr = "127.0.0.1:19092"
	maxKafkaTopicPrefix      = 100
)

// loadKafka reads KAFKA_BROKERS, CHAT_EMBEDDED_KAFKA_ADDR,
// CHAT_KAFKA_PARTITIONS, CHAT_KAFKA_REPLICATION_FACTOR and
// CHAT_KAFKA_TOPIC_PREFIX.
func loadKafka(getenv func(string) string) (Kafka, error) {
	k := Kafka{
		Brokers:      splitList(getenv("KAFKA_BROKERS")),
		EmbeddedAddr: orDefault(getenv("CHAT_EMBEDDED_KAFKA_ADDR"), defaultEmbeddedKafkaAddr),
		TopicPrefix:  getenv("CHAT_KAFKA_TOPIC_PREFIX"),
	}
	for _, b := range k.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return Kafka{}, fmt.Errorf("KAFKA_BROKERS entry %q is not host:port: %w", b, err)
		}
	}
	if _, _, err := net.SplitHostPort(k.EmbeddedAddr); err != nil {
		return Kafka{}, fmt.Errorf("CHAT_EMBEDDED_KAFKA_ADDR %q is not host:port: %w", k.EmbeddedAddr, err)
	}
	var err error
	if k.Partitions, err = positiveInt(getenv, "CHAT_KAFKA_PARTITIONS", defaultKafkaPartitions); err != nil {
		return Kafka{}, err
	}
	if k.ReplicationFactor, err = positiveInt(getenv, "CHAT_KAFKA_REPLICATION_FACTOR", 1); err != nil {
		return Kafka{}, err
	}
	if err := checkTopicPrefix(k.TopicPrefix); err != nil {
		return Kafka{}, err
	}
	return k, nil
}

// checkTopicPrefix keeps the prefix within Kafka's topic name alphabet
// (letters, digits, '.', '_', '-'), so the broker never refuses a topic
// at start for a reason the configuration could have told.
func checkTopicPrefix(prefix string) error {
	if len(prefix) > maxKafkaTopicPrefix {
		return fmt.Errorf("CHAT_KAFKA_TOPIC_PREFIX must be at most %d characters", maxKafkaTopicPrefix)
	}
	if i := strings.IndexFunc(prefix, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}); i >= 0 {
		return fmt.Errorf("CHAT_KAFKA_TOPIC_PREFIX %q may hold only letters, digits, '.', '_' and '-'", prefix)
	}
	return nil
}
