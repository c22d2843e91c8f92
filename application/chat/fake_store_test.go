package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chat/domain"
)

// fakeStore is an in-memory Store with the same visible rules as the real
// one (members only, dense seq, dedupe), enough to test the use cases.
type fakeStore struct {
	users    map[string]domain.User
	channels map[string]*domain.Channel
	messages map[string][]domain.Message
	events   []domain.Event
	appends  int
	reads    map[string]int64 // channel id + " " + user id -> position
}

func newFakeStore(userIDs ...string) *fakeStore {
	s := &fakeStore{users: map[string]domain.User{}, channels: map[string]*domain.Channel{}, messages: map[string][]domain.Message{}}
	for _, id := range userIDs {
		s.users[id] = domain.User{ID: id, Name: "name of " + id}
	}
	return s
}

func (s *fakeStore) CreateChannel(_ context.Context, actor domain.Actor, spec domain.NewChannelSpec, members []string) (domain.Channel, bool, error) {
	origin := actor.SessionID
	for _, id := range members {
		if _, ok := s.users[id]; !ok {
			return domain.Channel{}, false, domain.ErrUserNotFound
		}
	}
	if spec.Type == domain.ChannelDirect {
		for _, ch := range s.channels {
			if ch.Type == domain.ChannelDirect && domain.DirectKey(ch.MemberIDs[0], ch.MemberIDs[1]) == domain.DirectKey(members[0], members[1]) {
				return *ch, false, nil
			}
		}
	}
	ch := &domain.Channel{ID: fmt.Sprintf("c%d", len(s.channels)+1), Type: spec.Type, Name: spec.Name, MemberIDs: members}
	s.channels[ch.ID] = ch
	s.events = append(s.events, domain.Event{Type: domain.EventChannelCreated, ChannelID: ch.ID, Channel: ch, OriginSession: origin})
	return *ch, true, nil
}

func (s *fakeStore) member(actorID, channelID string) (*domain.Channel, error) {
	ch, ok := s.channels[channelID]
	if !ok {
		return nil, domain.ErrChannelNotFound
	}
	if !ch.HasMember(actorID) {
		return nil, domain.ErrNotMember
	}
	return ch, nil
}

func (s *fakeStore) AppendMessage(_ context.Context, actor domain.Actor, msg domain.Message, ordered func()) (domain.Message, bool, error) {
	if ordered != nil {
		defer ordered() // its place is fixed once it is stored
	}
	actorID, origin := actor.UserID, actor.SessionID
	s.appends++
	ch, err := s.member(actorID, msg.ChannelID)
	if err != nil {
		return domain.Message{}, false, err
	}
	for _, m := range s.messages[ch.ID] {
		if m.SenderID == msg.SenderID && m.ClientMessageID == msg.ClientMessageID {
			return m, true, nil
		}
	}
	ch.LastSeq++
	msg.Seq = ch.LastSeq
	msg.ID = fmt.Sprintf("m%d-%d", len(s.messages), msg.Seq)
	s.messages[ch.ID] = append(s.messages[ch.ID], msg)
	s.events = append(s.events, domain.Event{Type: domain.EventMessageCreated, ChannelID: ch.ID, Message: &msg, OriginSession: origin})
	return msg, false, nil
}

func (s *fakeStore) Messages(_ context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	actorID := actor.UserID
	if _, err := s.member(actorID, channelID); err != nil {
		return nil, false, err
	}
	var out []domain.Message
	for _, m := range s.messages[channelID] {
		if m.Seq > page.AfterSeq && (page.BeforeSeq == 0 || m.Seq < page.BeforeSeq) {
			out = append(out, m)
		}
	}
	more := len(out) > page.Limit
	if more {
		if page.BeforeSeq > 0 {
			out = out[len(out)-page.Limit:]
		} else {
			out = out[:page.Limit]
		}
	}
	return out, more, nil
}

func (s *fakeStore) Channel(_ context.Context, actor domain.Actor, channelID string) (domain.Channel, error) {
	actorID := actor.UserID
	ch, err := s.member(actorID, channelID)
	if err != nil {
		return domain.Channel{}, err
	}
	return *ch, nil
}

func (s *fakeStore) Channels(_ context.Context, actor domain.Actor) ([]domain.Channel, error) {
	actorID := actor.UserID
	var out []domain.Channel
	for _, ch := range s.channels {
		if ch.HasMember(actorID) {
			out = append(out, *ch)
		}
	}
	return out, nil
}

func (s *fakeStore) Join(_ context.Context, actor domain.Actor, channelID string) (domain.Channel, bool, error) {
	actorID, origin := actor.UserID, actor.SessionID
	ch, ok := s.channels[channelID]
	if !ok {
		return domain.Channel{}, false, domain.ErrChannelNotFound
	}
	if ch.HasMember(actorID) {
		return *ch, false, nil
	}
	if len(ch.MemberIDs) >= domain.MaxGroupMembers {
		return domain.Channel{}, false, domain.ErrChannelFull
	}
	ch.MemberIDs = append(ch.MemberIDs, actorID)
	s.events = append(s.events, domain.Event{Type: domain.EventMemberJoined, ChannelID: ch.ID, UserID: actorID, OriginSession: origin})
	return *ch, true, nil
}

func (s *fakeStore) Leave(_ context.Context, actor domain.Actor, channelID string) error {
	actorID, origin := actor.UserID, actor.SessionID
	ch, err := s.member(actorID, channelID)
	if err != nil {
		return err
	}
	kept := ch.MemberIDs[:0]
	for _, id := range ch.MemberIDs {
		if id != actorID {
			kept = append(kept, id)
		}
	}
	ch.MemberIDs = kept
	s.events = append(s.events, domain.Event{Type: domain.EventMemberLeft, ChannelID: ch.ID, UserID: actorID, OriginSession: origin})
	return nil
}

func (s *fakeStore) UsersSharingChannel(_ context.Context, actor domain.Actor, ids []string) ([]domain.User, error) {
	actorID := actor.UserID
	var out []domain.User
	for _, id := range ids {
		if id == actorID {
			out = append(out, s.users[id])
			continue
		}
		for _, ch := range s.channels {
			if ch.HasMember(actorID) && ch.HasMember(id) {
				out = append(out, s.users[id])
				break
			}
		}
	}
	return out, nil
}

// countingLimiter allows a fixed number of sends per user.
type countingLimiter struct{ left map[string]int }

func (l *countingLimiter) AllowSend(userID string) (bool, time.Duration) {
	if l.left[userID] <= 0 {
		return false, time.Second
	}
	l.left[userID]--
	return true, 0
}

func (s *fakeStore) MarkRead(_ context.Context, actor domain.Actor, channelID string, seq int64) (int64, error) {
	ch, err := s.member(actor.UserID, channelID)
	if err != nil {
		return 0, err
	}
	if s.reads == nil {
		s.reads = map[string]int64{}
	}
	key := channelID + " " + actor.UserID
	next := min(seq, ch.LastSeq)
	if next <= s.reads[key] {
		return s.reads[key], nil
	}
	s.reads[key] = next
	s.events = append(s.events, domain.Event{Type: domain.EventReadUpdated, ChannelID: channelID, UserID: actor.UserID,
		LastReadSeq: next, OriginSession: actor.SessionID})
	return next, nil
}
