package kafka

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

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
