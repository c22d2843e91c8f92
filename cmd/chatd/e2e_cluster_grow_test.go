package main

import (
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/config"
)

// Helpers of the node-added test (e2e_cluster_nodes_test.go).

// growConfig is clusterConfig with a grace longer than the test: the test
// ends it on every old node (testServer.endGrace) as soon as it has seen
// the handover deliver to the moved members' old connections, instead of
// betting that a fixed grace outlasts a loaded machine.
func growConfig(t testing.TB, base config.Config, prefix, endpoint, id string) config.Config {
	cfg := clusterConfig(t, base, prefix, endpoint, id)
	cfg.Cluster.MigrationGrace = 10 * time.Minute
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
