package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/retry"
)

// rejoinBackoff spaces the attempts to rejoin the group after a failure
// (broker gone, coordinator moving).
var rejoinBackoff = retry.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}

// Consumer runs this node's consumer group until its context ends.
type Consumer struct {
	group   sarama.ConsumerGroup
	topics  []string
	handler *handler
	logger  *slog.Logger
	// edge is failed by every reported error and cleared by the next
	// successful delivery, so an outage is logged when it starts and when
	// it ends rather than on every retry.
	edge *retry.Edge
}

// New builds a consumer of topics on group that feeds hub, and registers
// its metrics on reg.
func New(group sarama.ConsumerGroup, topics []string, hub Hub, decode Decoder, reg prometheus.Registerer, logger *slog.Logger) (*Consumer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With(slog.String("component", "kafka_consumer"))
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	c := &Consumer{group: group, topics: topics, logger: logger, edge: retry.NewEdge(logger, slog.LevelWarn, "Kafka consumer")}
	c.handler = &handler{hub: hub, decode: decode, metrics: m, logger: logger, recovered: c.edge.OK}
	return c, nil
}

// Run consumes until ctx ends, then returns nil. Each Consume call is one
// group session; it ends on a rebalance or a broker failure, and Run joins
// again, from the committed offsets.
func (c *Consumer) Run(ctx context.Context) error {
	errsDone := make(chan struct{})
	go func() {
		defer close(errsDone)
		c.logErrors(ctx)
	}()
	defer func() { <-errsDone }()
	failures := 0
	for {
		started := time.Now()
		err := c.group.Consume(ctx, c.topics, c.handler)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, sarama.ErrClosedConsumerGroup) {
			return fmt.Errorf("consume %v: %w", c.topics, err)
		}
		if err == nil {
			// A rebalance ended the session: join again at once, unless
			// sessions keep ending as soon as they start.
			failures = 0
			if time.Since(started) < rejoinBackoff.Min && !retry.Sleep(ctx, rejoinBackoff.Min) {
				return nil
			}
			continue
		}
		failures++
		c.edge.Fail(ctx, err)
		if !rejoinBackoff.Wait(ctx, failures) {
			return nil
		}
	}
}

// logErrors reports the errors sarama hands back while a session runs
// (fetch or commit failures, which it retries itself).
func (c *Consumer) logErrors(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-c.group.Errors():
			if !ok {
				return
			}
			c.edge.Fail(ctx, err)
		}
	}
}

// Close leaves the group (committing what was marked) and disconnects.
func (c *Consumer) Close() error {
	if err := c.group.Close(); err != nil {
		return fmt.Errorf("close Kafka consumer group: %w", err)
	}
	return nil
}
