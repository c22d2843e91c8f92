package fanout

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/retry"
)

// The live path's bounds. Everything it cannot do within them it leaves to
// the durable path (outbox, broker, consumer, Router), which delivers every
// committed event anyway; the hubs drop whichever copy comes second.
const (
	// liveQueue is how many committed events may wait for the dispatcher.
	liveQueue = 8192
	// liveBatch is the most events one members lookup serves.
	liveBatch = 512
	// liveTimeout bounds the members lookup and each send to a node: a
	// late live delivery is worth little more than the durable one.
	liveTimeout = time.Second
	// laneQueue is how many batches may wait for one node.
	laneQueue = 64
	// laneIdle ends a node's sender after this long without work, so a
	// node that left the ring leaves no goroutine behind.
	laneIdle = time.Minute
)

// Live is the live path of product design §2 (docs/architecture.md, "Live
// path and durable path"): right after a send commits, the storing node
// hands the message event straight to the nodes that own its recipients,
// itself included, without the broker's hops.
//
// Publish only queues; one dispatcher reads the queue in batches, looks
// up the members of the batch's channels (one query, or none when its
// cache has them), marks each event with its recipients (see
// domain.Event.Recipients), delivers this node's share to its hub and
// gives every other node's share to that node's sender, which posts its
// batches in order over the kept-open peer connections. Nothing is
// retried: a lookup or a send that fails, or a queue that is full, leaves
// those events to the durable path.
type Live struct {
	self      string
	local     Local
	members   *memberCache
	placement Placement
	peers     Peers
	log       *slog.Logger

	queue   chan domain.Event
	dropped atomic.Int64
	edge    *retry.Edge

	mu    sync.Mutex
	lanes map[string]*lane
	wg    sync.WaitGroup
}

// NewLive returns the live path of the node self.
func NewLive(self string, local Local, members Members, placement Placement, peers Peers, log *slog.Logger) *Live {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(slog.String("component", "live_path"))
	return &Live{
		self: self, local: local, members: newMemberCache(members), placement: placement, peers: peers, log: log,
		queue: make(chan domain.Event, liveQueue),
		edge:  retry.NewEdge(log, slog.LevelWarn, "live path members lookup"),
		lanes: make(map[string]*lane),
	}
}

// Publish hands a committed event to the live path without waiting; when
// the queue is full the event is left to the durable path.
func (l *Live) Publish(ev domain.Event) {
	select {
	case l.queue <- ev:
	default:
		l.dropped.Add(1)
	}
}

// Dropped reports how many deliveries the live path left to the durable
// path: events that found a queue full, or whose members lookup or send
// failed (an event counts once per node it missed).
func (l *Live) Dropped() int64 { return l.dropped.Load() }

// Run dispatches until ctx ends, then waits for the node senders.
func (l *Live) Run(ctx context.Context) error {
	defer l.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-l.queue:
			l.dispatch(ctx, l.drain(ev))
		}
	}
}

// drain collects first and the events already queued behind it.
func (l *Live) drain(first domain.Event) []domain.Event {
	batch := []domain.Event{first}
	for len(batch) < liveBatch {
		select {
		case ev := <-l.queue:
			batch = append(batch, ev)
		default:
			return batch
		}
	}
	return batch
}

// dispatch finds the batch's recipients and hands each node its share.
func (l *Live) dispatch(ctx context.Context, batch []domain.Event) {
	lctx, cancel := context.WithTimeout(ctx, liveTimeout)
	members, err := l.members.lookup(lctx, batch)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			l.dropped.Add(int64(len(batch)))
			l.edge.Fail(ctx, err, slog.Int("events", len(batch)))
		}
		return
	}
	l.edge.OK(ctx)
	byNode := l.plan(batch, members)
	for node, share := range byNode {
		if node != l.self {
			l.handOver(ctx, node, share)
		}
	}
	if share, ok := byNode[l.self]; ok {
		// Fails only when ctx ends.
		_ = l.local.Deliver(ctx, share)
	}
}

// plan marks each event with its recipients and splits the batch by the
// nodes that own them. An event whose channel has no members (gone, or not
// visible to the lookup) is left to the durable path.
func (l *Live) plan(batch []domain.Event, members map[string][]string) map[string][]domain.Event {
	marked := batch[:0]
	for _, ev := range batch {
		if users := members[ev.ChannelID]; len(users) > 0 {
			ev.Recipients = users
			marked = append(marked, ev)
		}
	}
	return splitByOwner(marked, l.placement, func(ev domain.Event) []string { return ev.Recipients })
}

// handOver queues a share for node's sender, starting the sender when
// there is none. It holds mu while it queues, so a sender retiring at
// that moment cannot strand the share.
func (l *Live) handOver(ctx context.Context, node string, share []domain.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln, ok := l.lanes[node]
	if !ok {
		ln = &lane{live: l, node: node, batches: make(chan []domain.Event, laneQueue),
			edge: retry.NewEdge(l.log.With("node", node), slog.LevelWarn, "live delivery to a node")}
		l.lanes[node] = ln
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			ln.run(ctx)
		}()
	}
	ln.push(share)
}

// lane sends one node its batches, one request at a time and in order, so
// a slow node delays only its own share.
type lane struct {
	live    *Live
	node    string
	batches chan []domain.Event
	edge    *retry.Edge
}

// push queues a batch, or leaves it to the durable path when the node is
// that far behind. Called with live.mu held, so it never races the lane's
// exit.
func (ln *lane) push(events []domain.Event) {
	select {
	case ln.batches <- events:
	default:
		ln.live.dropped.Add(int64(len(events)))
	}
}

func (ln *lane) run(ctx context.Context) {
	idle := time.NewTimer(laneIdle)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
			if ln.retire() {
				return
			}
			idle.Reset(laneIdle)
		case events := <-ln.batches:
			ln.send(ctx, ln.merge(events))
			idle.Reset(laneIdle)
		}
	}
}

// merge joins the batches already queued behind events into one request.
func (ln *lane) merge(events []domain.Event) []domain.Event {
	for len(events) < liveBatch {
		select {
		case more := <-ln.batches:
			events = append(events, more...)
		default:
			return events
		}
	}
	return events
}

func (ln *lane) send(ctx context.Context, events []domain.Event) {
	sctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	if err := ln.live.peers.Send(sctx, ln.node, events); err != nil {
		if ctx.Err() == nil {
			ln.live.dropped.Add(int64(len(events)))
			ln.edge.Fail(ctx, err, slog.Int("events", len(events)))
		}
		return
	}
	ln.edge.OK(ctx)
}

// retire removes an idle lane from the map, unless work arrived meanwhile.
func (ln *lane) retire() bool {
	ln.live.mu.Lock()
	defer ln.live.mu.Unlock()
	if len(ln.batches) > 0 {
		return false
	}
	delete(ln.live.lanes, ln.node)
	return true
}
