package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/IBM/sarama"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/retry"
)

// Cluster is this node's handle on the broker, the embedded one it runs or
// an external cluster: it creates the topics, answers readiness checks and
// hands out producers and consumer groups that share its settings.
type Cluster struct {
	brokers []string
	topics  Topics
	groupID string
	// fanoutGroupID is shared by the nodes of a cluster.
	fanoutGroupID string
	clientID      string
	client        sarama.Client
	admin         sarama.ClusterAdmin
	embedded      *embeddedBroker // nil unless this process runs the broker
	logger        *slog.Logger

	partitions, replication int // of the topics this node creates
}

// topicsReadyTimeout bounds the wait for new topics to get partition
// leaders, which a real broker elects a moment after creating them.
const topicsReadyTimeout = 30 * time.Second

var leadersBackoff = retry.Backoff{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond}

// Open connects to the brokers in cfg, or starts (or joins) the embedded
// development broker when there are none, and creates the topics that are
// missing. nodeID names this node's consumer group.
func Open(ctx context.Context, cfg config.Kafka, nodeID string, logger *slog.Logger) (*Cluster, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{
		brokers:       cfg.Brokers,
		topics:        NewTopics(cfg.TopicPrefix),
		groupID:       groupID(cfg.TopicPrefix, nodeID),
		fanoutGroupID: cfg.TopicPrefix + "chatd.fanout",
		clientID:      "chatd-" + sanitizeID(nodeID),
		logger:        logger.With(slog.String("component", "kafka")),
	}
	c.partitions, c.replication = cfg.Partitions, cfg.ReplicationFactor
	if cfg.Embedded() {
		brokers, embedded, err := startEmbedded(cfg.EmbeddedAddr, cfg.Partitions, c.logger)
		if err != nil {
			return nil, err
		}
		c.brokers, c.embedded, c.replication = brokers, embedded, 1
	}
	if err := c.connect(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) connect(ctx context.Context) error {
	cfg := baseConfig(c.clientID + "-admin")
	// Admin requests go to the controller, which only a metadata request
	// without topics (all of them) finds.
	cfg.Metadata.Full = true
	client, err := sarama.NewClient(c.brokers, cfg)
	if err != nil {
		return fmt.Errorf("connect to Kafka at %v: %w", c.brokers, err)
	}
	c.client = client
	if c.admin, err = sarama.NewClusterAdminFromClient(client); err != nil {
		return fmt.Errorf("Kafka admin client: %w", err)
	}
	if err := c.ensureTopics(); err != nil {
		return err
	}
	if err := c.waitForLeaders(ctx); err != nil {
		return err
	}
	if c.embedded != nil {
		return nil
	}
	return c.checkDurability()
}

// waitForLeaders returns once every partition of the topics has a leader,
// so the first publish and the first offset lookup do not race the
// broker's leader election for freshly created topics.
func (c *Cluster) waitForLeaders(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, topicsReadyTimeout)
	defer cancel()
	err := retry.Do(ctx, leadersBackoff, func(error) bool { return true }, func(context.Context) error {
		if err := c.client.RefreshMetadata(c.topics.All()...); err != nil {
			return err
		}
		return c.leadersKnown()
	})
	if err != nil {
		return fmt.Errorf("wait for topic leaders: %w", err)
	}
	return nil
}

func (c *Cluster) leadersKnown() error {
	for _, topic := range c.topics.All() {
		partitions, err := c.client.Partitions(topic)
		if err != nil {
			return fmt.Errorf("partitions of %s: %w", topic, err)
		}
		for _, p := range partitions {
			if _, err := c.client.Leader(topic, p); err != nil {
				return fmt.Errorf("leader of %s/%d: %w", topic, p, err)
			}
		}
	}
	return nil
}

// Topics returns the topic names this node publishes to and reads.
func (c *Cluster) Topics() Topics { return c.topics }

// Brokers returns the bootstrap addresses in use (the embedded broker's
// address in development mode).
func (c *Cluster) Brokers() []string { return c.brokers }

// Ping asks the broker for the topics' metadata, for /readyz: a node whose
// broker is gone still takes messages (the outbox keeps them) but cannot
// deliver them, so it should not receive new connections.
func (c *Cluster) Ping(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- c.client.RefreshMetadata(c.topics.All()...) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("Kafka metadata: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("Kafka metadata: %w", ctx.Err())
	}
}

// Close disconnects, and stops the embedded broker if this process runs it.
func (c *Cluster) Close() error {
	var errs []error
	if c.admin != nil {
		// Closing the admin closes the client it was made from.
		errs = append(errs, c.admin.Close())
	} else if c.client != nil {
		errs = append(errs, c.client.Close())
	}
	if c.embedded != nil {
		c.embedded.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close Kafka admin client: %w", err)
	}
	return nil
}
