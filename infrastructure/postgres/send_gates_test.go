package postgres

import (
	"context"
	"testing"
)

// TestSendGatesServeTicketsInOrderOnceClosed closes a gate with three
// tickets out: the third waits for the first two, whatever order they
// finish in, and a ticket that gives up fails those still waiting.
func TestSendGatesServeTicketsInOrderOnceClosed(t *testing.T) {
	g := newSendGates()
	ctx := context.Background()
	const ch = "c"
	t0, _ := g.enter(ch)
	t1, _ := g.enter(ch)
	t2, _ := g.enter(ch)
	turn := make(chan bool, 1)
	go func() { turn <- g.turn(ctx, ch, t2) }()
	g.leave(ch, t1, false)
	select {
	case <-turn:
		t.Fatal("ticket 2 got its turn while ticket 0 was out")
	default:
	}
	g.leave(ch, t0, false)
	if !<-turn {
		t.Fatal("ticket 2 was refused its turn after tickets 0 and 1 ended")
	}
	g.leave(ch, t2, false)
	if len(g.m) != 0 {
		t.Fatal("a gate with no tickets out is kept")
	}

	a, _ := g.enter(ch)
	b, _ := g.enter(ch)
	go func() { turn <- g.waitIfClosed(ctx, ch, b) }()
	if !g.turn(ctx, ch, a) {
		t.Fatal("the first ticket must get its turn at once")
	}
	g.leave(ch, a, true) // gives up: the fence outlasted it
	if <-turn {
		t.Fatal("a ticket behind one that gave up must give up too")
	}
	g.leave(ch, b, true)
}

// TestSendGatesStickToOneShard: while tickets are out, every send of the
// channel goes to the shard the first one chose, until a move says else.
func TestSendGatesStickToOneShard(t *testing.T) {
	g := newSendGates()
	first, second := &shard{}, &shard{}
	t0, sh := g.enter("c")
	if sh != nil {
		t.Fatal("a new gate names no shard")
	}
	if got := g.use("c", first); got != first {
		t.Fatal("the first send's shard is not used")
	}
	t1, sh := g.enter("c")
	if sh != first || g.use("c", second) != first {
		t.Fatal("a later send must go where the tickets out went")
	}
	g.moved("c", second)
	t2, sh := g.enter("c")
	if sh != second {
		t.Fatal("after a move the sends go to the new shard")
	}
	for _, ticket := range []uint64{t0, t1, t2} {
		g.leave("c", ticket, false)
	}
}
