package domain

import (
	"fmt"
	"math"
	"testing"
)

func nodes(n int) []RingNode {
	out := make([]RingNode, n)
	for i := range out {
		out[i] = RingNode{ID: fmt.Sprintf("node-%d", i), Weight: 1}
	}
	return out
}

const sampleUsers = 1_000_000

func owners(t *testing.T, r *Ring) []string {
	t.Helper()
	out := make([]string, sampleUsers)
	for i := range out {
		n, ok := r.Owner(fmt.Sprintf("user-%d", i))
		if !ok {
			t.Fatal("empty ring")
		}
		out[i] = n.ID
	}
	return out
}

func mustRing(t *testing.T, ns []RingNode) *Ring {
	t.Helper()
	r, err := NewRing(ns, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRingBalance(t *testing.T) {
	r := mustRing(t, nodes(10))
	count := map[string]int{}
	for _, o := range owners(t, r) {
		count[o]++
	}
	fair := float64(sampleUsers) / 10
	for id, c := range count {
		if dev := math.Abs(float64(c)-fair) / fair; dev > 0.10 {
			t.Errorf("%s holds %d users, %.1f%% off its fair share", id, c, dev*100)
		}
	}
	if len(count) != 10 {
		t.Fatalf("only %d nodes own users", len(count))
	}
}

func TestRingAddMovesOnlyToNewNode(t *testing.T) {
	before := owners(t, mustRing(t, nodes(10)))
	after := owners(t, mustRing(t, nodes(11)))
	moved := 0
	for i := range before {
		if before[i] != after[i] {
			moved++
			if after[i] != "node-10" {
				t.Fatalf("user-%d moved from %s to %s, not to the new node", i, before[i], after[i])
			}
		}
	}
	if frac := float64(moved) / sampleUsers; frac < 0.07 || frac > 0.11 {
		t.Fatalf("adding an 11th node moved %.2f%% of users, want 7%% to 11%%", frac*100)
	}
}

func TestRingRemoveMovesOnlyThatNodesUsers(t *testing.T) {
	all := nodes(10)
	before := owners(t, mustRing(t, all))
	after := owners(t, mustRing(t, append(all[:3:3], all[4:]...))) // node-3 leaves
	for i := range before {
		if before[i] != after[i] && before[i] != "node-3" {
			t.Fatalf("user-%d moved from %s though only node-3 left", i, before[i])
		}
		if after[i] == "node-3" {
			t.Fatal("a removed node still owns users")
		}
	}
}

func TestRingWeightsAndShares(t *testing.T) {
	r := mustRing(t, []RingNode{{"big", 2}, {"small", 1}})
	shares := r.Shares()
	if sum := shares["big"] + shares["small"]; math.Abs(sum-1) > 1e-9 {
		t.Fatalf("shares sum to %f", sum)
	}
	if shares["big"] < 0.6 || shares["big"] > 0.73 {
		t.Fatalf("weight-2 node owns %.3f of the ring, want about 2/3", shares["big"])
	}
	one := mustRing(t, []RingNode{{"solo", 1}})
	if s := one.Shares()["solo"]; math.Abs(s-1) > 1e-9 {
		t.Fatalf("a lone node owns %f", s)
	}
}

func TestRingIsDeterministicAndValidates(t *testing.T) {
	a := mustRing(t, nodes(5))
	ns := nodes(5)
	ns[0], ns[4] = ns[4], ns[0] // member order must not matter
	b := mustRing(t, ns)
	for i := 0; i < 1000; i++ {
		key := fmt.Sprint("u", i)
		x, _ := a.Owner(key)
		y, _ := b.Owner(key)
		if x != y {
			t.Fatalf("%s: %s vs %s", key, x.ID, y.ID)
		}
	}
	if _, ok := (&Ring{}).Owner("u"); ok {
		t.Fatal("an empty ring owns nothing")
	}
	for _, bad := range [][]RingNode{{{"a", 0}}, {{"", 1}}, {{"a", 1}, {"a", 1}}} {
		if _, err := NewRing(bad, 0); err == nil {
			t.Errorf("NewRing(%v) accepted", bad)
		}
	}
}

func BenchmarkRingOwner(b *testing.B) {
	r, _ := NewRing(nodes(10), 0)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("user-", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Owner(keys[i&1023])
	}
}
