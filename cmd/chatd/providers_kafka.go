package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/eventcodec"
	"github.com/chatd/chat/infrastructure/kafka"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/interfaces/consumer"
)

// kafkaSet provides the event backbone: the broker connection (embedded or
// external), the publisher the outbox relay writes to, and the consumer
// that feeds the local hub. The relay's sink is the broker, not the hub:
// every event reaches every node's connections through Kafka.
var kafkaSet = wire.NewSet(
	provideKafkaCluster,
	providePublisher,
	provideConsumer,
	provideKafkaWorkers,
	wire.Bind(new(postgres.EventSink), new(*kafka.Publisher)),
)

// kafkaWorkers are the broker's background loops.
type kafkaWorkers []namedWorker

func provideKafkaCluster(ctx context.Context, cfg config.Config, logger *slog.Logger) (*kafka.Cluster, func(), error) {
	cluster, err := kafka.Open(ctx, cfg.Kafka, cfg.NodeID, logger)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("Kafka ready", "brokers", cluster.Brokers(), "topics", cluster.Topics().All())
	return cluster, func() {
		if err := cluster.Close(); err != nil {
			logger.Warn("close Kafka", "err", err)
		}
	}, nil
}

func providePublisher(cluster *kafka.Cluster, registry *prometheus.Registry, logger *slog.Logger) (*kafka.Publisher, func(), error) {
	publisher, err := kafka.NewPublisher(cluster, registry)
	if err != nil {
		return nil, nil, err
	}
	return publisher, func() {
		if err := publisher.Close(); err != nil {
			logger.Warn("close Kafka producer", "err", err)
		}
	}, nil
}

// provideConsumer joins this node's own group on a single node (it reads
// every event) or the cluster-wide fan-out group (the nodes share the
// partitions and route to each other).
func provideConsumer(ctx context.Context, cfg config.Config, cluster *kafka.Cluster, target consumer.Hub, registry *prometheus.Registry, logger *slog.Logger) (*consumer.Consumer, func(), error) {
	newGroup, groupID := cluster.NewConsumerGroup, cluster.GroupID()
	if cfg.Cluster.Clustered() {
		newGroup, groupID = cluster.NewFanoutGroup, cluster.FanoutGroupID()
	}
	group, err := newGroup(ctx)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("Kafka consumer group", "group", groupID)
	c, err := consumer.New(group, cluster.Topics().All(), target, eventcodec.DecodeEvent, registry, logger)
	if err != nil {
		_ = group.Close()
		return nil, nil, err
	}
	return c, func() {
		if err := c.Close(); err != nil {
			logger.Warn("close Kafka consumer", "err", err)
		}
	}, nil
}

// provideKafkaWorkers runs the consumer and exports the outbox backlog,
// which is the broker's debt: rows committed but not yet acknowledged.
func provideKafkaWorkers(c *consumer.Consumer, relays *postgres.ShardRelays, registry *prometheus.Registry) (kafkaWorkers, error) {
	if err := registry.Register(relays.BacklogGauge()); err != nil {
		return nil, err
	}
	return kafkaWorkers{{"Kafka consumer", c}}, nil
}
