package ws

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/domain"
)

// The real use cases satisfy the port; the tests run them over memStore.
var _ ChatService = (*chat.Service)(nil)

var epoch = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// memStore is an in-memory chat.Store. After each "commit" it hands the
// change's event to relay synchronously, as the outbox relay would a moment
// later, so a test that has seen a reply knows the event was delivered.
type memStore struct {
	mu       sync.Mutex
	users    map[string]domain.User
	channels map[string]*domain.Channel
	messages map[string][]domain.Message
	nextID   int
	relay    func([]domain.Event)

	// failWith, when set for a method name, makes it fail with that error.
	failWith map[string]error
}

func newMemStore(userIDs ...string) *memStore {
	st := &memStore{
		users:    make(map[string]domain.User),
		channels: make(map[string]*domain.Channel),
		messages: make(map[string][]domain.Message),
		failWith: make(map[string]error),
		relay:    func([]domain.Event) {},
	}
	for _, id := range userIDs {
		st.users[id] = domain.User{ID: id, Name: "name of " + id, CreatedAt: epoch}
	}
	return st
}

func (st *memStore) fail(method string, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.failWith[method] = err
}

// commit releases the lock and then relays events, like a relay woken after
// commit.
func (st *memStore) commit(events ...domain.Event) {
	st.mu.Unlock()
	if len(events) > 0 {
		st.relay(events)
	}
}

// addChannel creates a channel directly, without an event, for test setup.
func (st *memStore) addChannel(typ domain.ChannelType, members ...string) domain.Channel {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.nextID++
	ch := &domain.Channel{ID: fmt.Sprintf("c%d", st.nextID), Type: typ, MemberIDs: members, CreatedAt: epoch}
	st.channels[ch.ID] = ch
	return *ch
}

func (st *memStore) CreateChannel(_ context.Context, actor domain.Actor, spec domain.NewChannelSpec, members []string) (domain.Channel, bool, error) {
	origin := actor.SessionID
	st.mu.Lock()
	if err := st.failWith["CreateChannel"]; err != nil {
		st.mu.Unlock()
		return domain.Channel{}, false, err
	}
	for _, id := range members {
		if _, ok := st.users[id]; !ok {
			st.mu.Unlock()
			return domain.Channel{}, false, domain.ErrUserNotFound
		}
	}
	if spec.Type == domain.ChannelDirect {
		for _, ch := range st.channels {
			if ch.Type == domain.ChannelDirect && domain.DirectKey(ch.MemberIDs[0], ch.MemberIDs[1]) == domain.DirectKey(members[0], members[1]) {
				st.mu.Unlock()
				return *ch, false, nil
			}
		}
	}
	st.nextID++
	ch := &domain.Channel{ID: fmt.Sprintf("c%d", st.nextID), Type: spec.Type, Name: spec.Name, MemberIDs: members, CreatedAt: epoch}
	st.channels[ch.ID] = ch
	created := *ch
	st.commit(domain.Event{Type: domain.EventChannelCreated, ChannelID: ch.ID, Channel: &created, OriginSession: origin})
	return created, true, nil
}

func (st *memStore) AppendMessage(_ context.Context, actor domain.Actor, msg domain.Message, ordered func()) (domain.Message, bool, error) {
	if ordered != nil {
		defer ordered() // its place is fixed once it is stored
	}
	actorID, origin := actor.UserID, actor.SessionID
	st.mu.Lock()
	if err := st.failWith["AppendMessage"]; err != nil {
		st.mu.Unlock()
		return domain.Message{}, false, err
	}
	ch, err := st.memberChannel(actorID, msg.ChannelID)
	if err != nil {
		st.mu.Unlock()
		return domain.Message{}, false, err
	}
	for _, m := range st.messages[ch.ID] {
		if m.SenderID == actorID && m.ClientMessageID == msg.ClientMessageID {
			st.mu.Unlock()
			return m, true, nil
		}
	}
	ch.LastSeq++
	msg.Seq = ch.LastSeq
	msg.ID = fmt.Sprintf("m-%s-%d", ch.ID, msg.Seq)
	msg.CreatedAt = epoch.Add(time.Duration(msg.Seq) * time.Millisecond)
	st.messages[ch.ID] = append(st.messages[ch.ID], msg)
	stored := msg
	st.commit(domain.Event{Type: domain.EventMessageCreated, ChannelID: ch.ID, Message: &stored, OriginSession: origin})
	return msg, false, nil
}

