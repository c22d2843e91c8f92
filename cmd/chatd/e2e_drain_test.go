package main

import (
	"context"
	"testing"

	"github.com/coder/websocket"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/chatd/chat/infrastructure/cluster/etcdtest"
)

// TestDrainingNodeLeavesTheRingBeforeClosingItsClients: a node that shuts
// down revokes its registration first, so by the time a client sees its
// 1012 and asks where to go, no node can name the draining one.
func TestDrainingNodeLeavesTheRingBeforeClosingItsClients(t *testing.T) {
	t.Parallel()
	endpoints := etcdtest.Endpoints(t)
	nodes := clusterNodes(t, []string{endpoints[0], endpoints[0]}, "drain-1", "drain-2")
	n1, n2 := nodes[0], nodes[1]
	_, token := userOwnedBy(t, n1, "drain-2")
	c := n2.connect(t, token)

	etcd, err := clientv3.New(clientv3.Config{Endpoints: endpoints})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	key := n2.cfg.Cluster.Prefix + "drain-2"
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if resp, err := etcd.Get(ctx, key); err != nil || resp.Count != 1 {
		t.Fatalf("drain-2 is not registered before the test (%v, %v)", resp, err)
	}

	go n2.stop()
	if code := c.awaitClose(); code != websocket.StatusServiceRestart {
		t.Fatalf("the draining node closed its client with %d, want 1012", code)
	}
	// The client has its 1012: the registration must be gone already.
	if resp, err := etcd.Get(ctx, key); err != nil || resp.Count != 0 {
		t.Fatalf("drain-2 still registered when its client saw 1012 (%v, %v)", resp.Kvs, err)
	}
	n1.waitForRing(1)
	if gw := n1.gateway(token); gw.NodeID != "drain-1" {
		t.Fatalf("GET /v1/gateway sends the client to %s, want drain-1", gw.NodeID)
	}
}
