package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
)

// The retention of the embedded broker. kfake keeps every record in
// memory, so without a bound a long `make run` grows by every event it
// ever carried. Like a real broker's retention.bytes and retention.ms, the
// bound drops the oldest records of a partition; it trims whole segments,
// hence segments far smaller than a real broker's. At 500 messages/s over
// 12 partitions, 1 MiB a partition still holds the last half minute or
// more, far more than in-process consumers lag behind; a consumer that
// falls further back resets to the oldest record and its clients catch
// up from the database, as after any broker outage.
const (
	embeddedRetentionBytes = 1 << 20 // per partition
	embeddedSegmentBytes   = 256 << 10
	embeddedRetention      = 10 * time.Minute
	// embeddedRetentionEvery is how often the bound is applied (kfake
	// applies it only when asked).
	embeddedRetentionEvery = 5 * time.Second
)

// embeddedBroker is the in-process broker and the loop that applies its
// retention.
type embeddedBroker struct {
	cluster *kfake.Cluster
	stop    chan struct{}
	done    chan struct{}
}

func (b *embeddedBroker) retain(every time.Duration) {
	defer close(b.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
			b.cluster.ApplyRetention()
		}
	}
}

// Close stops the retention loop and the broker.
func (b *embeddedBroker) Close() {
	close(b.stop)
	<-b.done
	b.cluster.Close()
}

// startEmbedded runs the in-process development broker (franz-go's kfake,
// which speaks the Kafka protocol over TCP) on addr. If addr is taken by a
// Kafka broker already (another local chatd's embedded broker), it joins
// that one instead, so a second local node shares the first's events; it
// then returns a nil broker, since this process runs none.
func startEmbedded(addr string, partitions int, logger *slog.Logger) ([]string, *embeddedBroker, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("embedded Kafka broker: listen on %s: %w", addr, err)
		}
		if probeErr := probeBroker(addr); probeErr != nil {
			return nil, nil, fmt.Errorf("embedded Kafka broker: %s is in use by something that does not speak Kafka (%w); "+
				"set CHAT_EMBEDDED_KAFKA_ADDR to a free address or KAFKA_BROKERS to a real cluster", addr, probeErr)
		}
		logger.Warn("joining the embedded Kafka broker of another local chatd (development only, not durable: "+
			"its events are gone when that process stops)", "addr", addr)
		return []string{addr}, nil, nil
	}
	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil }),
		kfake.DefaultNumPartitions(partitions),
		kfake.BrokerConfigs(map[string]string{
			"log.retention.bytes": strconv.Itoa(embeddedRetentionBytes),
			"log.segment.bytes":   strconv.Itoa(embeddedSegmentBytes),
			"log.retention.ms":    strconv.FormatInt(embeddedRetention.Milliseconds(), 10),
		}),
	)
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("start embedded Kafka broker on %s: %w", addr, err)
	}
	brokers := cluster.ListenAddrs()
	logger.Warn("KAFKA_BROKERS is unset: running an in-process Kafka-compatible broker for development only; "+
		"it keeps recent events in memory and is not durable; set KAFKA_BROKERS for a real cluster", "addr", brokers,
		"retentionBytesPerPartition", embeddedRetentionBytes, "retention", embeddedRetention)
	b := &embeddedBroker{cluster: cluster, stop: make(chan struct{}), done: make(chan struct{})}
	go b.retain(embeddedRetentionEvery)
	return brokers, b, nil
}

// probeBroker checks that addr answers a Kafka metadata request.
func probeBroker(addr string) error {
	cfg := baseConfig("chatd-probe")
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Net.ReadTimeout = 2 * time.Second
	cfg.Net.WriteTimeout = 2 * time.Second
	cfg.Metadata.Retry.Max = 0
	client, err := sarama.NewClient([]string{addr}, cfg)
	if err != nil {
		return err
	}
	return client.Close()
}

// ServeEmbedded runs the development broker on addr until ctx ends, for a
// process of its own (cmd/devbroker): `make cluster` runs it apart from
// the chatd nodes, so that a node that dies does not take the broker of
// the others with it.
func ServeEmbedded(ctx context.Context, addr string, partitions int, logger *slog.Logger) error {
	_, broker, err := startEmbedded(addr, partitions, logger)
	if err != nil {
		return err
	}
	if broker == nil {
		return fmt.Errorf("a Kafka broker already serves %s", addr)
	}
	<-ctx.Done()
	broker.Close()
	return nil
}
