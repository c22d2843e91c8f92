package main

import (
	"net/netip"
	"testing"
)

func TestSourcePlanRotatesEveryN(t *testing.T) {
	plan, err := newSourcePlan("127.0.1.10", 2000)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		index int
		want  string
	}{
		{0, "127.0.1.10"},
		{1999, "127.0.1.10"},
		{2000, "127.0.1.11"},
		{4001, "127.0.1.12"},
		{2000 * 245, "127.0.1.255"},
		{2000 * 246, "127.0.2.0"}, // carries into the next octet
	} {
		if got := plan.addrFor(tc.index); got != netip.MustParseAddr(tc.want) {
			t.Errorf("addrFor(%d) = %s, want %s", tc.index, got, tc.want)
		}
	}
}

func TestSourcePlanOffAndInvalid(t *testing.T) {
	plan, err := newSourcePlan("", 2000)
	if err != nil {
		t.Fatal(err)
	}
	if plan.addrFor(12345).IsValid() {
		t.Fatal("an empty base must turn rotation off")
	}
	for _, bad := range []struct {
		base  string
		every int
	}{{"not-an-ip", 2000}, {"::1", 2000}, {"127.0.1.10", 0}} {
		if _, err := newSourcePlan(bad.base, bad.every); err == nil {
			t.Errorf("newSourcePlan(%q, %d) accepted", bad.base, bad.every)
		}
	}
}

func TestClientPoolSharesOneClientPerAddress(t *testing.T) {
	plan, _ := newSourcePlan("127.0.1.10", 2)
	pool := newClientPool(plan)
	if pool.forConn(0) != pool.forConn(1) {
		t.Fatal("connections 0 and 1 share an address and should share a client")
	}
	if pool.forConn(1) == pool.forConn(2) {
		t.Fatal("connection 2 moves to the next address and needs its own client")
	}
}

func TestPlanSplitsConnectionsOverProcesses(t *testing.T) {
	p := Params{Scenario: "idle", Conns: 15000, ConnsPerProc: 6000}
	specs := plan(&p)
	if len(specs) != 3 {
		t.Fatalf("%d shards for 15,000 connections at 6,000 each, want 3", len(specs))
	}
	wantOffsets := []int{0, 5000, 10000}
	for i, s := range specs {
		if s.Index != i || s.Count != 3 || s.ConnOffset != wantOffsets[i] {
			t.Errorf("shard %d = %+v, want offset %d", i, s, wantOffsets[i])
		}
	}
	p = Params{Scenario: "direct", Pairs: 5, Procs: 2, ConnsPerProc: 6000}
	specs = plan(&p)
	if len(specs) != 2 || specs[1].ConnOffset != 6 { // 3 pairs, then 2
		t.Fatalf("direct over 2 processes: %+v", specs)
	}
}
