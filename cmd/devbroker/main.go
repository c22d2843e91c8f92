// Command devbroker runs chatd's in-process development broker (a
// Kafka-compatible broker in memory, with the embedded retention) as a
// process of its own, for `make cluster`: every node connects to it with
// KAFKA_BROKERS, and killing any node leaves the broker to the others.
// Development only: it is not durable.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatd/chat/infrastructure/kafka"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19092", "address to listen on")
	partitions := flag.Int("partitions", 12, "partitions of the topics the nodes create")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := kafka.ServeEmbedded(ctx, *addr, *partitions, logger); err != nil {
		fmt.Fprintln(os.Stderr, "devbroker:", err)
		os.Exit(1)
	}
}
