package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatd/chat/domain"
)

// terminateOthers ends every other session on the test's database, as a
// primary that crashes or is demoted does (SQLSTATE 57P01 on each).
func terminateOthers(t *testing.T, url string) int {
	t.Helper()
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil {
		t.Fatalf("terminate sessions: %v", err)
	}
	return n
}

// retryUnavailable runs op until it succeeds, failing the test on any
// error other than unavailable; a pool may hold several dead connections,
// each failing one attempt before it is dropped.
func retryUnavailable(t *testing.T, what string, op func() error) (failures int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		err := op()
		if err == nil {
			return failures
		}
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("%s after the sessions were ended: %v, want unavailable or success", what, err)
		}
		failures++
		if time.Now().After(deadline) {
			t.Fatalf("%s still unavailable after %d attempts: %v", what, failures, err)
		}
	}
}

// TestComponentsSurviveLostConnections ends every session of chatd's
// pools (and the relay's lock with them) and checks that the store, the
// relay and the sweeper carry on by themselves on fresh connections, with
// nothing half-written, as after a failover.
func TestComponentsSurviveLostConnections(t *testing.T) {
	t.Parallel()
	db, url := openTestDB(t)
	store := NewChatStore(db)
	sink := newRecordingSink()
	startRelay(t, NewOutboxRelay(db, sink, testLogger(), 10*time.Millisecond))
	users := newUsers(t, db, 2)
	ch := newGroup(t, store, users...)
	send(t, store, users[0], ch.ID, "before")
	delivered := func(body string) func([]domain.Event) bool {
		return func(events []domain.Event) bool {
			for _, e := range events {
				if e.Message != nil && e.Message.Body == body {
					return true
				}
			}
			return false
		}
	}
	sink.waitFor(t, "the first message", delivered("before"))

	if n := terminateOthers(t, url); n == 0 {
		t.Fatal("no session of chatd's pools to end")
	}
	var msg domain.Message
	failures := retryUnavailable(t, "send", func() error {
		var err error
		msg, _, err = store.AppendMessage(testContext(t), domain.Actor{UserID: users[1], SessionID: "s-test"}, domain.Message{
			ChannelID: ch.ID, SenderID: users[1], ClientMessageID: "after-1", Body: "after", Status: domain.MessageSent}, nil)

		return err
	})
	if msg.Seq != 2 {
		t.Fatalf("seq after %d failed attempts = %d, want 2: a failed attempt left a row", failures, msg.Seq)
	}
	sink.waitFor(t, "the message sent after the sessions ended", delivered("after"))

	sweeper := NewPresenceSweeper(db, time.Minute, time.Minute, nil, testLogger())
	terminateOthers(t, url)
	retryUnavailable(t, "sweep", func() error {
		_, acted, err := sweeper.Sweep(testContext(t))
		if err == nil && !acted {
			return errors.New("the sweeper found its lock taken by nobody")
		}
		return err
	})
	if err := db.Ping(testContext(t)); err != nil {
		t.Fatalf("Ping after the sessions ended: %v", err)
	}
}
