package postgres

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/domain"
)

func adminLimit(n int) *int { return &n }

// listAll pages through a listing with the given page size and returns
// the ids in the order seen.
func adminListAll(t *testing.T, limit int, next func(cursor string, limit int) ([]string, string)) []string {
	t.Helper()
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("limit %d: no last page", limit)
		}
		ids, nextCursor := next(cursor, limit)
		if len(ids) > limit {
			t.Fatalf("limit %d: page of %d", limit, len(ids))
		}
		all = append(all, ids...)
		if nextCursor == "" {
			return all
		}
		cursor = nextCursor
	}
}

func TestAdminUsersPagination(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	users := NewUserStore(db)
	svc := admin.NewService(NewAdminStore(openTestShards(t, db, 0)), admin.Standalone{}, nil)
	// Three users share one instant, so the id breaks the tie.
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	var want []string
	for i, at := range []time.Duration{0, time.Microsecond, time.Microsecond, time.Microsecond, time.Second, 2 * time.Second, 3 * time.Second} {
		u, err := users.CreateUser(testContext(t), domain.User{ID: randomID("u-"), Name: "n", CreatedAt: base.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, u.ID)
		if i >= 1 && i <= 3 {
			slices.Sort(want[1:]) // the tie is ordered by id
		}
	}
	for _, limit := range []int{1, 2, 3, 6, 7, 8} {
		got := adminListAll(t, limit, func(cursor string, limit int) ([]string, string) {
			l, err := svc.Users(testContext(t), admin.ListQuery{Cursor: cursor, Limit: adminLimit(limit)})
			if err != nil {
				t.Fatalf("Users: %v", err)
			}
			ids := []string{}
			for _, u := range l.Items {
				ids = append(ids, u.ID)
			}
			return ids, l.NextCursor
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("limit %d (-want +got):\n%s", limit, diff)
		}
	}
}

func TestAdminChannelsPaginationAndFilters(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	chats := NewChatStore(db)
	svc := admin.NewService(NewAdminStore(openTestShards(t, db, 0)), admin.Standalone{}, nil)
	u := newUsers(t, db, 4)
	var all, groups, directs, ofU3 []string
	for i := range 9 {
		var ch domain.Channel
		if i%3 == 2 {
			ch = newDirect(t, chats, u[0], u[1+i/3])
			directs = append(directs, ch.ID)
		} else {
			members := []string{u[0], u[1+i%3]}
			if i%2 == 0 {
				members = append(members, u[3])
			}
			ch = newGroup(t, chats, members...)
			groups = append(groups, ch.ID)
		}
		all = append(all, ch.ID)
		if ch.HasMember(u[3]) {
			ofU3 = append(ofU3, ch.ID)
		}
	}
	list := func(q admin.ChannelQuery) func(string, int) ([]string, string) {
		return func(cursor string, limit int) ([]string, string) {
			q.Cursor, q.Limit = cursor, adminLimit(limit)
			l, err := svc.Channels(testContext(t), q)
			if err != nil {
				t.Fatalf("Channels: %v", err)
			}
			ids := []string{}
			for _, c := range l.Items {
				ids = append(ids, c.Channel.ID)
				if c.MemberCount < 2 || c.Channel.MemberIDs != nil {
					t.Fatalf("summary %+v", c)
				}
			}
			return ids, l.NextCursor
		}
	}
	// The expected order, read in one query: channels made in the same
	// millisecond tie on created_at, and the id breaks the tie.
	var order []string
	if err := db.system.WithContext(testContext(t)).Raw("SELECT id FROM channels ORDER BY created_at, id").Scan(&order).Error; err != nil {
		t.Fatal(err)
	}
	sortByStore := func(ids []string) []string {
		out := slices.Clone(ids)
		slices.SortFunc(out, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
		return out
	}
	if diff := cmp.Diff(adminSorted(all), adminSorted(order)); diff != "" {
		t.Fatalf("channels (-want +got):\n%s", diff)
	}
	for name, tc := range map[string]struct {
		q    admin.ChannelQuery
		want []string
	}{
		"all":             {admin.ChannelQuery{}, all},
		"groups":          {admin.ChannelQuery{Type: "group"}, groups},
		"direct":          {admin.ChannelQuery{Type: "direct"}, directs},
		"member":          {admin.ChannelQuery{MemberID: u[3]}, ofU3},
		"member and type": {admin.ChannelQuery{MemberID: u[3], Type: "direct"}, directs[2:]},
		"member of none":  {admin.ChannelQuery{MemberID: "nobody"}, nil},
	} {
		want := sortByStore(tc.want)
		for _, limit := range []int{1, 2, 4, 9} {
			got := adminListAll(t, limit, list(tc.q))
			if diff := cmp.Diff(want, got, adminEmptyNil); diff != "" {
				t.Errorf("%s, limit %d (-want +got):\n%s", name, limit, diff)
			}
		}
	}
}

var adminEmptyNil = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func adminSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestAdminChannelAndMessages(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	chats := NewChatStore(db)
	store := NewAdminStore(openTestShards(t, db, 0))
	u := newUsers(t, db, 3)
	ch := newGroup(t, chats, u[0], u[1], u[2])
	for range 5 {
		send(t, chats, u[1], ch.ID, "hi")
	}
	got, err := store.Channel(testContext(t), ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MemberCount != 3 || got.Channel.LastSeq != 5 || len(got.Members) != 3 || got.Members[0].Name != "user" || got.Members[0].JoinedAt.IsZero() {
		t.Fatalf("channel %+v", got)
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid"} {
		_, err := store.Channel(testContext(t), id)
		wantErr(t, "Channel "+id, err, domain.ErrChannelNotFound)
		_, _, err = store.Messages(testContext(t), id, domain.Page{})
		wantErr(t, "Messages "+id, err, domain.ErrChannelNotFound)
	}
	seqs := func(p domain.Page) ([]int64, bool) {
		msgs, more, err := store.Messages(testContext(t), ch.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, m := range msgs {
			out = append(out, m.Seq)
		}
		return out, more
	}
	for name, tc := range map[string]struct {
		page domain.Page
		want []int64
		more bool
	}{
		"from the start":   {domain.Page{Limit: 2}, []int64{1, 2}, true},
		"after 3":          {domain.Page{AfterSeq: 3, Limit: 2}, []int64{4, 5}, false},
		"before 5":         {domain.Page{BeforeSeq: 5, Limit: 2}, []int64{3, 4}, true},
		"before 3":         {domain.Page{BeforeSeq: 3, Limit: 2}, []int64{1, 2}, false},
		"after the end":    {domain.Page{AfterSeq: 5}, nil, false},
		"default and more": {domain.Page{}, []int64{1, 2, 3, 4, 5}, false},
	} {
		got, more := seqs(tc.page)
		if diff := cmp.Diff(tc.want, got); diff != "" || more != tc.more {
			t.Errorf("%s: more=%v (-want +got):\n%s", name, more, diff)
		}
	}
}

func TestAdminRemoveMember(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	chats := NewChatStore(db)
	store := NewAdminStore(openTestShards(t, db, 0))
	u := newUsers(t, db, 3)
	ch := newGroup(t, chats, u[0], u[1])

	if err := store.RemoveMember(testContext(t), ch.ID, u[1]); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE channel_id = ?::uuid AND event->>'type' = 'member_left' AND event->>'userId' = ? AND actor_id = ?", ch.ID, u[1], adminActor); n != 1 {
		t.Fatalf("%d member_left events, want 1", n)
	}
	if n := countRows(t, db, "SELECT member_count FROM channels WHERE id = ?::uuid", ch.ID); n != 1 {
		t.Fatalf("member_count = %d, want 1", n)
	}
	_, _, err := chats.AppendMessage(testContext(t), domain.Actor{UserID: u[1], SessionID: "s"}, domain.Message{ChannelID: ch.ID, ClientMessageID: "x", Body: "still here?"}, nil)
	wantErr(t, "send after removal", err, domain.ErrNotMember)

	err = store.RemoveMember(testContext(t), ch.ID, u[1])
	if !errors.Is(err, admin.ErrNotMember) {
		t.Fatalf("second removal: %v", err)
	}
	err = store.RemoveMember(testContext(t), ch.ID, u[2])
	if !errors.Is(err, admin.ErrNotMember) {
		t.Fatalf("removal of a stranger: %v", err)
	}
	err = store.RemoveMember(testContext(t), "00000000-0000-0000-0000-000000000000", u[0])
	wantErr(t, "removal from a ghost channel", err, domain.ErrChannelNotFound)
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE event->>'type' = 'member_left'"); n != 1 {
		t.Fatalf("failed removals wrote events: %d member_left rows", n)
	}
}

func TestAdminPresence(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewAdminStore(openTestShards(t, db, 0))
	u := newUsers(t, db, 2)
	p, err := store.Presence(testContext(t), u[0])
	if err != nil || p.Seen || p.Status != domain.PresenceOffline || p.UserID != u[0] {
		t.Fatalf("never seen: %+v %v", p, err)
	}
	at := time.Date(2026, 5, 6, 7, 8, 9, 10_000_000, time.UTC)
	if err := db.system.WithContext(testContext(t)).Exec(
		"INSERT INTO user_presences (user_id, status, last_event_at, node_id) VALUES (?, 'online', ?, 'n1')", u[1], at).Error; err != nil {
		t.Fatal(err)
	}
	p, err = store.Presence(testContext(t), u[1])
	want := admin.Presence{UserPresence: domain.UserPresence{UserID: u[1], Status: domain.PresenceOnline, LastEventAt: at}, NodeID: "n1", Seen: true}
	if diff := cmp.Diff(want, p); err != nil || diff != "" {
		t.Fatalf("seen: %v (-want +got):\n%s", err, diff)
	}
	_, err = store.Presence(testContext(t), "ghost")
	wantErr(t, "presence of a ghost", err, domain.ErrUserNotFound)
}
