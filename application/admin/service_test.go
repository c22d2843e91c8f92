package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

// fakeStore keeps rows in memory in the order the real store lists them.
type fakeStore struct {
	users     []domain.User
	channels  []ChannelSummary
	members   map[string][]string
	presences map[string]Presence
	removed   []string
}

func before(a, b Key) bool {
	return a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID)
}

func after[T any](rows []T, key func(T) Key, from *Key, limit int) []T {
	var out []T
	for _, r := range rows {
		if from == nil || before(*from, key(r)) {
			out = append(out, r)
		}
	}
	return out[:min(limit, len(out))]
}

func (f *fakeStore) Users(_ context.Context, from *Key, limit int) ([]domain.User, error) {
	return after(f.users, func(u domain.User) Key { return Key{u.CreatedAt, u.ID} }, from, limit), nil
}

func (f *fakeStore) Channels(_ context.Context, filter ChannelFilter, from *Key, limit int) ([]ChannelSummary, error) {
	var match []ChannelSummary
	for _, c := range f.channels {
		if (filter.Type == "" || c.Channel.Type == filter.Type) &&
			(filter.MemberID == "" || slices.Contains(f.members[c.Channel.ID], filter.MemberID)) {
			match = append(match, c)
		}
	}
	return after(match, func(c ChannelSummary) Key { return Key{c.Channel.CreatedAt, c.Channel.ID} }, from, limit), nil
}

func (f *fakeStore) Channel(_ context.Context, id string) (ChannelDetail, error) {
	for _, c := range f.channels {
		if c.Channel.ID == id {
			return ChannelDetail{ChannelSummary: c}, nil
		}
	}
	return ChannelDetail{}, domain.ErrChannelNotFound
}

func (f *fakeStore) Messages(_ context.Context, id string, p domain.Page) ([]domain.Message, bool, error) {
	if _, err := f.Channel(context.Background(), id); err != nil {
		return nil, false, err
	}
	return []domain.Message{{ChannelID: id, Seq: p.AfterSeq + 1}}, false, nil
}

func (f *fakeStore) RemoveMember(_ context.Context, channelID, userID string) error {
	i := slices.Index(f.members[channelID], userID)
	if i < 0 {
		return ErrNotMember
	}
	f.members[channelID] = slices.Delete(f.members[channelID], i, i+1)
	f.removed = append(f.removed, channelID+"/"+userID)
	return nil
}

func (f *fakeStore) Presence(_ context.Context, userID string) (Presence, error) {
	if p, ok := f.presences[userID]; ok {
		return p, nil
	}
	if slices.ContainsFunc(f.users, func(u domain.User) bool { return u.ID == userID }) {
		return Presence{}, nil
	}
	return Presence{}, domain.ErrUserNotFound
}

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// newFake has 7 users, two created in the same microsecond, and 5
// channels alternating group and direct.
func newFake() *fakeStore {
	f := &fakeStore{members: map[string][]string{}, presences: map[string]Presence{}}
	for i := range 7 {
		at := t0.Add(time.Duration(min(i, 5)) * time.Microsecond)
		f.users = append(f.users, domain.User{ID: fmt.Sprintf("u%d", i), Name: "n", CreatedAt: at})
	}
	for i := range 5 {
		typ := domain.ChannelGroup
		if i%2 == 1 {
			typ = domain.ChannelDirect
		}
		id := fmt.Sprintf("c%d", i)
		f.channels = append(f.channels, ChannelSummary{Channel: domain.Channel{ID: id, Type: typ, CreatedAt: t0.Add(time.Duration(i) * time.Second)}})
		f.members[id] = []string{"u0"}
		if i >= 2 {
			f.members[id] = append(f.members[id], "u1")
		}
	}
	return f
}

func ptr[T any](v T) *T { return &v }

func TestUsersPagesWithoutRepeatsOrGaps(t *testing.T) {
	svc := NewService(newFake(), Standalone{NodeID: "n1"}, nil)
	for _, limit := range []int{1, 2, 3, 6, 7, 100} {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: no last page", limit)
			}
			l, err := svc.Users(context.Background(), ListQuery{Cursor: cursor, Limit: ptr(limit)})
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			if len(l.Items) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(l.Items))
			}
			for _, u := range l.Items {
				got = append(got, u.ID)
			}
			if l.NextCursor == "" {
				break
			}
			cursor = l.NextCursor
		}
		if diff := cmp.Diff([]string{"u0", "u1", "u2", "u3", "u4", "u5", "u6"}, got); diff != "" {
			t.Fatalf("limit %d (-want +got):\n%s", limit, diff)
		}
	}
}

