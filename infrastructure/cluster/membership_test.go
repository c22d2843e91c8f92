package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/chatd/chat/infrastructure/cluster"
	"github.com/chatd/chat/infrastructure/cluster/etcdtest"
)

// waitDeadline bounds every wait for a ring change: far longer than etcd
// needs, so only a real failure hits it.
const waitDeadline = 20 * time.Second

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func startNode(t *testing.T, endpoints []string, prefix, id string, weight int) *cluster.Membership {
	t.Helper()
	m, err := cluster.Start(context.Background(), cluster.Config{
		Self:          cluster.Member{NodeID: id, WSURL: "ws://" + id + "/ws", InternalURL: "http://" + id, Weight: weight},
		EtcdEndpoints: endpoints,
		Prefix:        prefix,
		VirtualNodes:  64,
		LeaseTTL:      5 * time.Second,
		Grace:         time.Minute,
	}, testLogger())
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	t.Cleanup(m.Close)
	if err := m.Announce(context.Background()); err != nil {
		t.Fatalf("announce %s: %v", id, err)
	}
	return m
}

// waitForNodes waits, without polling, until m's view has exactly ids.
func waitForNodes(t *testing.T, m *cluster.Membership, ids ...string) *cluster.View {
	t.Helper()
	sort.Strings(ids)
	deadline := time.After(waitDeadline)
	for {
		view := m.View()
		var got []string
		for _, n := range view.Ring.Nodes() {
			got = append(got, n.ID)
		}
		if equal(got, ids) {
			return view
		}
		select {
		case <-view.Changed:
		case <-deadline:
			t.Fatalf("ring has %v, want %v", got, ids)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWatcherSeesNodesJoinAndLeave(t *testing.T) {
	t.Parallel()
	endpoints, prefix := etcdtest.Endpoints(t), etcdtest.Prefix()
	a := startNode(t, endpoints, prefix, "node-a", 1)
	waitForNodes(t, a, "node-a")

	b := startNode(t, endpoints, prefix, "node-b", 2)
	viewA := waitForNodes(t, a, "node-a", "node-b")
	viewB := waitForNodes(t, b, "node-a", "node-b")
	if got := viewA.Members["node-b"]; got.WSURL != "ws://node-b/ws" || got.Weight != 2 || got.InternalURL != "http://node-b" {
		t.Errorf("node-a sees node-b as %+v", got)
	}
	for _, user := range []string{"u1", "u2", "u3", "alice", "bob"} {
		ownerA, _ := viewA.Owner(user)
		ownerB, _ := viewB.Owner(user)
		if ownerA.NodeID != ownerB.NodeID {
			t.Errorf("owner of %s: node-a says %s, node-b says %s", user, ownerA.NodeID, ownerB.NodeID)
		}
	}
	nodes, err := a.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, n := range nodes {
		sum += n.Share
		if n.Self != (n.ID == "node-a") || n.VirtualNodes != 64*n.Weight {
			t.Errorf("node-a reports %+v", n)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("shares add up to %v, want 1", sum)
	}

	b.Close() // revokes the lease: node-b leaves at once
	waitForNodes(t, a, "node-a")
	if owner, url := a.OwnerOf("anyone"); owner != "node-a" || url != "ws://node-a/ws" {
		t.Errorf("alone, node-a routes to %s %s", owner, url)
	}
}

func TestStandaloneIsARingOfOne(t *testing.T) {
	t.Parallel()
	m, err := cluster.Start(context.Background(), cluster.Config{
		Self:         cluster.Member{NodeID: "solo", Weight: 1},
		VirtualNodes: 8,
	}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if owner, url := m.OwnerOf("u1"); owner != "solo" || url != "" {
		t.Errorf("OwnerOf = %s %q, want solo and no URL", owner, url)
	}
	if err := m.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	nodes, _ := m.Nodes(context.Background())
	if len(nodes) != 1 || !nodes[0].Self || nodes[0].Share != 1 || nodes[0].VirtualNodes != 1 {
		t.Errorf("Nodes = %+v", nodes)
	}
}

func TestStartFailsWithoutEtcd(t *testing.T) {
	t.Parallel()
	_, err := cluster.Start(context.Background(), cluster.Config{
		Self:          cluster.Member{NodeID: "lonely", Weight: 1},
		EtcdEndpoints: []string{"http://127.0.0.1:1"},
		Prefix:        etcdtest.Prefix(),
		LeaseTTL:      5 * time.Second,
	}, testLogger())
	if err == nil {
		t.Fatal("Start succeeded with no etcd to reach")
	}
}

func TestLosingEtcdKeepsTheLastRing(t *testing.T) {
	t.Parallel()
	endpoints, prefix := etcdtest.Endpoints(t), etcdtest.Prefix()
	proxy := etcdtest.NewProxy(t, endpoints[0])
	a := startNode(t, []string{proxy.URL()}, prefix, "node-a", 1)
	b := startNode(t, endpoints, prefix, "node-b", 1)
	waitForNodes(t, a, "node-a", "node-b")
	waitForNodes(t, b, "node-a", "node-b")
	if err := a.Ping(context.Background()); err != nil {
		t.Fatalf("Ping before the cut: %v", err)
	}

	proxy.Cut()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.Ping(ctx); err == nil {
		t.Error("Ping succeeded with etcd cut off")
	}
	// node-a keeps the ring it had; node-b sees node-a's lease expire.
	if got := len(a.View().Members); got != 2 {
		t.Errorf("node-a's ring has %d nodes after losing etcd, want its last 2", got)
	}
	waitForNodes(t, b, "node-b")
}

// A user who moved keeps getting events at the old owner for the handover
// window, and the old owner stays reachable through the replaced view even
// after it left the ring.
func TestMovedUsersHaveBothOwnersDuringHandover(t *testing.T) {
	t.Parallel()
	endpoints, prefix := etcdtest.Endpoints(t), etcdtest.Prefix()
	a := startNode(t, endpoints, prefix, "node-a", 1)
	b := startNode(t, endpoints, prefix, "node-b", 1)
	before := waitForNodes(t, a, "node-a", "node-b")
	var moved, stayed string
	for i := 0; moved == "" || stayed == ""; i++ {
		user := fmt.Sprintf("user-%d", i)
		if owner, _ := before.Owner(user); owner.NodeID == "node-b" {
			moved = user
		} else {
			stayed = user
		}
	}

	b.Close()
	waitForNodes(t, a, "node-a")
	if got := a.Owners(moved); !equal(got, []string{"node-a", "node-b"}) {
		t.Errorf("owners of a moved user = %v, want the new owner, then the old", got)
	}
	if got := a.Owners(stayed); !equal(got, []string{"node-a"}) {
		t.Errorf("owners of a user who stayed = %v", got)
	}
	if a.IsMember("node-b") || !a.IsMember("node-a") {
		t.Error("node-b left the ring but is still a member, or node-a is not")
	}
	if url, ok := a.InternalURL("node-b"); !ok || url != "http://node-b" {
		t.Errorf("internal URL of the departed node-b = %q, %v", url, ok)
	}
	if _, ok := a.InternalURL("node-c"); ok {
		t.Error("an unknown node has an internal URL")
	}
}

// A node reads the ring at Start but joins it only when it announces
// itself, once it can take connections.
func TestNodeJoinsTheRingOnlyWhenItAnnounces(t *testing.T) {
	t.Parallel()
	endpoints, prefix := etcdtest.Endpoints(t), etcdtest.Prefix()
	a := startNode(t, endpoints, prefix, "node-a", 1)
	b, err := cluster.Start(context.Background(), cluster.Config{
		Self:          cluster.Member{NodeID: "node-b", WSURL: "ws://node-b/ws", InternalURL: "http://node-b", Weight: 1},
		EtcdEndpoints: endpoints, Prefix: prefix, VirtualNodes: 64, LeaseTTL: 5 * time.Second,
	}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	waitForNodes(t, b, "node-a") // it sees the ring without being on it
	if err := b.Ping(context.Background()); err == nil {
		t.Error("Ping of a node that has not announced itself succeeded")
	}
	if err := b.Announce(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitForNodes(t, a, "node-a", "node-b")
	waitForNodes(t, b, "node-a", "node-b")
	if err := b.Ping(context.Background()); err != nil {
		t.Errorf("Ping after announcing: %v", err)
	}
}
