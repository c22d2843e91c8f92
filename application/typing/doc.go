// Package typing is the typing-indicator use case (protocol v1.1): a
// member says it is typing, the channel's other members hear it.
//
// Nothing is stored and nothing goes through the outbox: a typing event
// is worthless a few seconds later, so it goes from the typist's node
// straight to the members' nodes (the same Target the consumer hands
// committed events to: the hub on a single node, the ring router in a
// cluster), and a lost one is not retried. At most one event per user and
// channel leaves per Interval; the rest are dropped here, before any
// routing. All of a user's connections live on the user's owner node, so a
// per-node throttle is a per-user throttle.
package typing
