package postgres

import (
	"sync"
	"testing"

	"github.com/chatd/chat/domain"
)

func TestJoinGroup(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	owner, joiner := users[0], users[1]
	ch := newGroup(t, store, owner)
	send(t, store, owner, ch.ID, "hi")

	// A group is visible but members only until joined.
	_, _, err := store.Messages(testContext(t), domain.Actor{UserID: joiner}, ch.ID, domain.Page{Limit: 10})
	wantErr(t, "Messages before join", err, domain.ErrNotMember)

	got, joined, err := store.Join(testContext(t), domain.Actor{UserID: joiner, SessionID: "s-j"}, ch.ID)
	if err != nil || !joined {
		t.Fatalf("Join: joined=%v err=%v", joined, err)
	}
	if got.LastSeq != 1 || !got.HasMember(joiner) || !got.HasMember(owner) {
		t.Fatalf("joined channel %+v", got)
	}
	again, joined, err := store.Join(testContext(t), domain.Actor{UserID: joiner, SessionID: "s-j"}, ch.ID)
	if err != nil || joined || again.ID != ch.ID {
		t.Fatalf("second Join: joined=%v err=%v", joined, err)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE channel_id = ?::uuid AND event->>'type' = 'member_joined' AND event->>'userId' = ?", ch.ID, joiner); n != 1 {
		t.Fatalf("%d member_joined events, want 1", n)
	}
	if n := countRows(t, db, "SELECT member_count FROM channels WHERE id = ?::uuid", ch.ID); n != 2 {
		t.Fatalf("member_count = %d, want 2", n)
	}
}

func TestJoinDirect(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	a, b, stranger := users[0], users[1], users[2]
	ch := newDirect(t, store, a, b)

	_, _, err := store.Join(testContext(t), domain.Actor{UserID: stranger, SessionID: "s"}, ch.ID)
	wantErr(t, "stranger joins a direct channel", err, domain.ErrChannelNotFound)

	if err := store.Leave(testContext(t), domain.Actor{UserID: b, SessionID: "s"}, ch.ID); err != nil {
		t.Fatal(err)
	}
	// The channel is now invisible to b, but b is one of its pair.
	_, err = store.Channel(testContext(t), domain.Actor{UserID: b}, ch.ID)
	wantErr(t, "Channel after leaving a direct channel", err, domain.ErrChannelNotFound)
	got, joined, err := store.Join(testContext(t), domain.Actor{UserID: b, SessionID: "s"}, ch.ID)
	if err != nil || !joined || !got.HasMember(b) {
		t.Fatalf("rejoin: %+v joined=%v err=%v", got, joined, err)
	}
	_, joined, err = store.Join(testContext(t), domain.Actor{UserID: a, SessionID: "s"}, ch.ID)
	if err != nil || joined {
		t.Fatalf("Join by a member: joined=%v err=%v", joined, err)
	}
}

func TestJoinFullGroup(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, domain.MaxGroupMembers+1)
	ch := newGroup(t, store, users[:domain.MaxGroupMembers-1]...)

	if _, joined, err := store.Join(testContext(t), domain.Actor{UserID: users[domain.MaxGroupMembers-1], SessionID: "s"}, ch.ID); err != nil || !joined {
		t.Fatalf("50th member: joined=%v err=%v", joined, err)
	}
	_, _, err := store.Join(testContext(t), domain.Actor{UserID: users[domain.MaxGroupMembers], SessionID: "s"}, ch.ID)
	wantErr(t, "51st member", err, domain.ErrChannelFull)
	if domain.KindOf(err) != domain.KindChannelFull {
		t.Fatalf("kind %v, want channel full", domain.KindOf(err))
	}
}

func TestConcurrentJoinsStopAtCapacity(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	const members, joiners = domain.MaxGroupMembers - 4, 10
	users := newUsers(t, db, members+joiners)
	ch := newGroup(t, store, users[:members]...)

	var wg sync.WaitGroup
	errs := make([]error, joiners)
	for i := range joiners {
		wg.Go(func() {
			_, _, errs[i] = store.Join(testContext(t), domain.Actor{UserID: users[members+i], SessionID: "s"}, ch.ID)
		})
	}
	wg.Wait()
	ok, full := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case domain.KindOf(err) == domain.KindChannelFull:
			full++
		default:
			t.Fatalf("Join: %v", err)
		}
	}
	if ok != 4 || full != joiners-4 {
		t.Fatalf("%d joined and %d were refused, want 4 and %d", ok, full, joiners-4)
	}
	if n := countRows(t, db, "SELECT count(*) FROM memberships WHERE channel_id = ?::uuid", ch.ID); n != domain.MaxGroupMembers {
		t.Fatalf("%d memberships, want %d", n, domain.MaxGroupMembers)
	}
}

func TestLeave(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	a, b, stranger := users[0], users[1], users[2]
	group := newGroup(t, store, a, b)

	if err := store.Leave(testContext(t), domain.Actor{UserID: b, SessionID: "s-l"}, group.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := store.AppendMessage(testContext(t), domain.Actor{UserID: b, SessionID: "s"}, domain.Message{ChannelID: group.ID, ClientMessageID: "x", Body: "still here?"}, nil)
	wantErr(t, "send after leaving a group", err, domain.ErrNotMember)
	if domain.KindOf(err) != domain.KindForbidden {
		t.Fatalf("kind %v, want forbidden", domain.KindOf(err))
	}
	_, _, err = store.Messages(testContext(t), domain.Actor{UserID: b}, group.ID, domain.Page{Limit: 10})
	wantErr(t, "read after leaving a group", err, domain.ErrNotMember)
	err = store.Leave(testContext(t), domain.Actor{UserID: b, SessionID: "s"}, group.ID)
	wantErr(t, "leave twice", err, domain.ErrNotMember)
	err = store.Leave(testContext(t), domain.Actor{UserID: stranger, SessionID: "s"}, group.ID)
	wantErr(t, "leave a group never joined", err, domain.ErrNotMember)
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE channel_id = ?::uuid AND event->>'type' = 'member_left' AND event->>'userId' = ?", group.ID, b); n != 1 {
		t.Fatalf("%d member_left events, want 1", n)
	}

	direct := newDirect(t, store, a, b)
	if err := store.Leave(testContext(t), domain.Actor{UserID: a, SessionID: "s"}, direct.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = store.AppendMessage(testContext(t), domain.Actor{UserID: a, SessionID: "s"}, domain.Message{ChannelID: direct.ID, ClientMessageID: "y", Body: "hello?"}, nil)
	wantErr(t, "send after leaving a direct channel", err, domain.ErrChannelNotFound)
	err = store.Leave(testContext(t), domain.Actor{UserID: stranger, SessionID: "s"}, direct.ID)
	wantErr(t, "stranger leaves a direct channel", err, domain.ErrChannelNotFound)
	if n := countRows(t, db, "SELECT member_count FROM channels WHERE id = ?::uuid", direct.ID); n != 1 {
		t.Fatalf("member_count = %d, want 1", n)
	}
}
