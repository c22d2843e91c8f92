// Package ws is the WebSocket side of the chat service: the Gateway that
// authenticates and upgrades GET /ws, one session per connection that turns
// frames into use-case calls, and the Hub that pushes committed events to
// the live sessions of this node.
//
// Delivery is at-least-once upstream (the outbox relay may repeat events),
// so the Hub keeps, per session and channel, the highest seq it has sent
// and never sends a message_received at or below it. A slow client never
// slows the others: the Hub only enqueues, and a session whose queue is
// full is closed with 4008 so that it reconnects and catches up.
//
// How bytes move on a connection (the bounded frame queue, batched writes,
// pooled reads, the worker pool that runs commands) is package wsconn's
// business; this package decides what the frames say.
package ws
