package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/infrastructure/eventcodec"
)

// refusingSink accepts nothing, so the outbox rows stay.
type refusingSink struct{}

func (refusingSink) DeliverRecords(context.Context, []eventcodec.Record) error {
	return errors.New("the broker is down")
}

// TestBacklogCountsRowsNotYetRelayed counts the outbox rows of every
// database of the map while the broker refuses them: the gauge is their sum.
func TestBacklogCountsRowsNotYetRelayed(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	shards := openTestShards(t, db, 2)
	store := NewShardedStore(shards, testLogger())
	users := newUsers(t, db, 2)
	for range 4 {
		ch := newGroup(t, store, users[0], users[1])
		send(t, store, users[0], ch.ID, "one")
		send(t, store, users[1], ch.ID, "two")
	}
	want := int64(0)
	for _, sh := range shards.all() {
		want += countRows(t, sh.db, "SELECT count(*) FROM outbox")
	}
	if want != 12 {
		t.Fatalf("%d outbox rows over the shards, want 12 (channel_created and two messages, four times)", want)
	}

	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	relays := NewShardRelays(shards, refusingSink{}, testLogger(), 0)
	relays.sync(ctx)
	defer relays.stopAll()
	reg := prometheus.NewRegistry()
	reg.MustRegister(relays.BacklogGauge())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "chatd_outbox_backlog" || families[0].GetMetric()[0].GetGauge().GetValue() != float64(want) {
		t.Fatalf("gathered %v, want chatd_outbox_backlog %d", families, want)
	}
}

// TestBacklogPastTheExactCountIsTheIdSpan: a backlog of more rows than a
// scrape counts one by one is reported as the span of its ids, which
// counts the holes inside it too but never fewer rows than there are.
func TestBacklogPastTheExactCountIsTheIdSpan(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	relay := NewOutboxRelay(db, refusingSink{}, testLogger(), 0)
	ctx := testContext(t)
	fill := func(n int) {
		t.Helper()
		if err := db.system.Exec(`INSERT INTO outbox (event) SELECT '{"type":"test"}'::jsonb FROM generate_series(1, ?)`, n).Error; err != nil {
			t.Fatal(err)
		}
	}
	backlog := func() int64 {
		t.Helper()
		n, err := relay.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	fill(backlogExact)
	if got, want := backlog(), countRows(t, db, "SELECT count(*) FROM outbox"); got != want || want < backlogExact {
		t.Fatalf("a backlog of %d rows reads %d; up to %d rows it is counted exactly", want, got, backlogExact)
	}
	fill(5)
	// A hole inside the span, as rows published out of order leave.
	if err := db.system.Exec("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id OFFSET 100 LIMIT 3)").Error; err != nil {
		t.Fatal(err)
	}
	rows := countRows(t, db, "SELECT count(*) FROM outbox")
	span := countRows(t, db, "SELECT max(id) - min(id) + 1 FROM outbox")
	if got := backlog(); got != span || span != rows+3 {
		t.Fatalf("a backlog of %d rows in an id span of %d reads %d; past %d rows it is the span", rows, span, got, backlogExact)
	}
}
