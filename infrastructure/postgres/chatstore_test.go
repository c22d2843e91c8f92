package postgres

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/chatd/chat/infrastructure/eventcodec"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/chatd/chat/domain"
)

func TestCreateChannelReturnsChannelWithMembers(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	spec := domain.NewChannelSpec{Type: domain.ChannelGroup, Name: "team", CreatorID: users[0], MemberIDs: users[1:]}
	members, _ := spec.Members()
	ch, created, err := store.CreateChannel(testContext(t), domain.Actor{UserID: users[0], SessionID: "s-1"}, spec, members)
	if err != nil || !created {
		t.Fatalf("CreateChannel: created=%v err=%v", created, err)
	}
	if ch.Type != domain.ChannelGroup || ch.Name != "team" || ch.LastSeq != 0 || ch.CreatedAt.IsZero() {
		t.Fatalf("unexpected channel %+v", ch)
	}
	if ch.CreatedAt != ch.CreatedAt.Truncate(1e6) {
		t.Fatalf("createdAt %v is not at millisecond precision", ch.CreatedAt)
	}
	got := slices.Sorted(slices.Values(ch.MemberIDs))
	if diff := cmp.Diff(slices.Sorted(slices.Values(users)), got); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}
	// The outbox holds exactly the channel_created event of the change.
	var raw string
	if err := db.system.Raw("SELECT event FROM outbox WHERE channel_id = ?::uuid", ch.ID).Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	event, err := eventcodec.DecodeEvent([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Event{Type: domain.EventChannelCreated, ChannelID: ch.ID, Channel: &ch, OriginSession: "s-1"}
	if diff := cmp.Diff(want, event); diff != "" {
		t.Fatalf("outbox event (-want +got):\n%s", diff)
	}

	for _, member := range users {
		got, err := store.Channel(testContext(t), domain.Actor{UserID: member}, ch.ID)
		if err != nil {
			t.Fatalf("Channel as %s: %v", member, err)
		}
		if diff := cmp.Diff(ch, got, cmpopts.IgnoreFields(domain.Channel{}, "ReadState")); diff != "" {
			t.Fatalf("Channel as %s (-want +got):\n%s", member, diff)
		}
		// Read positions come with get_channel only; everyone starts at 0.
		if len(got.ReadState) != len(users) {
			t.Fatalf("Channel as %s: read state of %d members, want %d", member, len(got.ReadState), len(users))
		}
		for _, r := range got.ReadState {
			if !slices.Contains(users, r.UserID) || r.LastReadSeq != 0 {
				t.Fatalf("Channel as %s: read position %+v, want a member at 0", member, r)
			}
		}
		list, err := store.Channels(testContext(t), domain.Actor{UserID: member})
		if err != nil || len(list) != 1 || list[0].ID != ch.ID || list[0].Type != domain.ChannelGroup {
			t.Fatalf("Channels as %s = %+v, %v", member, list, err)
		}
	}
}

func TestCreateDirectChannelDedupesPairInEitherOrder(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	a, b := users[0], users[1]
	first := newDirect(t, store, a, b)

	spec := domain.NewChannelSpec{Type: domain.ChannelDirect, CreatorID: b, MemberIDs: []string{a}}
	members, _ := spec.Members()
	second, created, err := store.CreateChannel(testContext(t), domain.Actor{UserID: b, SessionID: "s"}, spec, members)
	if err != nil || created || second.ID != first.ID {
		t.Fatalf("second create by the other user: id %s (first %s) created=%v err=%v", second.ID, first.ID, created, err)
	}

	// A member who left is re-added by creating the pair's channel again.
	if err := store.Leave(testContext(t), domain.Actor{UserID: b, SessionID: "s"}, first.ID); err != nil {
		t.Fatal(err)
	}
	spec = domain.NewChannelSpec{Type: domain.ChannelDirect, CreatorID: a, MemberIDs: []string{b, a}}
	members, _ = spec.Members()
	third, created, err := store.CreateChannel(testContext(t), domain.Actor{UserID: a, SessionID: "s"}, spec, members)
	if err != nil || created || third.ID != first.ID || !third.HasMember(b) {
		t.Fatalf("create after leave: %+v created=%v err=%v", third, created, err)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE channel_id = ?::uuid AND event->>'type' = 'channel_created'", first.ID); n != 1 {
		t.Fatalf("%d channel_created events, want 1", n)
	}
	if n := countRows(t, db, "SELECT member_count FROM channels WHERE id = ?::uuid", first.ID); n != 2 {
		t.Fatalf("member_count = %d, want 2", n)
	}
}

func TestCreateDirectChannelConcurrentlyMakesOne(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ids := make([]string, 6)
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		creator, other := users[i%2], users[1-i%2]
		wg.Go(func() {
			spec := domain.NewChannelSpec{Type: domain.ChannelDirect, CreatorID: creator, MemberIDs: []string{other}}
			members, _ := spec.Members()
			var ch domain.Channel
			ch, _, errs[i] = store.CreateChannel(testContext(t), domain.Actor{UserID: creator, SessionID: "s"}, spec, members)
			ids[i] = ch.ID
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("create %d: id %s (first %s) err %v", i, ids[i], ids[0], errs[i])
		}
	}
}

func TestCreateChannelWithUnknownMemberStoresNothing(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	for _, typ := range []domain.ChannelType{domain.ChannelGroup, domain.ChannelDirect} {
		spec := domain.NewChannelSpec{Type: typ, CreatorID: users[0], MemberIDs: []string{"nobody-" + randomID("")}}
		if typ == domain.ChannelGroup {
			spec.MemberIDs = append(spec.MemberIDs, users[1])
		}
		members, err := spec.Members()
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = store.CreateChannel(testContext(t), domain.Actor{UserID: users[0], SessionID: "s"}, spec, members)
		wantErr(t, fmt.Sprintf("create %s with an unknown user", typ), err, domain.ErrUserNotFound)
	}
	if n := countRows(t, db, "SELECT count(*) FROM channels"); n != 0 {
		t.Fatalf("%d channels stored", n)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox"); n != 0 {
		t.Fatalf("%d outbox rows stored", n)
	}
}

func TestMalformedChannelIDIsNotFound(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	user := newUsers(t, db, 1)[0]
	ctx := testContext(t)
	for _, id := range []string{"not-a-uuid", "1", "'; DROP TABLE messages; --", "00000000-0000-0000-0000-00000000000g"} {
		_, _, err := store.AppendMessage(ctx, domain.Actor{UserID: user, SessionID: "s"}, domain.Message{ChannelID: id, ClientMessageID: "c", Body: "b"}, nil)
		wantErr(t, "AppendMessage "+id, err, domain.ErrChannelNotFound)
		_, _, err = store.Messages(ctx, domain.Actor{UserID: user}, id, domain.Page{Limit: 10})
		wantErr(t, "Messages "+id, err, domain.ErrChannelNotFound)
		_, err = store.Channel(ctx, domain.Actor{UserID: user}, id)
		wantErr(t, "Channel "+id, err, domain.ErrChannelNotFound)
		_, _, err = store.Join(ctx, domain.Actor{UserID: user, SessionID: "s"}, id)
		wantErr(t, "Join "+id, err, domain.ErrChannelNotFound)
		err = store.Leave(ctx, domain.Actor{UserID: user, SessionID: "s"}, id)
		wantErr(t, "Leave "+id, err, domain.ErrChannelNotFound)
	}
	// A well-formed id of no channel is not found either.
	_, err := store.Channel(ctx, domain.Actor{UserID: user}, "7f1f9a34-0000-4000-8000-000000000000")
	wantErr(t, "Channel of a missing uuid", err, domain.ErrChannelNotFound)
}

func TestUsersSharingChannel(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 4)
	a, b, c, d := users[0], users[1], users[2], users[3]
	newGroup(t, store, a, b)
	newDirect(t, store, c, d)

	got, err := store.UsersSharingChannel(testContext(t), domain.Actor{UserID: a}, []string{d, b, "missing", a, c})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ID)
		if u.Name != "user" || u.CreatedAt.IsZero() {
			t.Fatalf("incomplete user %+v", u)
		}
	}
	if diff := cmp.Diff([]string{b, a}, ids); diff != "" {
		t.Fatalf("visible users (-want +got):\n%s", diff)
	}
}
