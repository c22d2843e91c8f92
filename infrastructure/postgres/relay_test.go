package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

// waitTimeout bounds how long a test waits for the relay to deliver.
const waitTimeout = 20 * time.Second

// recordingSink keeps every delivered event and signals each delivery.
type recordingSink struct {
	mu        sync.Mutex
	events    []domain.Event
	delivered chan struct{}
}

func newRecordingSink() *recordingSink {
	return &recordingSink{delivered: make(chan struct{}, 1)}
}

func (s *recordingSink) Deliver(_ context.Context, events []domain.Event) error {
	s.mu.Lock()
	s.events = append(s.events, events...)
	s.mu.Unlock()
	select {
	case s.delivered <- struct{}{}:
	default:
	}
	return nil
}

func (s *recordingSink) DeliverRecords(ctx context.Context, records []eventcodec.Record) error {
	events, err := eventcodec.DecodeRecords(records)
	if err != nil {
		return err
	}
	return s.Deliver(ctx, events)
}

// waitFor blocks until cond holds for the events delivered so far.
func (s *recordingSink) waitFor(t *testing.T, what string, cond func([]domain.Event) bool) []domain.Event {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		s.mu.Lock()
		events := slices.Clone(s.events)
		s.mu.Unlock()
		if cond(events) {
			return events
		}
		select {
		case <-s.delivered:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; delivered %d events", what, len(events))
		}
	}
}

// startRelay runs a relay until the test ends and checks that it stops.
func startRelay(t *testing.T, relay *OutboxRelay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Errorf("relay did not stop")
		}
	})
}

func TestRelayDeliversInSeqOrderPerChannel(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	sink := newRecordingSink()
	relay := NewOutboxRelay(db, sink, testLogger(), 10*time.Millisecond)
	relay.batchSize = 7 // many batches, so order must hold across them
	startRelay(t, relay)

	const channels, sendersPerChannel, perSender = 3, 3, 12
	var wg sync.WaitGroup
	errs := make(chan error, channels*sendersPerChannel)
	chIDs := make([]string, channels)
	for c := range channels {
		users := newUsers(t, db, sendersPerChannel)
		chIDs[c] = newGroup(t, store, users...).ID
		for _, sender := range users {
			wg.Go(func() {
				for i := range perSender {
					_, _, err := store.AppendMessage(testContext(t), domain.Actor{UserID: sender, SessionID: "s"}, domain.Message{
						ChannelID: chIDs[c], ClientMessageID: fmt.Sprint(i), Body: "x"}, nil)

					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	const want = channels * (1 + sendersPerChannel*perSender)
	events := sink.waitFor(t, "all events", func(e []domain.Event) bool { return len(e) >= want })
	if len(events) != want {
		t.Fatalf("delivered %d events, want %d", len(events), want)
	}
	next := map[string]int64{}
	for _, e := range events {
		switch e.Type {
		case domain.EventChannelCreated:
			if _, seen := next[e.ChannelID]; seen {
				t.Fatalf("channel_created of %s delivered twice or after a message", e.ChannelID)
			}
			next[e.ChannelID] = 1
		case domain.EventMessageCreated:
			wantSeq, created := next[e.ChannelID]
			if !created {
				t.Fatalf("message of %s delivered before its channel_created", e.ChannelID)
			}
			if e.Message.Seq != wantSeq {
				t.Fatalf("channel %s: delivered seq %d, want %d", e.ChannelID, e.Message.Seq, wantSeq)
			}
			next[e.ChannelID]++
		default:
			t.Fatalf("unexpected event %+v", e)
		}
	}
	for _, id := range chIDs {
		if next[id] != sendersPerChannel*perSender+1 {
			t.Fatalf("channel %s: %d messages delivered", id, next[id]-1)
		}
	}
}

// scriptedSink hands each delivery to the test and returns what the test
// answers, so the test decides when a delivery fails.
type scriptedSink struct {
	calls   chan []domain.Event
	answers chan error
}

func (s *scriptedSink) Deliver(ctx context.Context, events []domain.Event) error {
	select {
	case s.calls <- events:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-s.answers:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *scriptedSink) DeliverRecords(ctx context.Context, records []eventcodec.Record) error {
	events, err := eventcodec.DecodeRecords(records)
	if err != nil {
		return err
	}
	return s.Deliver(ctx, events)
}

func (s *scriptedSink) next(t *testing.T) []domain.Event {
	t.Helper()
	select {
	case events := <-s.calls:
		return events
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for a delivery")
		return nil
	}
}

func messageIDs(events []domain.Event) []string {
	var ids []string
	for _, e := range events {
		if e.Message != nil {
			ids = append(ids, e.Message.ID)
		}
	}
	return ids
}

func TestRelayRedeliversAfterSinkFailureAndDeletesOnlyAfterSuccess(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])
	m1 := send(t, store, users[0], ch.ID, "one")
	m2 := send(t, store, users[1], ch.ID, "two")

	sink := &scriptedSink{calls: make(chan []domain.Event), answers: make(chan error)}
	startRelay(t, NewOutboxRelay(db, sink, testLogger(), time.Hour))

	first := sink.next(t)
	if got := messageIDs(first); !slices.Equal(got, []string{m1.ID, m2.ID}) {
		t.Fatalf("first delivery carries messages %v, want %v", got, []string{m1.ID, m2.ID})
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox"); n != 3 {
		t.Fatalf("%d outbox rows during delivery, want 3", n)
	}
	sink.answers <- errors.New("broker down")

	second := sink.next(t)
	if len(second) != len(first) || !slices.Equal(messageIDs(second), messageIDs(first)) {
		t.Fatalf("after a failure the relay delivered %v, want the same %v", messageIDs(second), messageIDs(first))
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox"); n != 3 {
		t.Fatalf("%d outbox rows after a failed delivery, want 3", n)
	}
	sink.answers <- nil

	// The next commit wakes the relay; its batch holds only the new event,
	// so the accepted rows are gone by then.
	m3 := send(t, store, users[0], ch.ID, "three")
	third := sink.next(t)
	if got := messageIDs(third); len(third) != 1 || !slices.Equal(got, []string{m3.ID}) {
		t.Fatalf("third delivery = %d events with messages %v, want only %s", len(third), got, m3.ID)
	}
	if n := countRows(t, db, "SELECT count(*) FROM outbox WHERE event->'message'->>'id' IN (?, ?)", m1.ID, m2.ID); n != 0 {
		t.Fatalf("%d delivered rows still in the outbox", n)
	}
	sink.answers <- nil
}

func TestRelayIsWokenByCommit(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])
	// Forget the wake of the setup commit, so only the send below can wake
	// the relay once it has drained the outbox.
	select {
	case <-db.outboxWake:
	default:
	}
	sink := newRecordingSink()
	startRelay(t, NewOutboxRelay(db, sink, testLogger(), time.Hour))
	sink.waitFor(t, "channel_created", func(e []domain.Event) bool { return len(e) == 1 })

	msg := send(t, store, users[0], ch.ID, "wake up")
	events := sink.waitFor(t, "the message, with an hour to the next poll", func(e []domain.Event) bool { return len(e) == 2 })
	if events[1].Message == nil || events[1].Message.ID != msg.ID || events[1].OriginSession != "s-test" {
		t.Fatalf("delivered %+v, want message %s", events[1], msg.ID)
	}
}
