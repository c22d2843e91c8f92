package kafka

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"
)

// BenchmarkPublisherBatch measures Deliver alone against the test broker:
// batches of the size the outbox relay hands over at 1,000 messages/s
// (about 40 events, one relay cycle's worth, over 50 channels), one after
// the other as the relay sends them, on the benchmark's 12 partitions. It
// reports the p50, p99 and max of one Deliver in ms. Run it with
//
//	go test ./infrastructure/kafka -run '^$' -bench PublisherBatch -benchtime 500x
func BenchmarkPublisherBatch(b *testing.B) {
	for _, size := range []int{1, 40, 200} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			cfg := config.Kafka{Brokers: kafkatest.Brokers(b), Partitions: 12, ReplicationFactor: 1, TopicPrefix: kafkatest.TopicPrefix()}
			ctx := context.Background()
			cluster, err := Open(ctx, cfg, "bench", testLogger())
			if err != nil {
				b.Fatal(err)
			}
			defer cluster.Close()
			pub, err := NewPublisher(cluster, prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			defer pub.Close()
			channels := make([]string, 50)
			for i := range channels {
				channels[i] = uuid.NewString()
			}
			seq := int64(0)
			batch := func() []domain.Event {
				events := make([]domain.Event, size)
				for i := range events {
					seq++
					events[i] = messageEvent(channels[int(seq)%len(channels)], seq)
				}
				return events
			}
			// The first batch also connects and fetches metadata.
			if err := pub.Deliver(ctx, batch()); err != nil {
				b.Fatal(err)
			}
			took := make([]time.Duration, 0, b.N)
			for b.Loop() {
				events := batch()
				start := time.Now()
				if err := pub.Deliver(ctx, events); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			ms := func(q float64) float64 {
				return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(.5), "p50-ms")
			b.ReportMetric(ms(.99), "p99-ms")
			b.ReportMetric(ms(1), "max-ms")
		})
	}
}
