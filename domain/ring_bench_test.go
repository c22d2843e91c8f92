package domain

import (
	"fmt"
	"math"
	"testing"
)

// BenchmarkRingQuality measures what docs/consistent-hashing.md reports:
// for 10 nodes of weight 1 and several virtual-node counts, the worst
// node's deviation from its fair share of 1,000,000 user ids, the fraction
// of ids that move when an 11th node joins (ideal 1/11 = 9.1%), the
// fraction that move when a node leaves (ideal 1/10), and the time to build
// the ring. Run: go test ./domain -run '^$' -bench RingQuality -benchtime 1x
func BenchmarkRingQuality(b *testing.B) {
	for _, vnodes := range []int{1, 16, 64, 256, 1024, 4096} {
		b.Run(fmt.Sprintf("vnodes=%d", vnodes), func(b *testing.B) {
			ids := make([]string, sampleUsers)
			for i := range ids {
				ids[i] = fmt.Sprintf("user-%d", i)
			}
			for range b.N {
				ten := benchRing(b, nodes(10), vnodes)
				eleven := benchRing(b, nodes(11), vnodes)
				nine := benchRing(b, nodes(10)[1:], vnodes)
				counts := map[string]int{}
				moved, movedOnRemove := 0, 0
				for _, id := range ids {
					before, _ := ten.Owner(id)
					counts[before.ID]++
					if after, _ := eleven.Owner(id); after.ID != before.ID {
						moved++
					}
					if after, _ := nine.Owner(id); after.ID != before.ID {
						movedOnRemove++
					}
				}
				worst := 0.0
				fair := float64(sampleUsers) / 10
				for _, c := range counts {
					worst = math.Max(worst, math.Abs(float64(c)-fair)/fair)
				}
				b.ReportMetric(100*worst, "%worst-deviation")
				b.ReportMetric(100*float64(moved)/sampleUsers, "%moved-on-add")
				b.ReportMetric(100*float64(movedOnRemove)/sampleUsers, "%moved-on-remove")
			}
		})
	}
}

// BenchmarkRingBuild is the cost of one membership change: rebuilding the
// ring of 10 nodes at the default virtual-node count.
func BenchmarkRingBuild(b *testing.B) {
	for range b.N {
		benchRing(b, nodes(10), 0)
	}
}

func benchRing(b *testing.B, ns []RingNode, vnodes int) *Ring {
	b.Helper()
	r, err := NewRing(ns, vnodes)
	if err != nil {
		b.Fatal(err)
	}
	return r
}
