package postgres

import (
	"testing"
	"time"
)

func TestNodeLivenessReportsAStaleOrMissingRow(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	n := NewNodeLiveness(db, randomID("node-"), time.Second, time.Minute, nil, testLogger())
	ctx := testContext(t)
	if err := n.Register(ctx); err != nil {
		t.Fatalf("Register: %v", err)
	}
	beat := func(want bool, what string) {
		t.Helper()
		stale, err := n.Beat(ctx)
		if err != nil || stale != want {
			t.Fatalf("Beat after %s = %v, %v; want stale=%v", what, stale, err, want)
		}
	}
	beat(false, "a fresh beat")
	if err := db.system.Exec("UPDATE nodes SET heartbeat_at = now() - interval '2 minutes' WHERE node_id = ?", n.nodeID).Error; err != nil {
		t.Fatal(err)
	}
	beat(true, "two silent minutes")
	beat(false, "the node came back")
	if err := db.system.Exec("DELETE FROM nodes WHERE node_id = ?", n.nodeID).Error; err != nil {
		t.Fatal(err)
	}
	beat(true, "a sweeper forgot the node")
	if got := countRows(t, db, "SELECT count(*) FROM nodes WHERE node_id = ?", n.nodeID); got != 1 {
		t.Fatalf("%d rows for the node, want 1", got)
	}
	// A restart under the same id is not a resumption: the restarted node
	// adopts its users itself.
	if err := db.system.Exec("UPDATE nodes SET heartbeat_at = now() - interval '2 minutes' WHERE node_id = ?", n.nodeID).Error; err != nil {
		t.Fatal(err)
	}
	if err := n.Register(ctx); err != nil {
		t.Fatalf("Register again: %v", err)
	}
	beat(false, "a restart")
}
