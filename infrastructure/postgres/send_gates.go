package postgres

import (
	"context"
	"sync"
	"time"
)

// sendGates keep a node's sends to one channel in the order they arrived
// while the channel moves between shards. Sends are pipelined: the next
// send of a connection to a channel starts once the previous one has its
// place in the shard's queue, before its outcome. If both meet the fence,
// or the fence is lifted between them, trying each again as soon as it
// learns of the move could store the later one first. So each send takes
// a ticket; the sends of a channel that has tickets out all go to the same
// shard; and once one of them meets a fence the channel's gate closes:
// every send of it from then on is tried again only after all earlier
// tickets are done, in ticket order. A send that gives up (past
// fencePatience) fails the ones waiting behind it too, so none is stored
// after an earlier one was refused.
type sendGates struct {
	mu   sync.Mutex
	cond *sync.Cond
	m    map[string]*sendGate
}

// sendGate is one channel's tickets out on this node.
type sendGate struct {
	next uint64          // the next ticket to hand out
	low  uint64          // every ticket below low is done
	done map[uint64]bool // done tickets at or above low
	out  int             // tickets not done
	sh   *shard          // where the channel's sends go while tickets are out
	// closed: a send met the fence; failed: one gave up.
	closed, failed bool
	// waiting counts the sends waiting for their turn.
	waiting int
}

func newSendGates() *sendGates {
	g := &sendGates{m: map[string]*sendGate{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter hands out a ticket of channel id and returns the shard the
// channel's sends go to now (nil: the caller locates it and calls use).
func (g *sendGates) enter(id string) (ticket uint64, sh *shard) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gate := g.m[id]
	if gate == nil {
		gate = &sendGate{done: map[uint64]bool{}}
		g.m[id] = gate
	}
	ticket = gate.next
	gate.next++
	gate.out++
	return ticket, gate.sh
}

// use records where the channel's sends go, unless an earlier send of the
// same tickets did, and returns the shard to use.
func (g *sendGates) use(id string, sh *shard) *shard {
	g.mu.Lock()
	defer g.mu.Unlock()
	gate := g.m[id]
	if gate.sh == nil {
		gate.sh = sh
	}
	return gate.sh
}

// turn waits until every ticket of the channel before this one is done,
// closing the gate first (the caller met a fence). It reports false when
// an earlier send gave up, or ctx ended: the caller gives up too.
func (g *sendGates) turn(ctx context.Context, id string, ticket uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	gate := g.m[id]
	gate.closed = true
	stop := context.AfterFunc(ctx, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.cond.Broadcast()
	})
	defer stop()
	gate.waiting++
	for gate.low < ticket && !gate.failed && ctx.Err() == nil {
		g.cond.Wait()
	}
	gate.waiting--
	return !gate.failed && ctx.Err() == nil
}

// waitIfClosed makes a send that arrives while the gate is closed wait
// for its turn; it reports false if it must give up.
func (g *sendGates) waitIfClosed(ctx context.Context, id string, ticket uint64) bool {
	g.mu.Lock()
	closed := g.m[id].closed
	g.mu.Unlock()
	if !closed {
		return true
	}
	return g.turn(ctx, id, ticket)
}

// moved points the channel's later sends at the shard it moved to.
func (g *sendGates) moved(id string, sh *shard) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.m[id].sh = sh
}

// leave marks a ticket done; gaveUp fails the sends waiting behind it. The
// last ticket out removes the gate, so a channel with no sends in flight
// costs nothing and is routed afresh.
func (g *sendGates) leave(id string, ticket uint64, gaveUp bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gate := g.m[id]
	gate.done[ticket] = true
	for gate.done[gate.low] {
		delete(gate.done, gate.low)
		gate.low++
	}
	if gaveUp {
		gate.failed = true
	}
	gate.out--
	if gate.closed {
		g.cond.Broadcast()
	}
	if gate.out == 0 {
		delete(g.m, id)
	}
}

// deadlineFrom is when a send that started at start stops waiting for a
// moving channel.
func deadlineFrom(start time.Time) time.Time { return start.Add(fencePatience) }
