package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
	"github.com/chatd/chat/infrastructure/kafka"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
	"github.com/chatd/chat/interfaces/consumer"
)

// Load of the outbox-path benchmark: senders × rate = 1,000 messages/s,
// for benchDuration after a warm-up whose messages are not counted.
const (
	benchSenders  = 50
	benchRate     = 20 // messages per second per sender
	benchWarmUp   = 2 * time.Second
	benchDuration = 10 * time.Second
)

// BenchmarkOutboxPathLatency measures the latency the delivery path adds
// to a message: from the moment its transaction committed (AppendMessage
// returned) until the node's consumer hands it to the hub, at 1,000
// messages/s over 50 channels. Sub-benchmark kafka is the production path
// (outbox relay → idempotent producer, acks=all → real Apache Kafka →
// consumer group); direct is the relay handing events straight to the hub,
// as before the broker, for comparison. Run it with
//
//	go test ./cmd/chatd -run '^$' -bench OutboxPathLatency -benchtime 1x
//
// against `scripts/pg.sh` and `scripts/kafka.sh` (CHAT_TEST_DATABASE_URL,
// CHAT_TEST_KAFKA_BROKERS). It reports p50, p99, p99.9 and max in ms.
func BenchmarkOutboxPathLatency(b *testing.B) {
	for _, mode := range []string{"kafka", "direct"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				benchOutboxPath(b, mode)
			}
		})
	}
}

func benchOutboxPath(b *testing.B, mode string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dbURL := pgtest.NewDatabase(b)
	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL, ActorKey: postgres.ActorKey("bench secret of the outbox path")}, logger)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store := postgres.NewChatStore(db)
	hub := newTimingHub()

	var sink postgres.EventSink = hub
	var stages *stageSink // the publisher, timed
	var workers []Worker
	if mode == "kafka" {
		cfg := testKafka()
		cfg.Brokers = kafkatest.Brokers(b)
		cfg.Partitions = 12
		cluster, err := kafka.Open(ctx, cfg, "bench", logger)
		if err != nil {
			b.Fatal(err)
		}
		defer cluster.Close()
		publisher, err := kafka.NewPublisher(cluster, prometheus.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		defer publisher.Close()
		group, err := cluster.NewConsumerGroup(ctx)
		if err != nil {
			b.Fatal(err)
		}
		c, err := consumer.New(group, cluster.Topics().All(), hub, eventcodec.DecodeEvent, prometheus.NewRegistry(), logger)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		stages = &stageSink{next: publisher, entered: map[msgKey]time.Time{}, acked: map[msgKey]time.Time{}}
		sink = stages
		workers = append(workers, c)
	}
	workers = append(workers, postgres.NewOutboxRelay(db, sink, logger, outboxPollInterval))
	var running sync.WaitGroup
	for _, w := range workers {
		running.Go(func() { _ = w.Run(ctx) })
	}
	defer running.Wait()
	defer cancel()

	channels := benchChannels(b, ctx, db, store)
	committed := make([]map[int64]time.Time, benchSenders)
	start := time.Now()
	measureFrom := start.Add(benchWarmUp)
	var senders sync.WaitGroup
	for i, ch := range channels {
		committed[i] = map[int64]time.Time{}
		senders.Go(func() {
			tick := time.NewTicker(time.Second / benchRate)
			defer tick.Stop()
			for n := 0; time.Since(start) < benchWarmUp+benchDuration; n++ {
				<-tick.C
				msg, _, err := store.AppendMessage(ctx, domain.Actor{UserID: ch.sender, SessionID: "bench"}, domain.Message{
					ChannelID: ch.id, ClientMessageID: fmt.Sprint(n), Body: "benchmark message", Status: domain.MessageSent}, nil)

				if err != nil {
					b.Error(err)
					return
				}
				if now := time.Now(); now.After(measureFrom) {
					committed[i][msg.Seq] = now
				}
			}
		})
	}
	senders.Wait()

	var latencies, toRelay, publish, consume []time.Duration
	for i, ch := range channels {
		for seq, at := range committed[i] {
			got, ok := hub.await(ch.id, seq, 30*time.Second)
			if !ok {
				b.Fatalf("%s: message %d of channel %s never reached the hub", mode, seq, ch.id)
			}
			latencies = append(latencies, got.Sub(at))
			if entered, acked, ok := stages.timing(msgKey{ch.id, seq}); ok {
				toRelay = append(toRelay, entered.Sub(at))
				publish = append(publish, acked.Sub(entered))
				consume = append(consume, got.Sub(acked))
			}
		}
	}
	report(b, "", latencies)
	// Where the time goes: waiting for the relay (it publishes one batch
	// at a time), the broker's acknowledgement, and the consumer's fetch
	// (negative when the consumer got a record before its producer got
	// the acknowledgement).
	report(b, "relay-", toRelay)
	report(b, "publish-", publish)
	report(b, "consume-", consume)
	b.ReportMetric(float64(len(latencies))/benchDuration.Seconds(), "msgs/s")
}

