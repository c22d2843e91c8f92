package postgres

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestBacklogCountsRowsNotYetRelayed(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])
	send(t, store, users[0], ch.ID, "one")
	send(t, store, users[1], ch.ID, "two")
	relay := NewOutboxRelay(db, newRecordingSink(), testLogger(), 0)

	if n, err := relay.Backlog(testContext(t)); err != nil || n != 3 {
		t.Fatalf("Backlog = %d, %v; want 3 (channel_created and two messages)", n, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(relay.BacklogGauge())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "chatd_outbox_backlog" || families[0].GetMetric()[0].GetGauge().GetValue() != 3 {
		t.Fatalf("gathered %v, want chatd_outbox_backlog 3", families)
	}
}
