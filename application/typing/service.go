package typing

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chatd/chat/domain"
)

// Interval is the least time between two typing events of one user in
// one channel (docs/protocol.md, Typing).
const Interval = 2 * time.Second

// deliverTimeout bounds handing one event on: a typing event that cannot
// reach a node within it is stale anyway.
const deliverTimeout = time.Second

// Clock tells the time; tests move a fake one by hand.
type Clock interface {
	Now() time.Time
}

// Channels checks membership when the caller cannot tell from what it
// knows already (*chat.Service): a channel the actor is not in fails like
// any other command on it (not found, not a member).
type Channels interface {
	Channel(ctx context.Context, actor domain.Actor, channelID string) (domain.Channel, error)
}

// Target routes events to the live connections of their recipients.
type Target interface {
	Deliver(ctx context.Context, events []domain.Event) error
}

// Service is the typing use case of one node. Safe for concurrent use.
type Service struct {
	clock    Clock
	channels Channels
	target   Target
	log      *slog.Logger

	mu        sync.Mutex
	last      map[key]time.Time // when the last event of a user and channel left
	nextSweep time.Time
}

type key struct{ user, channel string }

// NewService builds the typing use case.
func NewService(clock Clock, channels Channels, target Target, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{clock: clock, channels: channels, target: target, log: log, last: make(map[key]time.Time)}
}

// Typing tells the other members of channelID that the actor is typing.
// subscribed says the actor's session is subscribed to the channel, which
// proves membership without a database round trip; otherwise the store is
// asked. A call within Interval of the last event sent for the same user
// and channel succeeds and sends nothing; a failure to deliver is logged
// and not reported, since nothing the client could do would help.
func (s *Service) Typing(ctx context.Context, actor domain.Actor, channelID string, subscribed bool) error {
	if channelID == "" {
		return domain.Errorf(domain.KindValidation, "channelId must not be empty")
	}
	if !subscribed {
		if _, err := s.channels.Channel(ctx, actor, channelID); err != nil {
			return fmt.Errorf("typing in %s: %w", channelID, err)
		}
	}
	if !s.allow(actor.UserID, channelID) {
		return nil
	}
	ev := domain.Event{Type: domain.EventTyping, ChannelID: channelID, UserID: actor.UserID, OriginSession: actor.SessionID}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliverTimeout)
	defer cancel()
	if err := s.target.Deliver(dctx, []domain.Event{ev}); err != nil {
		s.log.WarnContext(ctx, "typing event not delivered", "user", actor.UserID, "channel", channelID, "err", err)
	}
	return nil
}

// allow reports whether an event of user in channel may leave now, and
// records it if so. Entries older than Interval are swept at most once per
// Interval, so the map holds only the users typing lately.
func (s *Service) allow(user, channel string) bool {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{user, channel}
	if at, ok := s.last[k]; ok && now.Sub(at) < Interval {
		return false
	}
	s.last[k] = now
	if !now.Before(s.nextSweep) {
		for k, at := range s.last {
			if now.Sub(at) >= Interval {
				delete(s.last, k)
			}
		}
		s.nextSweep = now.Add(Interval)
	}
	return true
}

// tracked is how many user and channel pairs the throttle remembers.
func (s *Service) tracked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.last)
}
