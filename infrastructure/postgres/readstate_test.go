package postgres

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

func readPosition(t *testing.T, db *DB, channelID, userID string) int64 {
	t.Helper()
	return countRows(t, db, "SELECT last_read_seq FROM memberships WHERE channel_id = ?::uuid AND user_id = ?", channelID, userID)
}

func TestMarkReadClampsOnlyRaisesAndRecordsTheStoredPosition(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	a, b, c := users[0], users[1], users[2]
	group := newGroup(t, store, a, b)
	for range 3 {
		send(t, store, a, group.ID, "hi")
	}
	ctx := testContext(t)
	actor := domain.Actor{UserID: b, SessionID: "s-b"}
	before := outboxRows(t, db)
	for _, step := range []struct{ seq, want int64 }{{2, 2}, {1, 2}, {2, 2}, {50, 3}} {
		got, err := store.MarkRead(ctx, actor, group.ID, step.seq)
		if err != nil || got != step.want {
			t.Fatalf("MarkRead(%d) = %d, %v; want %d", step.seq, got, err, step.want)
		}
	}
	if n := outboxRows(t, db) - before; n != 2 {
		t.Fatalf("%d events recorded, want 2: only a mark that raises the position announces it", n)
	}
	var raw []string
	if err := db.system.WithContext(ctx).Raw("SELECT event::text FROM outbox WHERE event->>'type' = 'read_updated' ORDER BY id").
		Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	var got []domain.Event
	for _, r := range raw {
		ev, err := eventcodec.DecodeEvent([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	want := []domain.Event{
		{Type: domain.EventReadUpdated, ChannelID: group.ID, UserID: b, LastReadSeq: 2, OriginSession: "s-b"},
		{Type: domain.EventReadUpdated, ChannelID: group.ID, UserID: b, LastReadSeq: 3, OriginSession: "s-b"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("read_updated events (-want +got):\n%s", diff)
	}
	_, err := store.MarkRead(ctx, domain.Actor{UserID: c}, group.ID, 1)
	wantErr(t, "a non-member's mark", err, domain.ErrNotMember)
	direct := newDirect(t, store, a, b)
	_, err = store.MarkRead(ctx, domain.Actor{UserID: c}, direct.ID, 1)
	wantErr(t, "a stranger's mark on a direct channel", err, domain.ErrChannelNotFound)
	_, err = store.MarkRead(ctx, domain.Actor{UserID: c}, "not-a-uuid", 1)
	if domain.KindOf(err) != domain.KindNotFound && domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("a malformed channel id: %v", err)
	}
}

func TestNewMembersStartAtTheChannelsLastSeq(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	a, b, c := users[0], users[1], users[2]
	group := newGroup(t, store, a, b)
	if got := readPosition(t, db, group.ID, b); got != 0 {
		t.Fatalf("a member added at creation starts at %d, want 0", got)
	}
	for range 4 {
		send(t, store, a, group.ID, "hi")
	}
	if _, _, err := store.Join(testContext(t), domain.Actor{UserID: c}, group.ID); err != nil {
		t.Fatal(err)
	}
	ch, err := store.Channel(testContext(t), domain.Actor{UserID: c}, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.LastReadSeq != 4 || ch.UnreadCount() != 0 {
		t.Fatalf("a joiner's channel: lastReadSeq %d unread %d, want 4 and 0", ch.LastReadSeq, ch.UnreadCount())
	}
	want := []domain.ReadPosition{{UserID: a, LastReadSeq: 0}, {UserID: b, LastReadSeq: 0}, {UserID: c, LastReadSeq: 4}}
	byUser := cmpopts.SortSlices(func(x, y domain.ReadPosition) bool { return x.UserID < y.UserID })
	if diff := cmp.Diff(want, ch.ReadState, byUser); diff != "" {
		t.Fatalf("read state (-want +got):\n%s", diff)
	}
}

// TestReadPositionsUnderRowLevelSecurity holds a raw chat_app session with
// a proven user: what an injected statement would have.
func TestReadPositionsUnderRowLevelSecurity(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	a, b, c := users[0], users[1], users[2]
	group := newGroup(t, store, a, b)
	others := newGroup(t, store, b, c)
	for range 3 {
		send(t, store, b, group.ID, "hi")
		send(t, store, b, others.ID, "hi")
	}
	if _, err := store.MarkRead(testContext(t), domain.Actor{UserID: b}, group.ID, 3); err != nil {
		t.Fatal(err)
	}
	conn := appSession(t, url, a)

	// Nobody sets a position by UPDATE, its own included.
	sqlRefused(t, conn, "42501", "permission denied",
		"UPDATE memberships SET last_read_seq = 0 WHERE channel_id = $1 AND user_id = $2", group.ID, b)
	sqlRefused(t, conn, "42501", "permission denied",
		"UPDATE memberships SET last_read_seq = 3 WHERE channel_id = $1 AND user_id = $2", group.ID, a)
	// chat_mark_read moves only the proven actor's own position.
	if got := sqlStrings(t, conn, "SELECT out_last_read_seq::text FROM chat_mark_read($1, 1, '')", group.ID); len(got) != 1 || got[0] != "1" {
		t.Fatalf("a's own mark: %v", got)
	}
	if got := readPosition(t, db, group.ID, b); got != 3 {
		t.Fatalf("b's position is %d after a's mark, want 3", got)
	}
	// Not downward.
	if got := sqlStrings(t, conn, "SELECT out_last_read_seq::text FROM chat_mark_read($1, 0, '')", group.ID); got[0] != "1" {
		t.Fatalf("a's mark of 0 after 1 answered %v", got)
	}
	if got := readPosition(t, db, group.ID, a); got != 1 {
		t.Fatalf("a's position is %d, want 1: it went down", got)
	}
	// A membership is inserted at the channel's last seq whatever it says.
	sqlStrings(t, conn, "SELECT chat_is_member($1)::text", others.ID)
	if _, err := conn.Exec(testContext(t), "INSERT INTO memberships (channel_id, user_id, last_read_seq) VALUES ($1, $2, 0)", others.ID, a); err != nil {
		t.Fatalf("join by insert: %v", err)
	}
	if got := readPosition(t, db, others.ID, a); got != 3 {
		t.Fatalf("a joined at %d, want the channel's last seq 3", got)
	}
	// Positions of channels one is not in stay hidden.
	stranger := appSession(t, url, c)
	if got := sqlStrings(t, stranger, "SELECT user_id || ':' || last_read_seq FROM memberships WHERE channel_id = $1", group.ID); len(got) != 0 {
		t.Fatalf("a non-member reads read positions %v", got)
	}
	if got := sqlStrings(t, stranger, "SELECT out_status FROM chat_mark_read($1, 3, '')", group.ID); got[0] != "not_member" {
		t.Fatalf("a non-member's mark answered %v", got)
	}
	if got := readPosition(t, db, group.ID, c); got != 0 {
		t.Fatalf("a non-member's mark left a position %d", got)
	}
	// And without a proof, nobody marks anything.
	if _, err := stranger.Exec(testContext(t), "SELECT set_config('app.user_proof', '', false)"); err != nil {
		t.Fatal(err)
	}
	sqlRefused(t, stranger, "42501", "no proven acting user", "SELECT * FROM chat_mark_read($1, 3, '')", group.ID)
	// A read_updated event cannot be slipped in through chat_record_event.
	member := appSession(t, url, b)
	sqlRefused(t, member, "42501", "does not describe",
		"SELECT chat_record_event($1::jsonb)", `{"type":"read_updated","channelId":"`+group.ID+`","userId":"`+b+`","lastReadSeq":3}`)
}
