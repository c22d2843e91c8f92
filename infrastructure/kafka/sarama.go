package kafka

import (
	"time"

	"github.com/IBM/sarama"
	"github.com/rcrowley/go-metrics"
)

func init() {
	// Sarama keeps go-metrics meters per broker that nobody here reads and
	// that cost CPU on every request; Prometheus metrics live elsewhere.
	metrics.UseNilMetrics = true
}

// protocolVersion is the Kafka protocol level sarama speaks. 4.0 is the
// oldest broker the tests run and the first without ZooKeeper; kfake
// speaks it too.
var protocolVersion = sarama.V4_0_0_0

// Network bounds: a broker that does not answer must fail a publish within
// seconds, so the outbox relay backs off and retries instead of hanging
// with its database transaction open.
const (
	dialTimeout    = 5 * time.Second
	requestTimeout = 10 * time.Second
)

// baseConfig is the client configuration every connection shares.
func baseConfig(clientID string) *sarama.Config {
	c := sarama.NewConfig()
	c.Version = protocolVersion
	c.ClientID = clientID
	c.Net.DialTimeout = dialTimeout
	c.Net.ReadTimeout = requestTimeout
	c.Net.WriteTimeout = requestTimeout
	// Only the topics in use: a shared cluster may hold thousands.
	c.Metadata.Full = false
	// Topics are created at start with the configured layout; a metadata
	// request must never create one with the broker's defaults instead.
	c.Metadata.AllowAutoTopicCreation = false
	c.Metadata.Retry.Max = 3
	c.Metadata.Retry.Backoff = 250 * time.Millisecond
	return c
}

// producerConfig is the client configuration of batchProducer, which
// builds its requests itself: idempotent (a producer id and sequence
// numbers per partition), acks=all, and one request in flight per
// partition by construction. Producer.Timeout is how long the broker may
// wait for the in-sync replicas before it answers a request.
func producerConfig(clientID string) *sarama.Config {
	c := baseConfig(clientID)
	c.Net.MaxOpenRequests = 1
	c.Producer.Timeout = requestTimeout
	return c
}

// Consumer group timing: a member that stops heartbeating is dropped after
// sessionTimeout. Static membership (the instance id) lets a restarted
// node take its old place at once, without waiting for that.
const (
	sessionTimeout     = 10 * time.Second
	heartbeatInterval  = 2 * time.Second
	rebalanceTimeout   = 10 * time.Second
	autoCommitInterval = time.Second
)

// consumerConfig reads in partition order and commits what the handler
// marked (after delivery) every autoCommitInterval and when the session
// ends, so a crash repeats at most that much: delivery is at least once.
func consumerConfig(clientID, instanceID string) *sarama.Config {
	c := baseConfig(clientID)
	c.Consumer.Group.InstanceId = instanceID
	c.Consumer.Group.Session.Timeout = sessionTimeout
	c.Consumer.Group.Heartbeat.Interval = heartbeatInterval
	c.Consumer.Group.Rebalance.Timeout = rebalanceTimeout
	c.Consumer.Offsets.Initial = sarama.OffsetNewest
	c.Consumer.Offsets.AutoCommit.Enable = true
	c.Consumer.Offsets.AutoCommit.Interval = autoCommitInterval
	c.Consumer.Return.Errors = true
	return c
}
