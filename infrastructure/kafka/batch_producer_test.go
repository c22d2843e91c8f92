package kafka

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

// A batch too large for one request per partition goes out in several
// rounds; the broker checks the sequence numbers across them and the
// channel keeps its order.
func TestPublisherSplitsALargeBatchInOrder(t *testing.T) {
	t.Parallel()
	cluster, cfg := openTestCluster(t, "node-a")
	pub, _ := newTestPublisher(t, cluster)

	channel := uuid.NewString()
	const perChannel = 6
	events := make([]domain.Event, 0, perChannel)
	for seq := int64(1); seq <= perChannel; seq++ {
		e := messageEvent(channel, seq)
		// Three of these exceed maxPartitionBatchBytes.
		e.Message.Body = strings.Repeat("x", maxPartitionBatchBytes/3+1)
		events = append(events, e)
	}
	for range 2 { // the second batch continues the partition's sequence
		if err := pub.Deliver(context.Background(), events); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	recs := readAll(t, cfg.Brokers, cluster.Topics().Events, 2*perChannel)
	for i, rec := range recs {
		e, err := eventcodec.DecodeEvent(rec.Value)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(i%perChannel + 1); e.Message.Seq != want {
			t.Fatalf("record %d has seq %d, want %d", i, e.Message.Seq, want)
		}
	}
}

// A produce refused because the partition's leadership moved (as right
// after a topic was created, or while a broker restarts) is repeated after
// a metadata refresh instead of failing the relay's batch, and lands once.
func TestPublisherRetriesWhenTheLeaderMoved(t *testing.T) {
	t.Parallel()
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	cfg := config.Kafka{Brokers: broker.ListenAddrs(), Partitions: 2, ReplicationFactor: 1, TopicPrefix: kafkatest.TopicPrefix()}
	cluster := openWith(t, cfg, "node-a")
	pub, _ := newTestPublisher(t, cluster)

	const notLeaderOrFollower = 6 // Kafka's error code
	var refused atomic.Int32
	// Handles the next Produce request only, then steps aside.
	broker.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			topic := kmsg.NewProduceResponseTopic()
			topic.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				part := kmsg.NewProduceResponseTopicPartition()
				part.Partition, part.ErrorCode = rp.Partition, notLeaderOrFollower
				topic.Partitions = append(topic.Partitions, part)
			}
			resp.Topics = append(resp.Topics, topic)
		}
		refused.Add(1)
		return resp, nil, true
	})

	channel := uuid.NewString()
	events := []domain.Event{messageEvent(channel, 1), messageEvent(channel, 2), messageEvent(channel, 3)}
	if err := pub.Deliver(context.Background(), events); err != nil {
		t.Fatalf("Deliver after a leadership move: %v", err)
	}
	if refused.Load() != 1 {
		t.Fatalf("the broker refused %d produce requests, want 1", refused.Load())
	}
	recs := readAll(t, cfg.Brokers, cluster.Topics().Events, len(events))
	for i, rec := range recs {
		e, err := eventcodec.DecodeEvent(rec.Value)
		if err != nil {
			t.Fatal(err)
		}
		if e.Message.Seq != int64(i+1) {
			t.Fatalf("record %d has seq %d", i, e.Message.Seq)
		}
	}
}

func TestPartitionMatchesSaramasHashPartitioner(t *testing.T) {
	t.Parallel()
	cluster, _ := openTestCluster(t, "node-a")
	pub, _ := newTestPublisher(t, cluster)
	topic := cluster.Topics().Events
	partitions, err := cluster.client.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		msg := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(uuid.NewString())}
		choice, err := sarama.NewHashPartitioner(topic).Partition(msg, int32(len(partitions)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := pub.producer.partition(msg)
		if err != nil {
			t.Fatal(err)
		}
		if got.partition != partitions[choice] {
			t.Fatalf("key %s: partition %d, sarama's producer picks %d", msg.Key, got.partition, partitions[choice])
		}
	}
}

func TestAddSequenceWrapsLikeTheBroker(t *testing.T) {
	for _, c := range []struct {
		seq  int32
		n    int
		want int32
	}{{0, 5, 5}, {math.MaxInt32 - 1, 1, math.MaxInt32}, {math.MaxInt32, 1, 0}, {math.MaxInt32 - 2, 5, 2}} {
		if got := addSequence(c.seq, c.n); got != c.want {
			t.Errorf("addSequence(%d, %d) = %d, want %d", c.seq, c.n, got, c.want)
		}
	}
}
