// Package fanout routes committed events to the gateway nodes whose users
// must hear about them: steps 3 to 5 of product design §2 in
// docs/architecture.md ("find the recipients' nodes on the ring and send
// the event straight there").
//
// In a cluster one consumer group, shared by all nodes, reads the event
// topics; each partition is read by one node, which hands its batches to a
// Router. The Router finds each event's recipients (a channel's members,
// or the members of the channels a user whose presence changed is in),
// looks up each recipient's owner on the consistent hash ring, and sends
// the event once to every node that owns at least one recipient: straight
// into its own hub when that is itself, over the internal channel
// otherwise. A receiving node's hub then pushes the event to its local
// connections exactly as a single node would.
//
// Order: a channel is one Kafka key, so its events arrive at one Router
// call at a time in seq order; the Router sends a batch to each node and
// waits for all of them before it returns, so a node never receives a
// channel's events out of order.
//
// Migration: while a ring change is recent, Placement names a moved user's
// old owner too, so the user's still-open connections there keep getting
// events until the old owner closes them (with a reconnect code) and the
// client catches up with get_messages on its new owner.
package fanout
