package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

// Publisher writes committed events to the backbone. It is the outbox
// relay's sink: Deliver returns nil only once the broker acknowledged every
// event of the batch (acks=all), so the relay deletes outbox rows only
// after that, and a failure or crash in between publishes them again.
type Publisher struct {
	cluster *Cluster
	topics  Topics
	metrics publishMetrics

	// mu serialises batches: their order is the outbox's order.
	mu sync.Mutex
	// producer is nil after a failed batch until the next one starts a
	// fresh producer.
	producer *batchProducer
}

// NewPublisher starts an idempotent producer on the cluster and registers
// its metrics on reg.
func NewPublisher(c *Cluster, reg prometheus.Registerer) (*Publisher, error) {
	m, err := newPublishMetrics(reg)
	if err != nil {
		return nil, err
	}
	p := &Publisher{cluster: c, topics: c.topics, metrics: m}
	// Start-up has no context to end it; initProducerIDTimeout bounds it.
	if err := p.start(context.Background()); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Publisher) start(ctx context.Context) error {
	producer, err := newBatchProducer(ctx, p.cluster.brokers, producerConfig(p.cluster.clientID+"-producer"))
	if err != nil {
		return fmt.Errorf("start Kafka producer: %w", err)
	}
	p.producer = producer
	return nil
}

// discard drops the producer after a failed batch. The next batch gets a
// fresh producer: a new producer id (so the broker expects no particular
// sequence number after whatever part of the failed batch it stored),
// fresh metadata (the leaders may have moved) and new connections. With
// sarama's asynchronous producer, whose retry state once acknowledged a
// later batch that a restarted broker never stored, this was the
// workaround; it stays the simplest correct answer for batchProducer,
// which keeps no state but the sequence numbers. Every request of the
// failed batch has its answer already, so closing in the background
// drops nothing.
func (p *Publisher) discard() {
	old := p.producer
	p.producer = nil
	go func() { _ = old.close() }()
}

// Deliver publishes events in order and waits for the broker's
// acknowledgement of all of them. Events of one key keep their order in
// their partition: batches are sent one at a time, each as one request
// per partition leader, numbered by the idempotent producer.
//
// It never abandons a request in flight when ctx ends: an abandoned batch
// could still land after a later relay's publish of the same rows and
// reorder the partition, so the producer's timeouts bound that wait.
// Between attempts, when nothing is in flight, ctx ends it.
func (p *Publisher) Deliver(ctx context.Context, events []domain.Event) error {
	records, err := eventcodec.NewRecords(events)
	if err != nil {
		return err
	}
	return p.DeliverRecords(ctx, records)
}

// DeliverRecords is Deliver for events already encoded, as the outbox
// holds them: their bytes go to the broker unchanged.
func (p *Publisher) DeliverRecords(ctx context.Context, records []eventcodec.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish %d events: %w", len(records), err)
	}
	msgs := make([]*sarama.ProducerMessage, 0, len(records))
	for _, r := range records {
		topic, key, err := p.topics.route(r)
		if err != nil {
			return err
		}
		msgs = append(msgs, &sarama.ProducerMessage{
			Topic: topic,
			Key:   sarama.StringEncoder(key),
			Value: sarama.ByteEncoder(r.Data),
		})
	}
	if len(msgs) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.producer == nil {
		if err := p.start(ctx); err != nil {
			p.metrics.failures.Inc()
			return fmt.Errorf("publish %d events: %w", len(msgs), err)
		}
	}
	start := time.Now()
	err := p.producer.send(ctx, msgs)
	p.metrics.latency.Observe(time.Since(start).Seconds())
	if err != nil {
		p.metrics.failures.Inc()
		p.discard()
		if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			// The topics are gone (a development broker that restarted,
			// an operator's mistake): make them again for the retry.
			if ensureErr := p.cluster.ensureTopics(); ensureErr != nil {
				err = errors.Join(err, ensureErr)
			}
		}
		return fmt.Errorf("publish %d events to Kafka: %w", len(msgs), err)
	}
	p.metrics.published.Add(float64(len(msgs)))
	return nil
}

// Close stops the producer after its in-flight messages.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.producer == nil {
		return nil
	}
	if err := p.producer.close(); err != nil {
		return fmt.Errorf("close Kafka producer: %w", err)
	}
	return nil
}

type publishMetrics struct {
	latency   prometheus.Histogram
	published prometheus.Counter
	failures  prometheus.Counter
}

// latencyBuckets spans a local acknowledgement (well under a millisecond)
// to a broker outage's timeouts.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newPublishMetrics(reg prometheus.Registerer) (publishMetrics, error) {
	m := publishMetrics{
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatd_kafka_publish_duration_seconds",
			Help:    "Time to publish one outbox batch until the broker acknowledged all of it (acks=all).",
			Buckets: latencyBuckets,
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatd_kafka_published_events_total",
			Help: "Events the broker acknowledged.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatd_kafka_publish_failures_total",
			Help: "Outbox batches the broker did not acknowledge; the relay publishes them again.",
		}),
	}
	for _, c := range []prometheus.Collector{m.latency, m.published, m.failures} {
		if err := reg.Register(c); err != nil {
			return publishMetrics{}, fmt.Errorf("register Kafka publish metrics: %w", err)
		}
	}
	return m, nil
}