func TestChannelFilters(t *testing.T) {
	f := newFake()
	svc := NewService(f, Standalone{}, nil)
	ids := func(q ChannelQuery) []string {
		t.Helper()
		l, err := svc.Channels(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range l.Items {
			out = append(out, c.Channel.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		q    ChannelQuery
		want []string
	}{
		"all":             {ChannelQuery{}, []string{"c0", "c1", "c2", "c3", "c4"}},
		"groups":          {ChannelQuery{Type: "group"}, []string{"c0", "c2", "c4"}},
		"direct":          {ChannelQuery{Type: "direct"}, []string{"c1", "c3"}},
		"member":          {ChannelQuery{MemberID: "u1"}, []string{"c2", "c3", "c4"}},
		"member and type": {ChannelQuery{MemberID: "u1", Type: "direct"}, []string{"c3"}},
		"member of none":  {ChannelQuery{MemberID: "u6"}, nil},
		"first page of 2": {ChannelQuery{ListQuery: ListQuery{Limit: ptr(2)}, Type: "group"}, []string{"c0", "c2"}},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestListValidation(t *testing.T) {
	svc := NewService(newFake(), Standalone{}, nil)
	ctx := context.Background()
	users, _ := svc.Users(ctx, ListQuery{Limit: ptr(1)})
	channels, _ := svc.Channels(ctx, ChannelQuery{ListQuery: ListQuery{Limit: ptr(1)}})
	for name, tc := range map[string]struct {
		err  func() error
		kind domain.Kind
	}{
		"limit 0":            {func() error { _, err := svc.Users(ctx, ListQuery{Limit: ptr(0)}); return err }, domain.KindValidation},
		"limit 101":          {func() error { _, err := svc.Users(ctx, ListQuery{Limit: ptr(101)}); return err }, domain.KindValidation},
		"garbage cursor":     {func() error { _, err := svc.Users(ctx, ListQuery{Cursor: "!!"}); return err }, domain.KindBadRequest},
		"base64 of not json": {func() error { _, err := svc.Users(ctx, ListQuery{Cursor: "bm9wZQ"}); return err }, domain.KindBadRequest},
		"channel cursor":     {func() error { _, err := svc.Users(ctx, ListQuery{Cursor: channels.NextCursor}); return err }, domain.KindBadRequest},
		"user cursor": {func() error {
			_, err := svc.Channels(ctx, ChannelQuery{ListQuery: ListQuery{Cursor: users.NextCursor}})
			return err
		}, domain.KindBadRequest},
		"unknown type":           {func() error { _, err := svc.Channels(ctx, ChannelQuery{Type: "broadcast"}); return err }, domain.KindValidation},
		"member id with space":   {func() error { _, err := svc.Channels(ctx, ChannelQuery{MemberID: "a b"}); return err }, domain.KindValidation},
		"afterSeq and beforeSeq": {func() error { _, _, err := svc.Messages(ctx, "c0", ptr[int64](1), ptr[int64](5), nil); return err }, domain.KindValidation},
		"history of a ghost":     {func() error { _, _, err := svc.Messages(ctx, "ghost", nil, nil, nil); return err }, domain.KindNotFound},
		"channel ghost":          {func() error { _, err := svc.Channel(ctx, "ghost"); return err }, domain.KindNotFound},
		"remove a non-member":    {func() error { return svc.RemoveMember(ctx, "c0", "u6") }, domain.KindNotFound},
		"presence of a ghost":    {func() error { _, err := svc.Presence(ctx, "ghost"); return err }, domain.KindNotFound},
	} {
		if err := tc.err(); domain.KindOf(err) != tc.kind {
			t.Errorf("%s: err %v, want kind %v", name, err, tc.kind)
		}
	}
	if users.NextCursor == "" || strings.ContainsAny(users.NextCursor, "+/=") {
		t.Fatalf("cursor %q is not URL-safe", users.NextCursor)
	}
}

func TestRemoveMember(t *testing.T) {
	f := newFake()
	svc := NewService(f, Standalone{}, nil)
	if err := svc.RemoveMember(context.Background(), "c2", "u1"); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveMember(context.Background(), "c2", "u1"); !errors.Is(err, ErrNotMember) {
		t.Fatalf("second removal: %v", err)
	}
	if diff := cmp.Diff([]string{"c2/u1"}, f.removed); diff != "" {
		t.Fatal(diff)
	}
}

func TestPresence(t *testing.T) {
	f := newFake()
	f.presences["u1"] = Presence{UserPresence: domain.UserPresence{UserID: "u1", Status: domain.PresenceOnline, LastEventAt: t0}, NodeID: "n1", Seen: true}
	svc := NewService(f, Standalone{}, nil)
	p, err := svc.Presence(context.Background(), "u1")
	if err != nil || p.Status != domain.PresenceOnline || p.NodeID != "n1" {
		t.Fatalf("seen user: %+v %v", p, err)
	}
	p, err = svc.Presence(context.Background(), "u2")
	if err != nil || p.Status != domain.PresenceOffline || p.UserID != "u2" || p.Seen {
		t.Fatalf("never seen: %+v %v", p, err)
	}
}

func TestStandaloneCluster(t *testing.T) {
	nodes, err := NewService(newFake(), Standalone{NodeID: "n1"}, nil).Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Node{{ID: "n1", Self: true, Weight: 1, VirtualNodes: 1, Share: 1}}
	if diff := cmp.Diff(want, nodes); diff != "" {
		t.Fatal(diff)
	}
}
