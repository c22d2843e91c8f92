package chat

import (
	"context"
	"fmt"

	"github.com/chatd/chat/domain"
)

// Limits on bulk lookups.
const MaxLookupIDs = 100

// Service is the chat use cases for one acting user at a time.
type Service struct {
	store   Store
	limiter SendLimiter
	live    LivePath
}

// NewService builds the chat use cases over a store, a send limiter and
// the live path (nil: events reach connections over the durable path
// alone).
func NewService(store Store, limiter SendLimiter, live LivePath) *Service {
	return &Service{store: store, limiter: limiter, live: live}
}

// CreateChannelInput is what a client sends to create a channel.
type CreateChannelInput struct {
	Type      string
	Name      string
	MemberIDs []string
}

// CreateChannel creates a direct or group channel with the actor in it.
func (s *Service) CreateChannel(ctx context.Context, actor domain.Actor, in CreateChannelInput) (domain.Channel, bool, error) {
	typ, err := domain.ParseChannelType(in.Type)
	if err != nil {
		return domain.Channel{}, false, err
	}
	spec := domain.NewChannelSpec{Type: typ, Name: in.Name, CreatorID: actor.UserID, MemberIDs: in.MemberIDs}
	members, err := spec.Members()
	if err != nil {
		return domain.Channel{}, false, err
	}
	ch, created, err := s.store.CreateChannel(ctx, actor, spec, members)
	if err != nil {
		return domain.Channel{}, false, fmt.Errorf("create %s channel: %w", typ, err)
	}
	return ch, created, nil
}

// SendMessageInput is what a client sends to post a message.
type SendMessageInput struct {
	ChannelID       string
	Body            string
	ClientMessageID string
	// Ordered, when not nil, is called once the send holds its place in
	// the channel's order (see Store.AppendMessage); pipelined sends of
	// one connection wait for it instead of for each other's commits.
	Ordered func()
}

// SendMessage validates and stores a message. A retry with the same
// clientMessageId returns the original message. The rate limit is checked
// before the store is touched, so a refused message is never stored and
// takes no seq. A stored message goes to the live path at once; a repeat
// wrote no event and sends none.
func (s *Service) SendMessage(ctx context.Context, actor domain.Actor, in SendMessageInput) (domain.Message, error) {
	if in.ChannelID == "" {
		return domain.Message{}, domain.Errorf(domain.KindValidation, "channelId must not be empty")
	}
	if err := domain.ValidateClientMessageID(in.ClientMessageID); err != nil {
		return domain.Message{}, err
	}
	if err := domain.ValidateBody(in.Body); err != nil {
		return domain.Message{}, err
	}
	if ok, wait := s.limiter.AllowSend(actor.UserID); !ok {
		// The sentinel's kind and text, with the bucket's own hint.
		limited := *domain.ErrRateLimited
		limited.RetryAfter = wait
		return domain.Message{}, &limited
	}
	msg := domain.Message{
		ChannelID:       in.ChannelID,
		SenderID:        actor.UserID,
		ClientMessageID: in.ClientMessageID,
		Body:            in.Body,
		Status:          domain.MessageSent,
	}
	stored, duplicate, err := s.store.AppendMessage(ctx, actor, msg, in.Ordered)
	if err != nil {
		return domain.Message{}, fmt.Errorf("send message to %s: %w", in.ChannelID, err)
	}
	if !duplicate && s.live != nil {
		// The same event the store wrote to the outbox in the commit.
		m := stored
		s.live.Publish(domain.Event{Type: domain.EventMessageCreated, ChannelID: stored.ChannelID, Message: &m, OriginSession: actor.SessionID})
	}
	return stored, nil
}

// Messages reads a page of a channel's history.
func (s *Service) Messages(ctx context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	if channelID == "" {
		return nil, false, domain.Errorf(domain.KindValidation, "channelId must not be empty")
	}
	msgs, more, err := s.store.Messages(ctx, actor, channelID, page)
	if err != nil {
		return nil, false, fmt.Errorf("read history of %s: %w", channelID, err)
	}
	return msgs, more, nil
}

// Channel returns one channel the actor belongs to, with its members.
func (s *Service) Channel(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error) {
	if channelID == "" {
		return domain.Channel{}, domain.Errorf(domain.KindValidation, "channelId must not be empty")
	}
	ch, err := s.store.Channel(ctx, actor, channelID)
	if err != nil {
		return domain.Channel{}, fmt.Errorf("get channel %s: %w", channelID, err)
	}
	return ch, nil
}

// Channels lists the channels the actor belongs to, for the ready frame.
func (s *Service) Channels(ctx context.Context, actor domain.Actor) ([]domain.Channel, error) {
	chs, err := s.store.Channels(ctx, actor)
	if err != nil {
		return nil, fmt.Errorf("list channels of %s: %w", actor.UserID, err)
	}
	return chs, nil
}

// Join makes the actor a member of a channel; joining twice is harmless.
func (s *Service) Join(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error) {
	if channelID == "" {
		return domain.Channel{}, domain.Errorf(domain.KindValidation, "channelId must not be empty")
	}
	ch, _, err := s.store.Join(ctx, actor, channelID)
	if err != nil {
		return domain.Channel{}, fmt.Errorf("join %s: %w", channelID, err)
	}
	return ch, nil
}

// Leave ends the actor's membership of a channel.
func (s *Service) Leave(ctx context.Context, actor domain.Actor, channelID string) error {
	if channelID == "" {
		return domain.Errorf(domain.KindValidation, "channelId must not be empty")
	}
	if err := s.store.Leave(ctx, actor, channelID); err != nil {
		return fmt.Errorf("leave %s: %w", channelID, err)
	}
	return nil
}

// MarkRead records that the actor has read a channel up to seq and
// returns its read position, which only grows and never passes the
// channel's last message.
func (s *Service) MarkRead(ctx context.Context, actor domain.Actor, channelID string, seq int64) (int64, error) {
	if channelID == "" {
		return 0, domain.Errorf(domain.KindValidation, "channelId must not be empty")
	}
	if seq < 0 {
		return 0, domain.Errorf(domain.KindValidation, "seq must not be negative")
	}
	pos, err := s.store.MarkRead(ctx, actor, channelID, seq)
	if err != nil {
		return 0, fmt.Errorf("mark %s read: %w", channelID, err)
	}
	return pos, nil
}

// Users returns the profiles of those ids the actor may see: itself and
// users it shares a channel with.
func (s *Service) Users(ctx context.Context, actor domain.Actor, ids []string) ([]domain.User, error) {
	if len(ids) > MaxLookupIDs {
		return nil, domain.Errorf(domain.KindValidation, "at most %d userIds", MaxLookupIDs)
	}
	if len(ids) == 0 {
		return []domain.User{}, nil
	}
	users, err := s.store.UsersSharingChannel(ctx, actor, dedupe(ids))
	if err != nil {
		return nil, fmt.Errorf("look up %d users: %w", len(ids), err)
	}
	return users, nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
