package fanout

import (
	"context"

	"github.com/chatd/chat/domain"
)

// Roster is who is in a channel at one version of its membership (see
// domain.Message.MemberVersion).
type Roster struct {
	Version int64
	Users   []string
}

// Members reads who is in channels now (the system's view, not a user's).
type Members interface {
	// ChannelMembers returns the members of each channel that exists,
	// with the version they were read at, in one consistent read;
	// channels without members are absent from the map.
	ChannelMembers(ctx context.Context, channelIDs []string) (map[string]Roster, error)
}

// Placement answers who owns a user on the consistent hash ring.
type Placement interface {
	// Owners names the nodes that must get userID's events: the current
	// owner first, then old owners whose handover has not ended.
	Owners(userID string) []string
	// IsMember reports whether nodeID is on the current ring.
	IsMember(nodeID string) bool
}

// Peers delivers a batch of events to another node's hub.
type Peers interface {
	// Send returns nil once the node took the events (its hub queued
	// them), or an error; it must give up when ctx ends.
	Send(ctx context.Context, nodeID string, events []domain.Event) error
}

// Local is this node's own hub.
type Local interface {
	// Deliver queues events for local connections; it fails only when
	// ctx ends.
	Deliver(ctx context.Context, events []domain.Event) error
}
