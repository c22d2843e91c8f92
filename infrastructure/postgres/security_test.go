package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// These tests attack the database the way one SQL injection would: a
// session logged in as the runtime role, acting as user A, running any
// statement it likes. Each must fail, or change nothing.

// TestRuntimeLoginCannotBecomeAnyoneElse: RESET ROLE, SET ROLE and SET
// SESSION AUTHORIZATION reach nothing beyond the login role itself.
func TestRuntimeLoginCannotBecomeAnyoneElse(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	a := newUsers(t, db, 1)[0]
	ctx := testContext(t)
	conn := appSession(t, url, a)

	const denied = "42501"
	for _, role := range []string{"postgres", roleSystem, "pg_read_all_data", "pg_write_all_data"} {
		sqlRefused(t, conn, denied, "permission denied", "SET ROLE "+pgx.Identifier{role}.Sanitize())
	}
	sqlRefused(t, conn, denied, "permission denied", "SET SESSION AUTHORIZATION postgres")
	sqlRefused(t, conn, denied, "permission denied", "SET SESSION AUTHORIZATION "+roleSystem)
	if _, err := conn.Exec(ctx, "RESET ROLE"); err != nil {
		t.Fatalf("RESET ROLE: %v", err)
	}
	if _, err := conn.Exec(ctx, "RESET SESSION AUTHORIZATION"); err != nil {
		t.Fatalf("RESET SESSION AUTHORIZATION: %v", err)
	}
	got := sqlStrings(t, conn, "SELECT current_user || ' ' || session_user")
	if len(got) != 1 || got[0] != roleApp+" "+roleApp {
		t.Fatalf("after the resets the session is %q, want %s for both", got, roleApp)
	}
	// Nothing to escalate with inside the database either.
	sqlRefused(t, conn, denied, "permission denied", "CREATE TEMP TABLE t (x int)")
	sqlRefused(t, conn, denied, "permission denied", "CREATE TABLE t (x int)")
	sqlRefused(t, conn, denied, "permission denied", "SELECT * FROM chat_actor_key")
	sqlRefused(t, conn, denied, "must be owner", "ALTER TABLE messages DISABLE ROW LEVEL SECURITY")

	system, err := pgx.Connect(ctx, loginURL(t, url, roleSystem))
	if err != nil {
		t.Fatal(err)
	}
	defer system.Close(ctx)
	sqlRefused(t, system, denied, "permission denied", "SET ROLE postgres")
	sqlRefused(t, system, denied, "permission denied", "SET ROLE "+roleApp)
}

// TestForgedActingUserActsAsNobody: setting app.user_id to B without B's
// proof (which needs the key chat_app cannot read) reads nothing of B's and
// writes nothing as B.
func TestForgedActingUserActsAsNobody(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	a, b, c := users[0], users[1], users[2]
	secret := newDirect(t, store, b, c)
	group := newGroup(t, store, b, c)
	send(t, store, b, secret.ID, "b's secret")
	ctx := testContext(t)

	forgeries := map[string][]string{
		"B's id, A's proof": {b, actorProof(testActorKey, a)},
		"B's id, no proof":  {b, ""},
		"B's id, a made-up": {b, "00" + actorProof(testActorKey, b)[2:]},
		"B's id, other key": {b, actorProof(ActorKey("a guessed secret"), b)},
	}
	for name, forged := range forgeries {
		t.Run(name, func(t *testing.T) {
			conn := appSession(t, url, a)
			if _, err := conn.Exec(ctx, "SELECT set_config('app.user_id', $1, false), set_config('app.user_proof', $2, false)",
				forged[0], forged[1]); err != nil {
				t.Fatal(err)
			}
			if got := sqlStrings(t, conn, "SELECT coalesce(chat_current_user(), '<nobody>')"); got[0] != "<nobody>" {
				t.Fatalf("the database believes the forged user: %v", got)
			}
			if got := sqlStrings(t, conn, "SELECT body FROM messages"); len(got) != 0 {
				t.Fatalf("reads %v", got)
			}
			if got := sqlStrings(t, conn, "SELECT id::text FROM channels WHERE id = $1", secret.ID); len(got) != 0 {
				t.Fatalf("sees B's direct channel %v", got)
			}
			if got := sqlStrings(t, conn, "SELECT user_id FROM memberships"); len(got) != 0 {
				t.Fatalf("sees memberships %v", got)
			}
			sqlRefused(t, conn, "42501", "row-level security",
				"INSERT INTO messages (channel_id, seq, sender_id, client_message_id, body, status) VALUES ($1, 99, $2, 'x', 'as b', 'sent')",
				group.ID, b)
			sqlRefused(t, conn, "42501", "row-level security",
				"INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2)", group.ID, b)
			sqlRefused(t, conn, "42501", "acting user must be a member",
				"SELECT * FROM chat_create_channel(gen_random_uuid(), NULL, 'group', 'x', $1, now())", []string{b, c})
			sqlRefused(t, conn, "42501", "no proven acting user",
				"SELECT chat_record_event($1::jsonb)", `{"type":"member_left","channelId":"`+group.ID+`","userId":"`+b+`"}`)
		})
	}
	if n := len(storedMessages(t, db, group.ID)); n != 0 {
		t.Fatalf("the group holds %d messages after the forgeries, want 0", n)
	}
}

