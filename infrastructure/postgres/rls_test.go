package postgres

import (
	"strings"
	"testing"

	"github.com/chatd/chat/application/chat"
)

// TestRowLevelSecurity checks the policies in the database itself, past the
// store: a raw connection logged in as chat_app and proven as user A, the
// way any bug in a handler would reach the tables.
//
// It runs on a single database and on a shard: a channel's rows on a shard
// are as closed as they were on the one database.
func TestRowLevelSecurity(t *testing.T) {
	t.Parallel()
	t.Run("one database", func(t *testing.T) {
		t.Parallel()
		db, url := openTestDB(t)
		checkRowLevelSecurity(t, db, NewChatStore(db), url)
	})
	t.Run("on a shard", func(t *testing.T) {
		t.Parallel()
		db, _ := openTestDB(t)
		shards := openTestShards(t, db, 1)
		checkRowLevelSecurity(t, db, NewShardedStore(shards, testLogger()), shards.byID["s1"].spec.URL)
	})
}

// checkRowLevelSecurity creates channels through store (users in db) and
// attacks the database at url, where the channels' rows are.
func checkRowLevelSecurity(t *testing.T, db *DB, store chat.Store, url string) {
	users := newUsers(t, db, 4)
	a, b, c, d := users[0], users[1], users[2], users[3]

	own := newGroup(t, store, a, b)    // A is in
	ab := newDirect(t, store, a, b)    // A is in
	bc := newDirect(t, store, b, c)    // A is not; invisible
	others := newGroup(t, store, b, c) // A is not; visible (groups are)
	send(t, store, a, own.ID, "a in own")
	send(t, store, b, bc.ID, "b to c")
	send(t, store, b, others.ID, "b in g")

	ctx := testContext(t)
	conn := appSession(t, url, a)

	queryStrings := func(t *testing.T, q string, args ...any) []string {
		t.Helper()
		return sqlStrings(t, conn, q, args...)
	}
	refused := func(t *testing.T, code, text, q string, args ...any) {
		t.Helper()
		sqlRefused(t, conn, code, text, q, args...)
	}
	const rlsViolation, denied = "42501", "42501"

	t.Run("reads only messages of her channels", func(t *testing.T) {
		got := queryStrings(t, "SELECT body FROM messages")
		if len(got) != 1 || got[0] != "a in own" {
			t.Fatalf("SELECT messages = %q, want only %q", got, "a in own")
		}
	})
	t.Run("cannot see the direct channel of others", func(t *testing.T) {
		if got := queryStrings(t, "SELECT id::text FROM channels WHERE id = $1", bc.ID); len(got) != 0 {
			t.Fatalf("sees %v", got)
		}
		if got := queryStrings(t, "SELECT user_id FROM memberships WHERE channel_id = $1", bc.ID); len(got) != 0 {
			t.Fatalf("sees members %v", got)
		}
	})
	t.Run("sees only users she shares a channel with", func(t *testing.T) {
		got := queryStrings(t, "SELECT id FROM users WHERE id = ANY($1) ORDER BY id", []string{a, b, c, d})
		want := []string{a, b}
		if a > b {
			want = []string{b, a}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("users = %v, want %v", got, want)
		}
	})
	t.Run("cannot post into a channel she is not in", func(t *testing.T) {
		refused(t, rlsViolation, "row-level security",
			"INSERT INTO messages (channel_id, seq, sender_id, client_message_id, body, status) VALUES ($1, 99, $2, 'x', 'hi', 'sent')",
			others.ID, a)
	})
	t.Run("cannot post as someone else", func(t *testing.T) {
		refused(t, rlsViolation, "row-level security",
			"INSERT INTO messages (channel_id, seq, sender_id, client_message_id, body, status) VALUES ($1, 99, $2, 'x', 'hi', 'sent')",
			own.ID, b)
	})
	t.Run("cannot edit or delete messages", func(t *testing.T) {
		refused(t, denied, "permission denied", "DELETE FROM messages WHERE channel_id = $1", own.ID)
		refused(t, denied, "permission denied", "UPDATE messages SET body = 'edited' WHERE channel_id = $1", own.ID)
	})
	t.Run("cannot read or write the outbox", func(t *testing.T) {
		refused(t, denied, "permission denied", "SELECT count(*) FROM outbox")
		refused(t, denied, "permission denied",
			"INSERT INTO outbox (channel_id, actor_id, event) VALUES ($1, $2, '{}')", own.ID, a)
	})
	t.Run("cannot add other people to channels", func(t *testing.T) {
		refused(t, rlsViolation, "row-level security",
			"INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2)", ab.ID, d)
		refused(t, rlsViolation, "row-level security",
			"INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2)", others.ID, d)
		refused(t, rlsViolation, "row-level security",
			"INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2)", own.ID, d)
		refused(t, rlsViolation, "row-level security",
			"INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2)", bc.ID, a)
	})
	t.Run("cannot create a channel without herself", func(t *testing.T) {
		refused(t, denied, "acting user must be a member",
			"SELECT * FROM chat_create_channel(gen_random_uuid(), NULL, 'group', 'x', $1, now())", []string{b, c})
	})
	t.Run("cannot remove others", func(t *testing.T) {
		tag, err := conn.Exec(ctx, "DELETE FROM memberships WHERE channel_id = $1 AND user_id = $2", own.ID, b)
		if err != nil || tag.RowsAffected() != 0 {
			t.Fatalf("deleted %d rows (err %v), want 0", tag.RowsAffected(), err)
		}
	})
	t.Run("cannot create channels or change counters directly", func(t *testing.T) {
		refused(t, denied, "permission denied", "INSERT INTO channels (type, name, created_at) VALUES ('group', 'x', now())")
		refused(t, denied, "permission denied", "UPDATE channels SET member_count = 0 WHERE id = $1", own.ID)
		// A group she is not in is visible (to join it) but not hers to change.
		refused(t, rlsViolation, "row-level security", "UPDATE channels SET last_seq = 0 WHERE id = $1", others.ID)
	})
	t.Run("no acting user sees nothing", func(t *testing.T) {
		if _, err := conn.Exec(ctx, "SELECT set_config('app.user_id', '', false)"); err != nil {
			t.Fatal(err)
		}
		defer conn.Exec(ctx, "SELECT set_config('app.user_id', $1, false)", a)
		if got := queryStrings(t, "SELECT body FROM messages"); len(got) != 0 {
			t.Fatalf("sees %v", got)
		}
		if got := queryStrings(t, "SELECT id FROM users"); len(got) != 0 {
			t.Fatalf("sees users %v", got)
		}
	})
}
