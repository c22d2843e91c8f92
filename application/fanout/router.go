package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/retry"
)

// routeBackoff spaces the retries for a node that does not answer, and
// for the members lookup while the database is away.
var routeBackoff = retry.Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}

// Router sends each event to the nodes of its recipients. It implements
// the consumer's Hub port.
type Router struct {
	self      string
	local     Local
	members   *memberCache
	placement Placement
	peers     Peers
	log       *slog.Logger
}

// NewRouter returns a router for the node self.
func NewRouter(self string, local Local, members Members, placement Placement, peers Peers, log *slog.Logger) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Router{self: self, local: local, members: newMemberCache(members), placement: placement, peers: peers, log: log.With(slog.String("component", "fanout"))}
}

// Deliver routes a batch and returns once every node that owns a recipient
// took its share, or left the ring. It fails only when ctx ends, and then
// the caller delivers the batch again (at least once; hubs drop repeats).
func (r *Router) Deliver(ctx context.Context, events []domain.Event) error {
	members, err := r.lookup(ctx, events)
	if err != nil {
		return err
	}
	byNode := r.plan(events, members)
	var wg sync.WaitGroup
	for node, batch := range byNode {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.sendTo(ctx, node, batch)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("route %d events: %w", len(events), err)
	}
	return nil
}

// lookup reads the members of every channel the batch needs (in one query,
// or none when the cache holds them all), retrying while the database
// fails: an event must not be routed to a guess of its recipients.
func (r *Router) lookup(ctx context.Context, events []domain.Event) (map[string][]string, error) {
	edge := retry.NewEdge(r.log, slog.LevelWarn, "members lookup")
	for {
		members, err := r.members.lookup(ctx, events)
		if err == nil {
			edge.OK(ctx)
			return members, nil
		}
		if !routeBackoff.Wait(ctx, edge.Fail(ctx, err, slog.Int("events", len(events)))) {
			return nil, fmt.Errorf("look up members for %d events: %w", len(events), ctx.Err())
		}
	}
}

// channelsToLookUp names the channels whose members receive ev.
func channelsToLookUp(ev domain.Event) []string {
	switch ev.Type {
	case domain.EventMessageCreated, domain.EventMemberJoined, domain.EventMemberLeft,
		domain.EventReadUpdated, domain.EventTyping:
		return []string{ev.ChannelID}
	case domain.EventPresenceChanged:
		return ev.ChannelIDs
	}
	return nil // channel_created carries its members
}

// recipients lists the users ev is for. A joiner and a leaver are added
// explicitly: the lookup reads members now, when the leaver is gone
// already, and the joiner's other connections must subscribe.
func recipients(ev domain.Event, members map[string][]string) []string {
	switch ev.Type {
	case domain.EventChannelCreated:
		if ev.Channel != nil {
			return ev.Channel.MemberIDs
		}
	case domain.EventMessageCreated, domain.EventReadUpdated, domain.EventTyping:
		return members[ev.ChannelID]
	case domain.EventMemberJoined, domain.EventMemberLeft:
		return append([]string{ev.UserID}, members[ev.ChannelID]...)
	case domain.EventPresenceChanged:
		var users []string
		for _, id := range ev.ChannelIDs {
			users = append(users, members[id]...)
		}
		return users
	}
	return nil
}

// plan splits the batch by node, keeping the batch's order within each
// node's share and putting each event at most once in a share.
func (r *Router) plan(events []domain.Event, members map[string][]string) map[string][]domain.Event {
	return splitByOwner(events, r.placement, func(ev domain.Event) []string { return recipients(ev, members) })
}

// splitByOwner splits events by the nodes that own the users each is for,
// keeping their order within each node's share and putting each event at
// most once in a share.
func splitByOwner(events []domain.Event, placement Placement, users func(domain.Event) []string) map[string][]domain.Event {
	byNode := make(map[string][]domain.Event)
	owners := make(map[string][]string) // memo: a user recurs across a batch
	for i, ev := range events {
		added := make(map[string]int)
		for _, user := range users(ev) {
			nodes, ok := owners[user]
			if !ok {
				nodes = placement.Owners(user)
				owners[user] = nodes
			}
			for _, node := range nodes {
				if last, ok := added[node]; ok && last == i {
					continue
				}
				added[node] = i
				byNode[node] = append(byNode[node], ev)
			}
		}
	}
	return byNode
}

// sendTo hands a node its share. The node's own share goes to its hub. A
// peer that fails is retried while it is on the ring; once it has left
// (crashed and its lease expired, or stopped), its users reconnect to
// their new owner and catch up from the database, so its share is
// dropped.
func (r *Router) sendTo(ctx context.Context, node string, batch []domain.Event) {
	if node == r.self {
		// Fails only when ctx ends, which Deliver reports.
		_ = r.local.Deliver(ctx, batch)
		return
	}
	edge := retry.NewEdge(r.log.With("node", node), slog.LevelWarn, "sending events to a node")
	for {
		err := r.peers.Send(ctx, node, batch)
		if err == nil {
			edge.OK(ctx)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !r.placement.IsMember(node) {
			r.log.InfoContext(ctx, "dropping events for a node that left the ring; its users catch up on their new owner",
				"node", node, "events", len(batch), "err", err)
			return
		}
		if !routeBackoff.Wait(ctx, edge.Fail(ctx, err, slog.Int("events", len(batch)))) {
			return
		}
	}
}
