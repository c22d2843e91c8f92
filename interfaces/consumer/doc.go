// Package consumer is the driving adapter that turns the backbone's records
// into deliveries: one consumer group per node reads every partition of
// the event and presence topics and hands each record, in partition order,
// to the node's delivery hub, then commits its offset.
//
// Delivery is at least once: after a crash or a rebalance the records
// since the last commit come again, and an outbox row may be published
// twice. The hub drops a message whose seq a connection has seen already,
// so a connection still sees each message once and a channel's seq never
// goes backwards.
package consumer
