package kafka

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"
)

// waitTimeout bounds every wait on the broker; it is a failure deadline,
// not a synchronisation sleep.
const waitTimeout = 30 * time.Second

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openTestCluster connects to the test broker on topics of the test's own.
func openTestCluster(t *testing.T, nodeID string) (*Cluster, config.Kafka) {
	t.Helper()
	cfg := config.Kafka{Brokers: kafkatest.Brokers(t), Partitions: 4, ReplicationFactor: 1, TopicPrefix: kafkatest.TopicPrefix()}
	return openWith(t, cfg, nodeID), cfg
}

func openWith(t *testing.T, cfg config.Kafka, nodeID string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Open(ctx, cfg, nodeID, testLogger())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newTestPublisher(t *testing.T, c *Cluster) (*Publisher, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	p, err := NewPublisher(c, reg)
	if err != nil {
		t.Fatalf("NewPublisher: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p, reg
}

// readAll reads every partition of topic from the start until want records
// arrived, and returns them in per-partition order.
func readAll(t *testing.T, brokers []string, topic string, want int) []*sarama.ConsumerMessage {
	t.Helper()
	consumer, err := sarama.NewConsumer(brokers, baseConfig("test-reader"))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	partitions, err := consumer.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	records := make(chan *sarama.ConsumerMessage)
	done := make(chan struct{})
	defer close(done)
	for _, p := range partitions {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go func() {
			for {
				select {
				case msg := <-pc.Messages():
					select {
					case records <- msg:
					case <-done:
						return
					}
				case <-done:
					return
				}
			}
		}()
	}
	var got []*sarama.ConsumerMessage
	deadline := time.After(waitTimeout)
	for len(got) < want {
		select {
		case msg := <-records:
			got = append(got, msg)
		case <-deadline:
			t.Fatalf("read %d of %d records from %s", len(got), want, topic)
		}
	}
	return got
}