// TestAppendMessagesRefusesAnUnprovenSender: the group commit function
// takes every sender with its proof and trusts no name alone.
func TestAppendMessagesRefusesAnUnprovenSender(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	a, b := users[0], users[1]
	group := newGroup(t, store, a, b)
	conn := appSession(t, url, a)
	const q = `SELECT out_status FROM chat_append_messages($1::text[], $2::text[], $3::text[]::uuid[],
		ARRAY['k1','k2'], ARRAY['hi','hi'], ARRAY['sent','sent'], ARRAY['s','s'])`

	for name, proofs := range map[string][]string{
		"B named with A's proof": {actorProof(testActorKey, a), actorProof(testActorKey, a)},
		"B named without proof":  {actorProof(testActorKey, a), ""},
	} {
		t.Run(name, func(t *testing.T) {
			sqlRefused(t, conn, "42501", "without its proof", q, []string{a, b}, proofs, []string{group.ID, group.ID})
		})
	}
	// A NULL sender or proof beside a proven one: the function checks each
	// distinct sender and proof once (migration 00013), and a NULL must not
	// count as one already seen.
	proof := actorProof(testActorKey, a)
	for name, arrays := range map[string]string{
		"a NULL sender": "ARRAY[$1, NULL]::text[], ARRAY[$2, $2]::text[]",
		"a NULL proof":  "ARRAY[$1, $1]::text[], ARRAY[$2, NULL]::text[]",
	} {
		t.Run(name, func(t *testing.T) {
			sqlRefused(t, conn, "42501", "without its proof", `SELECT out_status FROM chat_append_messages(`+arrays+`,
				ARRAY[$3, $3]::uuid[], ARRAY['n1','n2'], ARRAY['hi','hi'], ARRAY['sent','sent'], ARRAY['s','s'])`, a, proof, group.ID)
		})
	}
	if n := len(storedMessages(t, db, group.ID)); n != 0 {
		t.Fatalf("refused batches stored %d messages", n)
	}
	got := sqlStrings(t, conn, q, []string{a, a}, []string{actorProof(testActorKey, a), actorProof(testActorKey, a)},
		[]string{group.ID, group.ID})
	if len(got) != 2 || got[0] != "stored" || got[1] != "stored" {
		t.Fatalf("A's own proven sends: %v, want both stored", got)
	}
}

// TestEventsCannotBeForged: chat_app cannot write the outbox, and
// chat_record_event accepts only what the stored rows confirm.
func TestEventsCannotBeForged(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 3)
	a, b, c := users[0], users[1], users[2]
	own := newGroup(t, store, a, b)
	foreign := newGroup(t, store, b, c)
	conn := appSession(t, url, a)
	before := outboxRows(t, db)

	sqlRefused(t, conn, "42501", "permission denied",
		"INSERT INTO outbox (channel_id, actor_id, event) VALUES ($1, $2, $3::jsonb)", own.ID, a,
		`{"type":"message_created","channelId":"`+own.ID+`","message":{"id":"00000000-0000-4000-8000-000000000001","senderId":"`+b+`","body":"forged","seq":99}}`)
	for name, event := range map[string]string{
		"a message that does not exist":     `{"type":"message_created","channelId":"` + own.ID + `","message":{"senderId":"` + b + `","body":"forged","seq":99}}`,
		"a join in a channel she is not in": `{"type":"member_joined","channelId":"` + foreign.ID + `","userId":"` + a + `"}`,
		"someone else's join":               `{"type":"member_joined","channelId":"` + own.ID + `","userId":"` + b + `"}`,
		"someone else's leave":              `{"type":"member_left","channelId":"` + own.ID + `","userId":"` + b + `"}`,
		"her leave while still a member":    `{"type":"member_left","channelId":"` + own.ID + `","userId":"` + a + `"}`,
		"creation of a foreign channel":     `{"type":"channel_created","channelId":"` + foreign.ID + `","channel":{"id":"` + foreign.ID + `","type":"group","memberIds":["` + b + `","` + c + `"],"lastSeq":0}}`,
		"her channel with a stranger added": `{"type":"channel_created","channelId":"` + own.ID + `","channel":{"id":"` + own.ID +
			`","type":"group","memberIds":["` + a + `","` + b + `","` + c + `"],"lastSeq":0}}`,
		"a presence change":    `{"type":"presence_changed","presence":{"userId":"` + b + `","status":"online"}}`,
		"no channel id at all": `{"type":"member_joined","channelId":"not-a-uuid","userId":"` + a + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			sqlRefused(t, conn, "42501", "does not describe a change", "SELECT chat_record_event($1::jsonb)", event)
		})
	}
	if after := outboxRows(t, db); after != before {
		t.Fatalf("the outbox went from %d to %d rows", before, after)
	}
}

func outboxRows(t *testing.T, db *DB) int64 {
	t.Helper()
	var n int64
	if err := db.system.Raw("SELECT count(*) FROM outbox").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
