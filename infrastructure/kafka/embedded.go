package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
)

// startEmbedded runs the in-process development broker (franz-go's kfake,
// which speaks the Kafka protocol over TCP) on addr. If addr is taken by a
// Kafka broker already (another local chatd's embedded broker), it joins
// that one instead, so a second local node shares the first's events; it
// then returns a nil cluster, since this process runs no broker.
func startEmbedded(addr string, partitions int, logger *slog.Logger) ([]string, *kfake.Cluster, error) {
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
	)
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("start embedded Kafka broker on %s: %w", addr, err)
	}
	brokers := cluster.ListenAddrs()
	logger.Warn("KAFKA_BROKERS is unset: running an in-process Kafka-compatible broker for development only; "+
		"it keeps events in memory and is not durable; set KAFKA_BROKERS for a real cluster", "addr", brokers)
	return brokers, cluster, nil
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
