package config

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadKafkaDefaultsToTheEmbeddedBroker(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kafka
	if !k.Embedded() || k.EmbeddedAddr != "127.0.0.1:19092" || k.Partitions != 12 || k.ReplicationFactor != 1 || k.TopicPrefix != "" {
		t.Fatalf("Kafka defaults = %+v", k)
	}
}

func TestLoadKafkaReadsEverything(t *testing.T) {
	c, err := Load(env(map[string]string{
		"KAFKA_BROKERS":                 " k1:9092, k2:9092 ,",
		"CHAT_EMBEDDED_KAFKA_ADDR":      "127.0.0.1:29092",
		"CHAT_KAFKA_PARTITIONS":         "24",
		"CHAT_KAFKA_REPLICATION_FACTOR": "3",
		"CHAT_KAFKA_TOPIC_PREFIX":       "staging.",
	}))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Kafka
	if k.Embedded() || !slices.Equal(k.Brokers, []string{"k1:9092", "k2:9092"}) || k.EmbeddedAddr != "127.0.0.1:29092" ||
		k.Partitions != 24 || k.ReplicationFactor != 3 || k.TopicPrefix != "staging." {
		t.Fatalf("Kafka settings not read: %+v", k)
	}
}

func TestLoadKafkaRejects(t *testing.T) {
	for name, tc := range map[string]struct{ key, value string }{
		"broker without port":   {"KAFKA_BROKERS", "k1:9092,k2"},
		"embedded without port": {"CHAT_EMBEDDED_KAFKA_ADDR", "localhost"},
		"zero partitions":       {"CHAT_KAFKA_PARTITIONS", "0"},
		"replication of words":  {"CHAT_KAFKA_REPLICATION_FACTOR", "three"},
		"prefix with a slash":   {"CHAT_KAFKA_TOPIC_PREFIX", "a/b"},
		"prefix too long":       {"CHAT_KAFKA_TOPIC_PREFIX", strings.Repeat("p", 101)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(map[string]string{tc.key: tc.value}))
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("Load with %s=%q: error %v, want one naming %s", tc.key, tc.value, err, tc.key)
			}
		})
	}
}
