package admin

import (
	"context"
	"time"

	"github.com/chatd/chat/domain"
)

// Key is a row's place in a listing ordered by creation time, then id. A
// listing page starts strictly after a Key, so rows created while an
// operator pages through are neither repeated nor skipped among those
// already seen: the order of existing rows never changes.
type Key struct {
	CreatedAt time.Time
	ID        string
}

// ChannelFilter narrows a channel listing. Zero fields match everything.
type ChannelFilter struct {
	Type     domain.ChannelType
	MemberID string
}

// ChannelSummary is a channel in a listing: no member list, only its size.
type ChannelSummary struct {
	Channel     domain.Channel
	MemberCount int
}

// Member is one member of a channel as the operator sees it.
type Member struct {
	UserID   string
	Name     string
	JoinedAt time.Time
	// LastReadSeq is how far the member has read the channel.
	LastReadSeq int64
}

// ChannelDetail is a channel with its members, oldest member first.
type ChannelDetail struct {
	ChannelSummary
	Members []Member
}

// Presence is a user's last known presence. Seen is false for a user who
// never sent a heartbeat, who counts as offline (docs/protocol.md, presence);
// NodeID is the gateway node that last wrote the status.
type Presence struct {
	domain.UserPresence
	NodeID string
	Seen   bool
}

// Store reads and changes what the operator manages, as the system role.
type Store interface {
	// Users returns up to limit users after the key (nil: from the first),
	// oldest first.
	Users(ctx context.Context, after *Key, limit int) ([]domain.User, error)

	// Channels returns up to limit channels matching filter after the key
	// (nil: from the first), oldest first.
	Channels(ctx context.Context, filter ChannelFilter, after *Key, limit int) ([]ChannelSummary, error)

	// Channel returns one channel with its members, or
	// domain.ErrChannelNotFound.
	Channel(ctx context.Context, channelID string) (ChannelDetail, error)

	// Messages returns a page of a channel's history in ascending seq and
	// whether more lie beyond it, like the members' get_messages; an
	// unknown channel is domain.ErrChannelNotFound.
	Messages(ctx context.Context, channelID string, page domain.Page) ([]domain.Message, bool, error)

	// RemoveMember ends a membership and, in the same transaction, records
	// the member_left event that ends the member's live subscription and
	// tells the others. An unknown channel is domain.ErrChannelNotFound, a
	// user who is not a member ErrNotMember of this package.
	RemoveMember(ctx context.Context, channelID, userID string) error

	// Presence returns a user's presence, or domain.ErrUserNotFound.
	Presence(ctx context.Context, userID string) (Presence, error)
}

// Node is one gateway node of the cluster and its place on the consistent
// hash ring. URL is where clients open /ws on it; it may be empty for the
// node answering (Self), which clients reach at the address they asked.
type Node struct {
	ID           string
	URL          string
	Self         bool
	Weight       int
	VirtualNodes int
	// Share is the fraction of the hash space (so of the users) the node
	// owns, 0 to 1; the shares of all nodes add up to 1.
	Share float64
}

// Cluster tells which gateway nodes are live and how the ring splits the
// users between them.
type Cluster interface {
	Nodes(ctx context.Context) ([]Node, error)
}
