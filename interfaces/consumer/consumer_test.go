package consumer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"
)

const waitTimeout = 30 * time.Second

// testRecord is the tests' own record encoding; the consumer takes any
// decoder, so these tests need no knowledge of the production codec.
type testRecord struct {
	Channel string    `json:"channel"`
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
}

func decodeTestRecord(data []byte) (domain.Event, error) {
	var r testRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return domain.Event{}, fmt.Errorf("decode test record: %w", err)
	}
	return domain.Event{Type: domain.EventMessageCreated, ChannelID: r.Channel,
		Message: &domain.Message{ChannelID: r.Channel, Seq: r.Seq, CreatedAt: r.At}}, nil
}

// recordingHub keeps every delivered event, per channel.
type recordingHub struct {
	mu     sync.Mutex
	seqs   map[string][]int64
	notify chan struct{}
}

func newRecordingHub() *recordingHub {
	return &recordingHub{seqs: map[string][]int64{}, notify: make(chan struct{}, 1)}
}

func (h *recordingHub) Deliver(ctx context.Context, events []domain.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.mu.Lock()
	for _, e := range events {
		h.seqs[e.ChannelID] = append(h.seqs[e.ChannelID], e.Message.Seq)
	}
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
	return nil
}

// waitFor waits until every channel's last delivered seq reached want.
func (h *recordingHub) waitFor(t *testing.T, channels []string, want int64) map[string][]int64 {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		h.mu.Lock()
		done := true
		snapshot := map[string][]int64{}
		for _, ch := range channels {
			s := append([]int64(nil), h.seqs[ch]...)
			snapshot[ch] = s
			if len(s) == 0 || s[len(s)-1] < want {
				done = false
			}
		}
		h.mu.Unlock()
		if done {
			return snapshot
		}
		select {
		case <-h.notify:
		case <-deadline:
			t.Fatalf("timed out waiting for seq %d on every channel; delivered %v", want, snapshot)
		}
	}
}

type fixture struct {
	brokers []string
	topic   string
	group   string
	cfg     *sarama.Config
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V4_0_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Return.Errors = true
	prefix := kafkatest.TopicPrefix()
	f := fixture{brokers: kafkatest.Brokers(t), topic: prefix + "events", group: prefix + "group", cfg: cfg}
	admin, err := sarama.NewClusterAdmin(f.brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(f.topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f fixture) produce(t *testing.T, values map[string][]byte) {
	t.Helper()
	producer, err := sarama.NewSyncProducer(f.brokers, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	var msgs []*sarama.ProducerMessage
	for key, v := range values {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: f.topic, Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(v)})
	}
	if err := producer.SendMessages(msgs); err != nil {
		t.Fatal(err)
	}
}

// produceSeqs publishes seqs from..to of every channel, interleaved.
func (f fixture) produceSeqs(t *testing.T, channels []string, from, to int64) {
	t.Helper()
	for seq := from; seq <= to; seq++ {
		batch := map[string][]byte{}
		for _, ch := range channels {
			v, _ := json.Marshal(testRecord{Channel: ch, Seq: seq, At: time.Now()})
			batch[ch] = v
		}
		f.produce(t, batch)
	}
}

// run starts a consumer of the fixture's topic; stop ends it and closes
// its group, which commits what was delivered.
func (f fixture) run(t *testing.T, hub Hub, reg *prometheus.Registry) (stop func()) {
	t.Helper()
	group, err := sarama.NewConsumerGroup(f.brokers, f.group, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := New(group, []string{f.topic}, hub, decodeTestRecord, reg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("Run did not return after its context ended")
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// checkRun checks a channel's deliveries against the at-least-once
// contract: they start at from, never skip a seq, and reach to; a seq may
// come again after a rebalance (the hub drops those), never a gap.
func checkRun(t *testing.T, got map[string][]int64, from, to int64) {
	t.Helper()
	for ch, seqs := range got {
		if len(seqs) == 0 || seqs[0] != from {
			t.Fatalf("channel %s: delivered %v, want a start at %d", ch, seqs, from)
		}
		high := from - 1
		for _, seq := range seqs {
			if seq > high+1 {
				t.Fatalf("channel %s: delivered %v: seq %d skips ahead of %d", ch, seqs, seq, high)
			}
			high = max(high, seq)
		}
		if high != to {
			t.Fatalf("channel %s: delivered %v, want up to %d", ch, seqs, to)
		}
	}
}

func TestConsumerDeliversInOrderSkipsGarbageAndResumesWhereItStopped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	channels := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	f.produceSeqs(t, channels[:2], 1, 10)
	// A record no decoder understands must not stop its partition.
	f.produce(t, map[string][]byte{channels[0]: []byte("not an event")})
	f.produceSeqs(t, channels[:2], 11, 20)
	f.produceSeqs(t, channels[2:], 1, 20)

	hub := newRecordingHub()
	reg := prometheus.NewRegistry()
	stop := f.run(t, hub, reg)
	checkRun(t, hub.waitFor(t, channels, 20), 1, 20)
	stop()

	// A restarted consumer of the same group goes on after what was
	// delivered: nothing lost, no replay from the start.
	f.produceSeqs(t, channels, 21, 30)
	again := newRecordingHub()
	f.run(t, again, prometheus.NewRegistry())
	checkRun(t, again.waitFor(t, channels, 30), 21, 30)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, fam := range families {
		seen[fam.GetName()] = true
		switch fam.GetName() {
		case "chatd_delivery_latency_seconds":
			if n := fam.GetMetric()[0].GetHistogram().GetSampleCount(); n < 80 {
				t.Errorf("delivery latency observed %d messages, want at least 80", n)
			}
		case "chatd_kafka_consumer_lag":
			for _, m := range fam.GetMetric() {
				if m.GetGauge().GetValue() != 0 {
					t.Errorf("lag %v after catching up, want 0", m)
				}
			}
		}
	}
	if !seen["chatd_delivery_latency_seconds"] || !seen["chatd_kafka_consumer_lag"] {
		t.Errorf("metrics registered: %v", seen)
	}
}
