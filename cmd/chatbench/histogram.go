package main

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBucketBits sets the precision of Histogram: every power-of-two range
// of values is split into 2^subBucketBits linear steps, so a recorded value
// is known to within 1/64 (1.6 %) of itself, from 1 µs to hours, in one
// fixed array of 3,776 counters. This is the layout of HdrHistogram with
// two significant digits; writing it here (about 150 lines) keeps the
// module free of a dependency for something the tests can pin down
// exactly, and lets worker processes ship sparse bucket lists as plain JSON.
const subBucketBits = 6

const (
	subBuckets  = 1 << subBucketBits
	bucketCount = subBuckets + (64-subBucketBits)*subBuckets
)

// Histogram counts latencies in microseconds in log-linear buckets. Record
// is safe for concurrent use (atomic adds); reading it while recording
// gives a slightly stale but consistent-enough view, so reports are taken
// after the recording goroutines are done.
type Histogram struct {
	counts [bucketCount]atomic.Int64
	total  atomic.Int64
	sum    atomic.Int64
	min    atomic.Int64 // math.MaxInt64 while empty
	max    atomic.Int64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	h := &Histogram{}
	h.min.Store(math.MaxInt64)
	return h
}

// bucketOf returns the bucket index of a value. Values below subBuckets
// have a bucket each; above, a value's top subBucketBits+1 bits pick it.
func bucketOf(v int64) int {
	if v < subBuckets {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	exp := bits.Len64(uint64(v)) - 1 // v lies in [2^exp, 2^(exp+1))
	shift := exp - subBucketBits
	sub := int(v>>shift) - subBuckets
	return subBuckets + shift*subBuckets + sub
}

// bucketBounds returns the smallest and largest value of a bucket.
func bucketBounds(index int) (lo, hi int64) {
	if index < subBuckets {
		return int64(index), int64(index)
	}
	shift := (index - subBuckets) / subBuckets
	sub := (index - subBuckets) % subBuckets
	lo = int64(subBuckets+sub) << shift
	return lo, lo + int64(1)<<shift - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	h.RecordMicros(d.Microseconds())
}

// RecordMicros adds one value in microseconds; negative values (clock
// steps) count as zero.
func (h *Histogram) RecordMicros(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	for cur := h.min.Load(); v < cur && !h.min.CompareAndSwap(cur, v); cur = h.min.Load() {
	}
	for cur := h.max.Load(); v > cur && !h.max.CompareAndSwap(cur, v); cur = h.max.Load() {
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.total.Load() }

// Max is the largest recorded value in microseconds, exact.
func (h *Histogram) Max() int64 { return h.max.Load() }

// Mean is the exact mean in microseconds.
func (h *Histogram) Mean() float64 {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return float64(h.sum.Load()) / float64(n)
}

// Percentile returns the value at or below which a fraction q (0..1] of
// the recorded values lie: the highest value of the bucket that holds the
// rank ceil(q*count), never above the exact maximum, so reported
// percentiles err upward (pessimistic) by at most one bucket width.
func (h *Histogram) Percentile(q float64) int64 {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	if q >= 1 {
		return h.max.Load()
	}
	rank := int64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			_, hi := bucketBounds(i)
			return min(hi, h.max.Load())
		}
	}
	return h.max.Load()
}

// Bucket is one non-empty bucket in a histogram's JSON form.
type Bucket struct {
	Index int   `json:"i"`
	Count int64 `json:"n"`
}

// HistogramData is the serialisable form of a Histogram: sparse buckets
// plus the exact totals. Workers send it to the coordinator, which merges.
type HistogramData struct {
	Buckets []Bucket `json:"buckets"`
	Count   int64    `json:"count"`
	SumUs   int64    `json:"sumUs"`
	MinUs   int64    `json:"minUs"`
	MaxUs   int64    `json:"maxUs"`
}

// Data returns the histogram's serialisable form.
func (h *Histogram) Data() HistogramData {
	d := HistogramData{Count: h.total.Load(), SumUs: h.sum.Load(), MaxUs: h.max.Load()}
	if d.Count > 0 {
		d.MinUs = h.min.Load()
	}
	for i := range h.counts {
		if n := h.counts[i].Load(); n > 0 {
			d.Buckets = append(d.Buckets, Bucket{Index: i, Count: n})
		}
	}
	return d
}

// Merge adds the values of d (from another process) to h.
func (h *Histogram) Merge(d HistogramData) {
	if d.Count == 0 {
		return
	}
	for _, b := range d.Buckets {
		if b.Index >= 0 && b.Index < bucketCount {
			h.counts[b.Index].Add(b.Count)
		}
	}
	h.total.Add(d.Count)
	h.sum.Add(d.SumUs)
	for cur := h.min.Load(); d.MinUs < cur && !h.min.CompareAndSwap(cur, d.MinUs); cur = h.min.Load() {
	}
	for cur := h.max.Load(); d.MaxUs > cur && !h.max.CompareAndSwap(cur, d.MaxUs); cur = h.max.Load() {
	}
}
