package consumer

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/IBM/sarama"

	"github.com/chatd/chat/domain"
)

// maxBatch bounds how many records already fetched go to the hub in one
// call: one lock of the hub per batch instead of per record, while a burst
// still reaches connections in small steps.
const maxBatch = 256

// handler is the group session's callback: one ConsumeClaim per partition,
// each in its own goroutine, so partitions proceed independently while
// each one is delivered strictly in offset order.
type handler struct {
	hub       Hub
	decode    Decoder
	metrics   metrics
	logger    *slog.Logger
	recovered func(context.Context)
}

// Setup logs the partitions this session got; a session that starts means
// the broker answers again.
func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	h.recovered(sess.Context())
	h.logger.Debug("consumer group session started", "member", sess.MemberID(), "generation", sess.GenerationID(), "claims", sess.Claims())
	return nil
}

// Cleanup has nothing to release: offsets are marked as records are
// delivered, and sarama commits them when the session ends.
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim delivers one partition's records in order until the session
// ends. A record's offset is marked only after the hub took it, so what is
// committed has been delivered.
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	ctx := sess.Context()
	partition := strconv.Itoa(int(claim.Partition()))
	for {
		var first *sarama.ConsumerMessage
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			first = msg
		}
		batch, open := drain(claim.Messages(), first)
		if err := h.deliver(ctx, batch); err != nil {
			return nil // the session ended during delivery; nothing is marked
		}
		last := batch[len(batch)-1]
		sess.MarkMessage(last, "")
		h.metrics.lag.WithLabelValues(claim.Topic(), partition).Set(float64(max(claim.HighWaterMarkOffset()-last.Offset-1, 0)))
		if !open {
			return nil
		}
	}
}

// drain collects first and the records already waiting behind it, up to
// maxBatch, without blocking. It reports false if the channel closed.
func drain(messages <-chan *sarama.ConsumerMessage, first *sarama.ConsumerMessage) ([]*sarama.ConsumerMessage, bool) {
	batch := []*sarama.ConsumerMessage{first}
	for len(batch) < maxBatch {
		select {
		case msg, ok := <-messages:
			if !ok {
				return batch, false
			}
			batch = append(batch, msg)
		default:
			return batch, true
		}
	}
	return batch, true
}

// deliver decodes a batch and hands it to the hub. A record that does not
// decode can never be delivered; holding it would stop its partition for
// good, so it is logged whole and skipped.
func (h *handler) deliver(ctx context.Context, batch []*sarama.ConsumerMessage) error {
	events := make([]domain.Event, 0, len(batch))
	for _, msg := range batch {
		e, err := h.decode(msg.Value)
		if err != nil {
			h.logger.ErrorContext(ctx, "skipping undecodable record",
				slog.String("topic", msg.Topic), slog.Int("partition", int(msg.Partition)), slog.Int64("offset", msg.Offset),
				slog.String("value", string(msg.Value)), slog.Any("error", err))
			continue
		}
		events = append(events, e)
	}
	if len(events) == 0 {
		return nil
	}
	if err := h.hub.Deliver(ctx, events); err != nil {
		return err
	}
	h.recovered(ctx)
	now := time.Now()
	for _, e := range events {
		if e.Type == domain.EventMessageCreated && e.Message != nil && !e.Message.CreatedAt.IsZero() {
			h.metrics.deliveryLatency.Observe(now.Sub(e.Message.CreatedAt).Seconds())
		}
	}
	return nil
}
