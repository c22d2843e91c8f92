package kafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/chatd/chat/retry"
)

// maxPartitionBatchBytes bounds the records of one partition in one
// request, under the broker's default message.max.bytes (1 MiB) with room
// for the batch header.
const maxPartitionBatchBytes = 900 << 10

// produceRequestVersion is the Produce API version sarama's own producer
// uses for protocolVersion (Kafka 3.7 and later: v10).
const produceRequestVersion = 10

// A broker that just started cannot hand out producer ids for a moment.
var (
	initProducerIDTimeout = 10 * time.Second
	initProducerIDBackoff = retry.Backoff{Min: 50 * time.Millisecond, Max: time.Second}
)

// batchProducer is an idempotent Kafka producer that sends a whole outbox
// batch as one Produce request per partition leader and waits for those
// responses, instead of feeding the batch message by message through
// sarama's asynchronous producer.
//
// Why: sarama's producer moves each message through four goroutines and
// flushes on a linger timer; with one request in flight per partition
// (required for order under idempotence), a batch that has not fully
// reached the broker's goroutine when the timer fires goes out in several
// requests, one round trip after the other. On the shared 2-core machine
// that made a 40-event batch take 25 to 45 ms at p50 in the outbox-path
// benchmark, against one round trip (2 ms) here. See
// docs/performance-kafka.md.
//
// Guarantees are those of an idempotent producer with acks=all: the
// producer id and per-partition sequence numbers come from the broker
// (InitProducerId) and are checked by it, every request waits for all
// in-sync replicas, and a partition never has more than one request in
// flight because send returns only after every response. It never retries
// on its own: any failure fails the batch, and its owner replaces the
// producer (new producer id, fresh metadata and connections) before the
// outbox relay sends the batch again; consumers drop the duplicates that
// partitions which did succeed then receive.
type batchProducer struct {
	client     sarama.Client
	timeout    time.Duration
	producerID int64
	epoch      int16
	// nextSequence is the sequence number of each partition's next record
	// under producerID.
	nextSequence map[topicPartition]int32
	partitioners map[string]sarama.Partitioner
}

type topicPartition struct {
	topic     string
	partition int32
}

// newBatchProducer connects to brokers and obtains a producer id.
func newBatchProducer(ctx context.Context, brokers []string, cfg *sarama.Config) (*batchProducer, error) {
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect Kafka producer: %w", err)
	}
	p := &batchProducer{
		client:       client,
		timeout:      cfg.Producer.Timeout,
		nextSequence: map[topicPartition]int32{},
		partitioners: map[string]sarama.Partitioner{},
	}
	if err := p.initProducerID(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return p, nil
}

// initProducerID asks a broker for a new producer id (idempotence without
// transactions: any broker may answer). A broker that just started
// answers "coordinator loading" for a moment; that is retried for up to
// initProducerIDTimeout, as sarama's own producer does.
func (p *batchProducer) initProducerID(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, initProducerIDTimeout)
	defer cancel()
	return retry.Do(ctx, initProducerIDBackoff, coordinatorLoading,
		func(context.Context) error { return p.tryInitProducerID() })
}

func (p *batchProducer) tryInitProducerID() error {
	broker := p.client.LeastLoadedBroker()
	if broker == nil {
		return fmt.Errorf("init producer id: %w", sarama.ErrOutOfBrokers)
	}
	resp, err := broker.InitProducerID(&sarama.InitProducerIDRequest{Version: 4, ProducerID: -1, ProducerEpoch: -1})
	if err != nil {
		return fmt.Errorf("init producer id: %w", err)
	}
	if !errors.Is(resp.Err, sarama.ErrNoError) {
		return fmt.Errorf("init producer id: %w", resp.Err)
	}
	p.producerID, p.epoch = resp.ProducerID, resp.ProducerEpoch
	return nil
}

func coordinatorLoading(err error) bool {
	return errors.Is(err, sarama.ErrOffsetsLoadInProgress) || errors.Is(err, sarama.ErrConsumerCoordinatorNotAvailable) ||
		errors.Is(err, sarama.ErrNotCoordinatorForConsumer)
}

// send publishes msgs and returns once the broker acknowledged all of
// them. Records of one partition keep the order of msgs. A batch whose
// records exceed maxPartitionBatchBytes in one partition goes out in
// several rounds, each waiting for the previous one's acknowledgements.
func (p *batchProducer) send(ctx context.Context, msgs []*sarama.ProducerMessage) error {
	now := time.Now().Truncate(time.Millisecond)
	round := map[topicPartition]*sarama.RecordBatch{}
	roundBytes := map[topicPartition]int{}
	for _, msg := range msgs {
		tp, err := p.partition(msg)
		if err != nil {
			return err
		}
		key, err := msg.Key.Encode()
		if err != nil {
			return fmt.Errorf("encode record key: %w", err)
		}
		value, err := msg.Value.Encode()
		if err != nil {
			return fmt.Errorf("encode record value: %w", err)
		}
		size := len(key) + len(value)
		if batch := round[tp]; batch != nil && roundBytes[tp]+size > maxPartitionBatchBytes {
			if err := p.sendRoundRetrying(ctx, round); err != nil {
				return err
			}
			round, roundBytes = map[topicPartition]*sarama.RecordBatch{}, map[topicPartition]int{}
		}
		batch := round[tp]
		if batch == nil {
			batch = &sarama.RecordBatch{Version: 2, FirstTimestamp: now, MaxTimestamp: now}
			round[tp] = batch
		}
		batch.Records = append(batch.Records, &sarama.Record{
			OffsetDelta: int64(len(batch.Records)),
			Key:         key,
			Value:       value,
		})
		roundBytes[tp] += size
	}
	if len(round) == 0 {
		return nil
	}
	return p.sendRoundRetrying(ctx, round)
}