func (st *memStore) Messages(_ context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	actorID := actor.UserID
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.failWith["Messages"]; err != nil {
		return nil, false, err
	}
	if _, err := st.memberChannel(actorID, channelID); err != nil {
		return nil, false, err
	}
	var out []domain.Message
	for _, m := range st.messages[channelID] {
		if m.Seq > page.AfterSeq && (page.BeforeSeq == 0 || m.Seq < page.BeforeSeq) {
			out = append(out, m)
		}
	}
	more := len(out) > page.Limit
	if more {
		out = out[:page.Limit]
	}
	return out, more, nil
}

func (st *memStore) Channel(_ context.Context, actor domain.Actor, channelID string) (domain.Channel, error) {
	actorID := actor.UserID
	st.mu.Lock()
	defer st.mu.Unlock()
	ch, err := st.memberChannel(actorID, channelID)
	if err != nil {
		return domain.Channel{}, err
	}
	return *ch, nil
}

func (st *memStore) Channels(_ context.Context, actor domain.Actor) ([]domain.Channel, error) {
	actorID := actor.UserID
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.failWith["Channels"]; err != nil {
		return nil, err
	}
	var out []domain.Channel
	for _, ch := range st.channels {
		if ch.HasMember(actorID) {
			out = append(out, domain.Channel{ID: ch.ID, Type: ch.Type, Name: ch.Name, LastSeq: ch.LastSeq, CreatedAt: ch.CreatedAt})
		}
	}
	slices.SortFunc(out, func(a, b domain.Channel) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (st *memStore) Join(_ context.Context, actor domain.Actor, channelID string) (domain.Channel, bool, error) {
	actorID, origin := actor.UserID, actor.SessionID
	st.mu.Lock()
	ch, ok := st.channels[channelID]
	switch {
	case !ok:
		st.mu.Unlock()
		return domain.Channel{}, false, domain.ErrChannelNotFound
	case ch.HasMember(actorID):
		st.mu.Unlock()
		return *ch, false, nil
	case ch.Type == domain.ChannelDirect:
		st.mu.Unlock()
		return domain.Channel{}, false, domain.ErrDirectJoin
	case len(ch.MemberIDs) >= domain.MaxGroupMembers:
		st.mu.Unlock()
		return domain.Channel{}, false, domain.ErrChannelFull
	}
	ch.MemberIDs = append(append([]string(nil), ch.MemberIDs...), actorID)
	joined := *ch
	// Like the real store, the event carries the channel's seq at the join,
	// where the joiner's other connections start their stream.
	st.commit(domain.Event{Type: domain.EventMemberJoined, ChannelID: channelID, Channel: &joined, UserID: actorID, OriginSession: origin})
	return joined, true, nil
}

func (st *memStore) Leave(_ context.Context, actor domain.Actor, channelID string) error {
	actorID, origin := actor.UserID, actor.SessionID
	st.mu.Lock()
	ch, err := st.memberChannel(actorID, channelID)
	if err != nil {
		st.mu.Unlock()
		return err
	}
	var rest []string
	for _, id := range ch.MemberIDs {
		if id != actorID {
			rest = append(rest, id)
		}
	}
	ch.MemberIDs = rest
	st.commit(domain.Event{Type: domain.EventMemberLeft, ChannelID: channelID, UserID: actorID, OriginSession: origin})
	return nil
}

func (st *memStore) UsersSharingChannel(_ context.Context, actor domain.Actor, ids []string) ([]domain.User, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []domain.User
	for _, id := range ids {
		if u, ok := st.users[id]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// memberChannel must be called with st.mu held.
func (st *memStore) memberChannel(actorID, channelID string) (*domain.Channel, error) {
	ch, ok := st.channels[channelID]
	if !ok {
		return nil, domain.ErrChannelNotFound
	}
	if !ch.HasMember(actorID) {
		return nil, domain.ErrNotMember
	}
	return ch, nil
}

type allowAll struct{}

func (allowAll) AllowSend(string) (bool, time.Duration) { return true, 0 }

// fakeAuth accepts the tokens "token-<userId>" for users of the store and
// "down" as a database outage.
type fakeAuth struct{ store *memStore }

func (a fakeAuth) AuthenticateSession(_ context.Context, token string) (domain.User, time.Time, error) {
	if token == "down" {
		return domain.User{}, time.Time{}, fmt.Errorf("look up user: %w", domain.ErrUnavailable)
	}
	var userID string
	if _, err := fmt.Sscanf(token, "token-%s", &userID); err != nil {
		return domain.User{}, time.Time{}, fmt.Errorf("verify token: %w", domain.ErrUnauthorized)
	}
	a.store.mu.Lock()
	defer a.store.mu.Unlock()
	u, ok := a.store.users[userID]
	if !ok {
		return domain.User{}, time.Time{}, fmt.Errorf("token names unknown user %q: %w", userID, domain.ErrUnauthorized)
	}
	return u, time.Now().Add(time.Hour), nil
}
