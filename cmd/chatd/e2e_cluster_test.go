package main

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/cluster/etcdtest"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

const testClusterSecret = "cluster-secret-for-tests-only"

// clusterNodes starts one chatd per id on one database, one broker and one
// etcd prefix; endpoints[i] is the etcd URL node i uses (a proxy lets a
// test cut one node off).
func clusterNodes(t testing.TB, endpoints []string, ids ...string) []*testServer {
	t.Helper()
	base := testConfig(pgtest.NewDatabase(t))
	prefix := etcdtest.Prefix()
	nodes := make([]*testServer, len(ids))
	for i, id := range ids {
		nodes[i] = startWithConfig(t, clusterConfig(t, base, prefix, endpoints[i], id))
	}
	for _, n := range nodes {
		n.waitForRing(len(nodes))
	}
	return nodes
}

// clusterConfig is node id's configuration in the test ring of base
// (database and broker) and the etcd prefix. The node listens on a port
// chosen up front, because it advertises its URLs in etcd before it
// listens.
func clusterConfig(t testing.TB, base config.Config, prefix, endpoint, id string) config.Config {
	cfg := base
	cfg.NodeID = id
	cfg.HTTPAddr = freeAddr(t)
	cfg.Cluster = config.Cluster{
		EtcdEndpoints:  []string{endpoint},
		Prefix:         prefix,
		WSURL:          "ws://" + cfg.HTTPAddr + "/ws",
		InternalURL:    "http://" + cfg.HTTPAddr,
		Weight:         1,
		VirtualNodes:   domain.DefaultVirtualNodes,
		LeaseTTL:       5 * time.Second,
		Secret:         testClusterSecret,
		MigrationGrace: 2 * time.Second,
	}
	return cfg
}

type clusterView struct {
	NodeID string `json:"nodeId"`
	Nodes  []struct {
		ID           string  `json:"id"`
		URL          string  `json:"url"`
		Self         bool    `json:"self"`
		Weight       int     `json:"weight"`
		VirtualNodes int     `json:"virtualNodes"`
		Share        float64 `json:"share"`
	} `json:"nodes"`
}

// waitForRing waits until the node's ring holds n nodes. The ring changes
// inside the server with no event a client can wait on, so this asks
// /admin/v1/cluster again until it agrees or the deadline passes.
func (s *testServer) waitForRing(n int) clusterView {
	s.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		var view clusterView
		s.adminOK("/admin/v1/cluster", &view)
		if len(view.Nodes) == n {
			return view
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s sees %d nodes, want %d", s.cfg.NodeID, len(view.Nodes), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type gatewayAnswer struct {
	URL    string `json:"url"`
	NodeID string `json:"nodeId"`
}

func (s *testServer) gateway(token string) gatewayAnswer {
	s.t.Helper()
	var gw gatewayAnswer
	if code := s.do("GET", "/v1/gateway", token, nil, &gw); code != http.StatusOK {
		s.t.Fatalf("GET /v1/gateway on %s: HTTP %d", s.cfg.NodeID, code)
	}
	return gw
}

// userOwnedBy creates users until the ring puts one on the wanted node.
func userOwnedBy(t testing.TB, s *testServer, nodeID string) (id, token string) {
	t.Helper()
	for range 64 {
		id, token = s.newUser("u")
		if s.gateway(token).NodeID == nodeID {
			return id, token
		}
	}
	t.Fatalf("no user of 64 landed on %s", nodeID)
	return "", ""
}

// dialClose connects and returns the close the server sends first.
func dialClose(t testing.TB, url, token string) websocket.CloseError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, _, err := dialWS(ctx, url, token, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer conn.CloseNow()
	_, data, err := conn.Read(ctx)
	var closeErr websocket.CloseError
	if !errors.As(err, &closeErr) {
		t.Fatalf("read from %s: got %q, %v; want a close frame", url, data, err)
	}
	return closeErr
}

func TestClusterDiscoveryRedirectsToTheOwner(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Endpoints(t)[0]
	nodes := clusterNodes(t, []string{endpoint, endpoint}, "ring-1", "ring-2")
	n1, n2 := nodes[0], nodes[1]

	// Both nodes name the same owner for every user.
	for range 10 {
		_, token := n1.newUser("any")
		gw1, gw2 := n1.gateway(token), n2.gateway(token)
		if gw1 != gw2 {
			t.Fatalf("owners disagree: ring-1 says %+v, ring-2 says %+v", gw1, gw2)
		}
	}

	aliceID, aliceToken := userOwnedBy(t, n1, "ring-1")
	bobID, bobToken := userOwnedBy(t, n1, "ring-2")
	if gw := n2.gateway(aliceToken); gw.URL != n1.wsURL() {
		t.Fatalf("gateway for alice = %+v, want ring-1's %s", gw, n1.wsURL())
	}

	// The wrong node upgrades, then closes with 4010 and the owner's URL.
	closed := dialClose(t, n2.wsURL(), aliceToken)
	if int(closed.Code) != 4010 || closed.Reason != n1.wsURL() {
		t.Fatalf("alice on ring-2 closed with %d %q, want 4010 %q", closed.Code, closed.Reason, n1.wsURL())
	}
	alice := n1.connect(t, aliceToken)
	bob := n2.connect(t, bobToken)
	if alice.ready.NodeID != "ring-1" || bob.ready.NodeID != "ring-2" {
		t.Fatalf("alice on %s, bob on %s", alice.ready.NodeID, bob.ready.NodeID)
	}

	// Clients placed by discovery talk across nodes.
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{aliceID, bobID}}, "channel_created", &g)
	alice.mustRequest("send_message", map[string]any{"channelId": g.ChannelID, "body": "across the ring", "clientMessageId": "1"}, "message_sent", nil)
	bob.await(isMessage(g.ChannelID, 1), "alice's message on ring-2")

	// The admin view is the ring: both nodes, full shares, self marked.
	view := n2.waitForRing(2)
	sum := 0.0
	for i, n := range view.Nodes {
		sum += n.Share
		want := nodes[i]
		if n.ID != want.cfg.NodeID || n.URL != want.wsURL() || n.Self != (n.ID == "ring-2") ||
			n.Weight != 1 || n.VirtualNodes != domain.DefaultVirtualNodes || n.Share <= 0 {
			t.Errorf("node %d = %+v", i, n)
		}
	}
	if view.NodeID != "ring-2" || math.Abs(sum-1) > 1e-9 {
		t.Errorf("cluster from ring-2: nodeId %s, shares sum to %v", view.NodeID, sum)
	}
}

func TestClusterNodeThatLosesEtcdKeepsServing(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Endpoints(t)[0]
	proxy := etcdtest.NewProxy(t, endpoint)
	nodes := clusterNodes(t, []string{proxy.URL(), endpoint}, "cut-1", "cut-2")
	n1 := nodes[0]
	_, token := userOwnedBy(t, n1, "cut-1")

	proxy.Cut()
	var health struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if code := n1.do("GET", "/readyz", "", nil, &health); code != http.StatusServiceUnavailable ||
		health.Checks["cluster"] != "unavailable" || health.Checks["database"] != "ok" {
		t.Fatalf("readyz without etcd: HTTP %d %+v", code, health)
	}
	// The last ring still routes: cut-1 answers discovery and serves its
	// users.
	if gw := n1.gateway(token); gw.NodeID != "cut-1" {
		t.Fatalf("gateway without etcd = %+v", gw)
	}
	if c := n1.connect(t, token); c.ready.NodeID != "cut-1" {
		t.Fatalf("ready from %s", c.ready.NodeID)
	}
	n1.waitForRing(2) // the last ring, not one without the other node
}
