package main

import (
	"testing"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"
)

// testKafka points a test server at the real broker of `make test`, on
// topics and consumer groups of its own (a fresh prefix), so parallel
// tests never see each other's events. Four partitions keep topic
// creation quick while still spreading channels over partitions.
func testKafka() config.Kafka {
	return config.Kafka{
		Brokers:           kafkatest.FromEnv(),
		Partitions:        4,
		ReplicationFactor: 1,
		TopicPrefix:       kafkatest.TopicPrefix(),
	}
}

// requireKafka skips (or under CI fails) a test whose server would need
// the real broker when none is configured: end-to-end tests never fall
// back to the embedded development broker.
func requireKafka(t testing.TB, cfg config.Config) {
	t.Helper()
	if cfg.Kafka.Embedded() {
		kafkatest.Brokers(t)
		t.Fatal("test server without Kafka brokers: set cfg.Kafka.Brokers")
	}
}
