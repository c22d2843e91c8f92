// Package kafka is the event backbone's driven adapter: it connects to an
// Apache Kafka cluster (or starts the in-process development broker),
// creates the topics, publishes the outbox through an idempotent producer,
// and builds the consumer groups that feed delivery.
//
// Topics: chat.events.v1 carries channel events keyed by channel id, so a
// channel's events stay in one partition, in seq order; chat.presence.v1
// carries presence changes keyed by user id. Both share one encoding,
// package eventcodec.
package kafka
