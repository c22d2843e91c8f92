package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramSmallValuesAreExact(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v <= 100; v++ {
		h.RecordMicros(v)
	}
	for _, tc := range []struct {
		q    float64
		want int64
	}{{0.01, 1}, {0.5, 50}, {0.9, 90}, {0.99, 99}, {1, 100}} {
		if got := h.Percentile(tc.q); got != tc.want {
			t.Errorf("Percentile(%v) = %d, want %d", tc.q, got, tc.want)
		}
	}
	if h.Count() != 100 || h.Max() != 100 || h.Mean() != 50.5 {
		t.Fatalf("count %d max %d mean %v", h.Count(), h.Max(), h.Mean())
	}
}

func TestHistogramPercentilesWithinBucketPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11)) // fixed seed: the same values every run
	h := NewHistogram()
	values := make([]int64, 0, 50000)
	for range 50000 {
		// Log-uniform from 1 µs to 10 s, the range latencies live in.
		v := int64(math.Exp(rng.Float64() * math.Log(1e7)))
		values = append(values, v)
		h.RecordMicros(v)
	}
	slices.Sort(values)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := values[int(math.Ceil(q*float64(len(values))))-1]
		got := h.Percentile(q)
		if got < exact {
			t.Errorf("p%v = %d below the exact %d: percentiles must err upward", q*100, got, exact)
		}
		if rel := float64(got-exact) / float64(exact); rel > 1.0/subBuckets {
			t.Errorf("p%v = %d, exact %d: off by %.2f%%, more than one bucket", q*100, got, exact, rel*100)
		}
	}
	if h.Percentile(1) != values[len(values)-1] {
		t.Fatalf("p100 = %d, want the exact max %d", h.Percentile(1), values[len(values)-1])
	}
}

func TestHistogramBucketsCoverEveryValueOnce(t *testing.T) {
	prevHi := int64(-1)
	for i := range bucketCount {
		lo, hi := bucketBounds(i)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d = [%d, %d] does not follow the previous bucket ending at %d", i, lo, hi, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d = [%d, %d] but bucketOf gives %d and %d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		prevHi = hi
		if hi == math.MaxInt64 {
			return
		}
	}
	t.Fatalf("the last bucket ends at %d, not at MaxInt64", prevHi)
}

func TestHistogramMergeEqualsRecordingEverything(t *testing.T) {
	a, b, all := NewHistogram(), NewHistogram(), NewHistogram()
	for v := int64(0); v < 5000; v += 7 {
		a.RecordMicros(v)
		all.RecordMicros(v)
	}
	for v := int64(3); v < 900000; v += 997 {
		b.Record(time.Duration(v) * time.Microsecond)
		all.RecordMicros(v)
	}
	merged := NewHistogram()
	merged.Merge(a.Data())
	merged.Merge(b.Data())
	merged.Merge(NewHistogram().Data()) // an empty shard changes nothing
	if got, want := merged.Data(), all.Data(); !slices.Equal(got.Buckets, want.Buckets) ||
		got.Count != want.Count || got.SumUs != want.SumUs || got.MinUs != want.MinUs || got.MaxUs != want.MaxUs {
		t.Fatalf("merged %+v\nwant %+v", got, want)
	}
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	h := NewHistogram()
	if h.Percentile(0.99) != 0 || h.Mean() != 0 || h.Data().MinUs != 0 {
		t.Fatal("an empty histogram reports zeros")
	}
	h.RecordMicros(-5) // a clock step backwards
	if h.Percentile(0.5) != 0 || h.Count() != 1 {
		t.Fatalf("negative value: p50 %d count %d", h.Percentile(0.5), h.Count())
	}
}
