package admin

import (
	"context"
	"fmt"

	"github.com/chatd/chat/domain"
)

// Limits of a listing page, the same as a history page's.
const (
	DefaultListLimit = domain.DefaultPageLimit
	MaxListLimit     = domain.MaxPageLimit
)

// ErrNotMember is removing a user from a channel it is not in. It is
// not_found rather than forbidden: the operator may do anything, the
// membership just does not exist.
var ErrNotMember = &domain.Error{Kind: domain.KindNotFound, Message: "the user is not a member of this channel"}

// ListQuery selects one page of a listing. Cursor is the NextCursor of the
// previous page ("" for the first); a nil Limit means DefaultListLimit.
type ListQuery struct {
	Cursor string
	Limit  *int
}

// ChannelQuery selects one page of channels; Type ("direct" or "group")
// and MemberID narrow it when not empty.
type ChannelQuery struct {
	ListQuery
	Type     string
	MemberID string
}

// Listing is one page of a listing. NextCursor is empty on the last page.
type Listing[T any] struct {
	Items      []T
	NextCursor string
}

// Service is the operator's use cases.
type Service struct {
	store   Store
	cluster Cluster
	shards  ShardMap
}

// NewService builds the admin use cases.
func NewService(store Store, cluster Cluster, shards ShardMap) *Service {
	return &Service{store: store, cluster: cluster, shards: shards}
}

// Users lists users, oldest first.
func (s *Service) Users(ctx context.Context, q ListQuery) (Listing[domain.User], error) {
	after, limit, err := q.parse(listUsers)
	if err != nil {
		return Listing[domain.User]{}, err
	}
	users, err := s.store.Users(ctx, after, limit+1)
	if err != nil {
		return Listing[domain.User]{}, fmt.Errorf("list users: %w", err)
	}
	return page(listUsers, users, limit, func(u domain.User) Key { return Key{u.CreatedAt, u.ID} }), nil
}

// Channels lists channels, oldest first, optionally of one type or with
// one member.
func (s *Service) Channels(ctx context.Context, q ChannelQuery) (Listing[ChannelSummary], error) {
	after, limit, err := q.parse(listChannels)
	if err != nil {
		return Listing[ChannelSummary]{}, err
	}
	var filter ChannelFilter
	if q.Type != "" {
		if filter.Type, err = domain.ParseChannelType(q.Type); err != nil {
			return Listing[ChannelSummary]{}, err
		}
	}
	if q.MemberID != "" {
		if err := domain.ValidateUserID(q.MemberID); err != nil {
			return Listing[ChannelSummary]{}, domain.Errorf(domain.KindValidation, "member: %s", domain.MessageOf(err))
		}
		filter.MemberID = q.MemberID
	}
	chs, err := s.store.Channels(ctx, filter, after, limit+1)
	if err != nil {
		return Listing[ChannelSummary]{}, fmt.Errorf("list channels: %w", err)
	}
	return page(listChannels, chs, limit, func(c ChannelSummary) Key { return Key{c.Channel.CreatedAt, c.Channel.ID} }), nil
}

// Channel returns one channel with its members.
func (s *Service) Channel(ctx context.Context, channelID string) (ChannelDetail, error) {
	ch, err := s.store.Channel(ctx, channelID)
	if err != nil {
		return ChannelDetail{}, fmt.Errorf("get channel %q: %w", channelID, err)
	}
	return ch, nil
}

// Messages reads a page of a channel's history by seq, with the rules of
// get_messages (domain.NewPage).
func (s *Service) Messages(ctx context.Context, channelID string, afterSeq, beforeSeq *int64, limit *int) ([]domain.Message, bool, error) {
	p, err := domain.NewPage(afterSeq, beforeSeq, limit)
	if err != nil {
		return nil, false, err
	}
	msgs, more, err := s.store.Messages(ctx, channelID, p)
	if err != nil {
		return nil, false, fmt.Errorf("read history of %q: %w", channelID, err)
	}
	return msgs, more, nil
}

// RemoveMember takes a user out of a channel. Their live connections stop
// receiving the channel and the other members get member_left, exactly as
// if the user had sent leave_channel.
func (s *Service) RemoveMember(ctx context.Context, channelID, userID string) error {
	if err := s.store.RemoveMember(ctx, channelID, userID); err != nil {
		return fmt.Errorf("remove %q from channel %q: %w", userID, channelID, err)
	}
	return nil
}

// Presence returns a user's presence; a user never seen is offline.
func (s *Service) Presence(ctx context.Context, userID string) (Presence, error) {
	p, err := s.store.Presence(ctx, userID)
	if err != nil {
		return Presence{}, fmt.Errorf("presence of %q: %w", userID, err)
	}
	if !p.Seen {
		p.UserID, p.Status = userID, domain.PresenceOffline
	}
	return p, nil
}

// Nodes returns the cluster's gateway nodes.
func (s *Service) Nodes(ctx context.Context) ([]Node, error) {
	nodes, err := s.cluster.Nodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("list cluster nodes: %w", err)
	}
	return nodes, nil
}

// parse validates the cursor and limit of a listing.
func (q ListQuery) parse(list string) (*Key, int, error) {
	limit := DefaultListLimit
	if q.Limit != nil {
		if *q.Limit < 1 || *q.Limit > MaxListLimit {
			return nil, 0, domain.Errorf(domain.KindValidation, "limit must be 1 to %d", MaxListLimit)
		}
		limit = *q.Limit
	}
	after, err := decodeCursor(list, q.Cursor)
	if err != nil {
		return nil, 0, err
	}
	return after, limit, nil
}

// page cuts rows (read with one extra row) to limit and, when the extra
// row was there, points the next cursor at the last row kept.
func page[T any](list string, rows []T, limit int, key func(T) Key) Listing[T] {
	if len(rows) <= limit {
		return Listing[T]{Items: rows}
	}
	rows = rows[:limit]
	return Listing[T]{Items: rows, NextCursor: encodeCursor(list, key(rows[limit-1]))}
}
