package kafka

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

// collector is a group handler that sends each record's event on a channel
// and marks it.
type collector struct{ events chan domain.Event }

func (collector) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (collector) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (c collector) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			e, err := eventcodec.DecodeEvent(msg.Value)
			if err != nil {
				return err
			}
			select {
			case c.events <- e:
			case <-sess.Context().Done():
				return nil
			}
			sess.MarkMessage(msg, "")
		case <-sess.Context().Done():
			return nil
		}
	}
}

// consume runs group until the returned stop is called; stop closes the
// group, which commits what was marked.
func consume(t *testing.T, group sarama.ConsumerGroup, topics []string) (<-chan domain.Event, func()) {
	t.Helper()
	events := make(chan domain.Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := group.Consume(ctx, topics, collector{events}); err != nil && ctx.Err() == nil {
				t.Errorf("Consume: %v", err)
				return
			}
		}
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		if err := group.Close(); err != nil {
			t.Errorf("close group: %v", err)
		}
	}
	t.Cleanup(stop)
	return events, stop
}

func next(t *testing.T, events <-chan domain.Event) domain.Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for a consumed event")
		return domain.Event{}
	}
}

func TestNewGroupStartsAtTheEndAsOfItsCreationAndRestartsResume(t *testing.T) {
	t.Parallel()
	cluster, _ := openTestCluster(t, "node-a")
	pub, _ := newTestPublisher(t, cluster)
	ctx := context.Background()
	ch := uuid.NewString()
	publish := func(seq int64) {
		t.Helper()
		if err := pub.Deliver(ctx, []domain.Event{messageEvent(ch, seq)}); err != nil {
			t.Fatal(err)
		}
	}

	publish(1) // before the node existed: clients fetch it with get_messages
	group, err := cluster.NewConsumerGroup(ctx)
	if err != nil {
		t.Fatalf("NewConsumerGroup: %v", err)
	}
	publish(2) // after the node started, before its group joined: delivered
	events, stop := consume(t, group, cluster.Topics().All())
	if e := next(t, events); e.Message.Seq != 2 {
		t.Fatalf("first consumed seq = %d, want 2", e.Message.Seq)
	}
	stop()

	publish(3) // while the node is down: delivered after its restart
	restarted, err := cluster.NewConsumerGroup(ctx)
	if err != nil {
		t.Fatalf("NewConsumerGroup after restart: %v", err)
	}
	events, _ = consume(t, restarted, cluster.Topics().All())
	if e := next(t, events); e.Message.Seq != 3 {
		t.Fatalf("first seq after restart = %d, want 3", e.Message.Seq)
	}
}
