// Package chat holds the use cases of channels and messages: create a
// channel, send, read history, join and leave. It decides what is allowed;
// the Store it is given owns the transactions that make each decision
// durable together with its outbox event.
package chat
