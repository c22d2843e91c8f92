package main

import (
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/config"
)

// Helpers of the node-added test (e2e_cluster_nodes_test.go).

// growConfig is clusterConfig with a grace that outlasts the fan-out
// group's rebalance when a node joins (the members notice at their next
// group heartbeat, every 2 s, then rejoin): the handover must be seen
// delivering before the old nodes close the moved connections. 6 s was
// enough on an idle machine and failed about one run in four on a loaded
// one (rebalance and sends slow down together); 12 s still failed one
// clean-clone run in three, so the grace is 20 s.
func growConfig(t testing.TB, base config.Config, prefix, endpoint, id string) config.Config {
	cfg := clusterConfig(t, base, prefix, endpoint, id)
	cfg.Cluster.MigrationGrace = 20 * time.Second
	return cfg
}

// streamFlows waits until r received n more messages than it had.
func streamFlows(t testing.TB, r *received, n int64) {
	t.Helper()
	r.waitForSeq(t, "stream", lastSeqOr0(r.messages())+n, streamTimeout)
}

// ringOwner places userID on a ring of the given nodes, as every node of
// the test cluster does (weight 1, default virtual nodes).
func ringOwner(t testing.TB, userID string, nodeIDs ...string) string {
	t.Helper()
	nodes := make([]domain.RingNode, len(nodeIDs))
	for i, id := range nodeIDs {
		nodes[i] = domain.RingNode{ID: id, Weight: 1}
	}
	ring, err := domain.NewRing(nodes, domain.DefaultVirtualNodes)
	if err != nil {
		t.Fatal(err)
	}
	owner, _ := ring.Owner(userID)
	return owner.ID
}