// Leadership moves (a broker restarting, a topic created a moment ago whose
// leader the broker has not taken up yet) make a produce fail with an
// error that a fresh look at the metadata cures. Retrying the round is
// safe: the sequence numbers advance only after a round succeeded, so a
// partition that took the batch the first time recognises the repeat as a
// duplicate and does not store it twice.
const leaderRetries = 3

var leaderRetryBackoff = retry.Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}

// sendRoundRetrying is sendRound, repeated after a metadata refresh while
// the failure is a leadership move, up to leaderRetries times.
func (p *batchProducer) sendRoundRetrying(ctx context.Context, round map[topicPartition]*sarama.RecordBatch) error {
	for attempt := 0; ; attempt++ {
		err := p.sendRound(round)
		if err == nil || attempt == leaderRetries || !leaderMoved(err) {
			return err
		}
		topics := make([]string, 0, len(round))
		for tp := range round {
			if !slices.Contains(topics, tp.topic) {
				topics = append(topics, tp.topic)
			}
		}
		if !leaderRetryBackoff.Wait(ctx, attempt+1) {
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		}
		if rerr := p.client.RefreshMetadata(topics...); rerr != nil {
			return fmt.Errorf("%w (and refreshing the metadata: %w)", err, rerr)
		}
	}
}

func leaderMoved(err error) bool {
	return errors.Is(err, sarama.ErrNotLeaderForPartition) ||
		errors.Is(err, sarama.ErrLeaderNotAvailable) ||
		errors.Is(err, sarama.ErrUnknownTopicOrPartition)
}

// partition picks msg's partition as sarama's producer does with the hash
// partitioner, so keys stay on the partitions they always had.
func (p *batchProducer) partition(msg *sarama.ProducerMessage) (topicPartition, error) {
	partitions, err := p.client.Partitions(msg.Topic)
	if err != nil {
		return topicPartition{}, fmt.Errorf("partitions of %s: %w", msg.Topic, err)
	}
	if len(partitions) == 0 {
		return topicPartition{}, fmt.Errorf("partitions of %s: %w", msg.Topic, sarama.ErrUnknownTopicOrPartition)
	}
	partitioner := p.partitioners[msg.Topic]
	if partitioner == nil {
		partitioner = sarama.NewHashPartitioner(msg.Topic)
		p.partitioners[msg.Topic] = partitioner
	}
	choice, err := partitioner.Partition(msg, int32(len(partitions)))
	if err != nil {
		return topicPartition{}, fmt.Errorf("partition a record of %s: %w", msg.Topic, err)
	}
	return topicPartition{msg.Topic, partitions[choice]}, nil
}

// sendRound numbers the batches, sends one request per partition leader
// (concurrently: different brokers keep no order between them) and
// advances the sequence numbers only once every partition was
// acknowledged.
func (p *batchProducer) sendRound(round map[topicPartition]*sarama.RecordBatch) error {
	requests := map[*sarama.Broker]*leaderRequest{}
	for tp, batch := range round {
		leader, err := p.client.Leader(tp.topic, tp.partition)
		if err != nil {
			return fmt.Errorf("leader of %s/%d: %w", tp.topic, tp.partition, err)
		}
		lr := requests[leader]
		if lr == nil {
			lr = &leaderRequest{req: &sarama.ProduceRequest{
				RequiredAcks: sarama.WaitForAll,
				Timeout:      int32(p.timeout / time.Millisecond),
				Version:      produceRequestVersion,
			}}
			requests[leader] = lr
		}
		batch.ProducerID, batch.ProducerEpoch, batch.FirstSequence = p.producerID, p.epoch, p.nextSequence[tp]
		batch.LastOffsetDelta = int32(len(batch.Records) - 1)
		lr.req.AddBatch(tp.topic, tp.partition, batch)
		lr.partitions = append(lr.partitions, tp)
	}
	errs := make([]error, 0, len(requests))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for broker, lr := range requests {
		wg.Go(func() {
			if err := lr.produce(broker); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for tp, batch := range round {
		p.nextSequence[tp] = addSequence(p.nextSequence[tp], len(batch.Records))
	}
	return nil
}

// leaderRequest is one round's request to one partition leader.
type leaderRequest struct {
	req        *sarama.ProduceRequest
	partitions []topicPartition
}

// produce sends the request to broker and checks the answer of every
// partition it carries.
func (lr *leaderRequest) produce(broker *sarama.Broker) error {
	resp, err := broker.Produce(lr.req)
	if err != nil {
		return fmt.Errorf("produce to broker %d: %w", broker.ID(), err)
	}
	for _, tp := range lr.partitions {
		block := resp.GetBlock(tp.topic, tp.partition)
		if block == nil {
			return fmt.Errorf("produce to %s/%d: %w", tp.topic, tp.partition, sarama.ErrIncompleteResponse)
		}
		if !errors.Is(block.Err, sarama.ErrNoError) {
			return fmt.Errorf("produce to %s/%d: %w", tp.topic, tp.partition, block.Err)
		}
	}
	return nil
}

// addSequence advances a sequence number by n records; the broker wraps
// sequence numbers to 0 after math.MaxInt32.
func addSequence(seq int32, n int) int32 {
	next := int64(seq) + int64(n)
	if next > math.MaxInt32 {
		next -= math.MaxInt32 + 1
	}
	return int32(next)
}

// close disconnects from the brokers.
func (p *batchProducer) close() error {
	return p.client.Close()
}
