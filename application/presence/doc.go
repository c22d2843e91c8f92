// Package presence holds the online-presence use cases: heartbeats, the
// delayed offline trigger of the node that owns a user, and the bulk
// presence lookup.
//
// Heartbeats never touch the database. The node keeps, per online user, a
// deadline (last heartbeat of any connection + the presence timeout) in a
// Tracker: a sharded timing wheel whose entries live in one slab per shard,
// so a million online users cost a few dozen megabytes and no goroutine or
// timer each. Only status changes leave the Tracker; a single flusher
// writes them, latest per user, through the Store, which records the change
// and its presence_changed event in one transaction and announces nothing
// when the stored status is already the new one.
//
// The Tracker lives here rather than in an adapter because it is pure: time
// is an argument of every call, it starts no goroutine and does no I/O, and
// the onion rule forbids a use case from importing a sibling application
// package. The goroutine that drives it on a real ticker is an adapter
// (infrastructure/presencetimer).
package presence