// report adds the p50, p99, p99.9 and max of d, in ms, to the benchmark's
// metrics, each name prefixed.
func report(b *testing.B, prefix string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	for _, q := range []struct {
		name string
		at   float64
	}{{"p50", .5}, {"p99", .99}, {"p99.9", .999}, {"max", 1}} {
		b.ReportMetric(float64(d[int(q.at*float64(len(d)-1))])/float64(time.Millisecond), prefix+q.name+"-ms")
	}
}

type benchChannel struct{ id, sender string }

// benchChannels creates one group channel per sender.
func benchChannels(b *testing.B, ctx context.Context, db *postgres.DB, store *postgres.ChatStore) []benchChannel {
	users := postgres.NewUserStore(db)
	out := make([]benchChannel, benchSenders)
	for i := range out {
		u, err := users.CreateUser(ctx, domain.User{ID: "bench-" + uuid.NewString()[:8], Name: "bench", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)})
		if err != nil {
			b.Fatal(err)
		}
		spec := domain.NewChannelSpec{Type: domain.ChannelGroup, Name: "bench", CreatorID: u.ID}
		ch, _, err := store.CreateChannel(ctx, domain.Actor{UserID: u.ID, SessionID: "bench"}, spec, []string{u.ID})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = benchChannel{id: ch.ID, sender: u.ID}
	}
	return out
}

type msgKey struct {
	channelID string
	seq       int64
}

// stageSink times the publisher: when each message entered it and when
// the broker acknowledged it.
type stageSink struct {
	next           postgres.EventSink
	mu             sync.Mutex
	entered, acked map[msgKey]time.Time
}

func (s *stageSink) DeliverRecords(ctx context.Context, records []eventcodec.Record) error {
	entered := time.Now()
	err := s.next.DeliverRecords(ctx, records)
	acked := time.Now()
	if err != nil {
		return err
	}
	events, err := eventcodec.DecodeRecords(records)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		if e.Message != nil {
			k := msgKey{e.ChannelID, e.Message.Seq}
			if _, seen := s.entered[k]; !seen {
				s.entered[k], s.acked[k] = entered, acked
			}
		}
	}
	return nil
}

// timing reports when a message entered the publisher and when the
// broker acknowledged it, if it was published (a nil stageSink, in direct
// mode, knows nothing).
func (s *stageSink) timing(k msgKey) (entered, acked time.Time, ok bool) {
	if s == nil {
		return time.Time{}, time.Time{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entered, ok = s.entered[k]
	return entered, s.acked[k], ok
}

// timingHub records when each message reached it.
type timingHub struct {
	mu      sync.Mutex
	arrived map[string]map[int64]time.Time
	notify  chan struct{}
}

func newTimingHub() *timingHub {
	return &timingHub{arrived: map[string]map[int64]time.Time{}, notify: make(chan struct{}, 1)}
}

func (h *timingHub) Deliver(_ context.Context, events []domain.Event) error {
	now := time.Now()
	h.mu.Lock()
	for _, e := range events {
		if e.Message == nil {
			continue
		}
		byChannel := h.arrived[e.ChannelID]
		if byChannel == nil {
			byChannel = map[int64]time.Time{}
			h.arrived[e.ChannelID] = byChannel
		}
		if _, seen := byChannel[e.Message.Seq]; !seen {
			byChannel[e.Message.Seq] = now
		}
	}
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
	return nil
}

func (h *timingHub) DeliverRecords(ctx context.Context, records []eventcodec.Record) error {
	events, err := eventcodec.DecodeRecords(records)
	if err != nil {
		return err
	}
	return h.Deliver(ctx, events)
}

func (h *timingHub) await(channelID string, seq int64, timeout time.Duration) (time.Time, bool) {
	deadline := time.After(timeout)
	for {
		h.mu.Lock()
		at, ok := h.arrived[channelID][seq]
		h.mu.Unlock()
		if ok {
			return at, true
		}
		select {
		case <-h.notify:
		case <-deadline:
			return time.Time{}, false
		}
	}
}
