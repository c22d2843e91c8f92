package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
)

// Retry bounds for rejoining the group after a failure (broker gone,
// coordinator moving).
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Consumer runs this node's consumer group until its context ends.
type Consumer struct {
	group   sarama.ConsumerGroup
	topics  []string
	handler *handler
	logger  *slog.Logger
	// failing is set while errors are reported and cleared by the next
	// successful delivery, so an outage is logged when it starts and when
	// it ends rather than on every retry.
	failing atomic.Bool
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
	c := &Consumer{group: group, topics: topics, logger: logger}
	c.handler = &handler{hub: hub, decode: decode, metrics: m, logger: logger, recovered: c.recovered}
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
			if time.Since(started) < minBackoff && !sleep(ctx, minBackoff) {
				return nil
			}
			continue
		}
		failures++
		c.reportError(ctx, err)
		if !sleep(ctx, backoff(failures)) {
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
			c.reportError(ctx, err)
		}
	}
}

func (c *Consumer) reportError(ctx context.Context, err error) {
	if c.failing.CompareAndSwap(false, true) {
		c.logger.WarnContext(ctx, "Kafka consumer failing; retrying", slog.Any("error", err))
	}
}

func (c *Consumer) recovered(ctx context.Context) {
	if c.failing.CompareAndSwap(true, false) {
		c.logger.InfoContext(ctx, "Kafka consumer recovered")
	}
}

// Close leaves the group (committing what was marked) and disconnects.
func (c *Consumer) Close() error {
	if err := c.group.Close(); err != nil {
		return fmt.Errorf("close Kafka consumer group: %w", err)
	}
	return nil
}

func backoff(failures int) time.Duration {
	d := minBackoff
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
