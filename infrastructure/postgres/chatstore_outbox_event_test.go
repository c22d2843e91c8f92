package postgres

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

// The send path completes the message_created event in SQL with what only
// the database knows (id, seq, created_at); the relay must read back
// exactly the message the sender was told about, origin included.
func TestAppendMessageOutboxEventIsTheStoredMessage(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])
	send(t, store, users[1], ch.ID, "first")

	stored, dup, err := store.AppendMessage(testContext(t), domain.Actor{UserID: users[0], SessionID: "s-origin"}, domain.Message{
		ChannelID: ch.ID, ClientMessageID: "evt-1", Body: "quote \" and \\ and ünïcode"}, nil)

	if err != nil || dup {
		t.Fatalf("AppendMessage: dup=%v err=%v", dup, err)
	}
	var raw []string
	if err := db.system.Raw("SELECT event::text FROM outbox WHERE channel_id = ?::uuid AND event->'message'->>'clientMessageId' = 'evt-1'", ch.ID).
		Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	if len(raw) != 1 {
		t.Fatalf("%d outbox rows for the message, want 1", len(raw))
	}
	ev, err := eventcodec.DecodeEvent([]byte(raw[0]))
	if err != nil {
		t.Fatalf("DecodeEvent(%s): %v", raw[0], err)
	}
	if ev.Type != domain.EventMessageCreated || ev.ChannelID != ch.ID || ev.OriginSession != "s-origin" {
		t.Fatalf("event envelope %+v", ev)
	}
	if ev.Message == nil {
		t.Fatalf("event %s has no message", raw[0])
	}
	got := *ev.Message
	if !got.CreatedAt.Equal(stored.CreatedAt) {
		t.Fatalf("event createdAt %v, stored %v", got.CreatedAt, stored.CreatedAt)
	}
	got.CreatedAt = stored.CreatedAt
	if got != stored {
		t.Fatalf("event message %+v, stored %+v", got, stored)
	}
	if stored.Seq != 2 || stored.ID == "" || stored.SenderID != users[0] || stored.ChannelID != ch.ID {
		t.Fatalf("unexpected stored message %+v", stored)
	}
	// Two members were added to the channel, one version step each
	// (migration 00013); the event carries the same (compared above).
	if stored.MemberVersion != 2 {
		t.Fatalf("stored message has member version %d, want 2", stored.MemberVersion)
	}
	// chat_append_messages writes the layout itself (migration 00010):
	// it must be eventcodec's, key for key, not merely decodable.
	want, err := eventcodec.EncodeEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(jsonShape(t, want), jsonShape(t, []byte(raw[0]))); diff != "" {
		t.Fatalf("SQL-built event differs from eventcodec's (-eventcodec +sql):\n%s", diff)
	}
}

// jsonShape parses a JSON object with its message.createdAt turned into
// a time, so that two spellings of one instant compare equal.
func jsonShape(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if msg, ok := m["message"].(map[string]any); ok {
		at, err := time.Parse(time.RFC3339Nano, msg["createdAt"].(string))
		if err != nil {
			t.Fatal(err)
		}
		msg["createdAt"] = at.UTC()
	}
	return m
}
