package wsconn

import (
	"fmt"
	"testing"
)

func TestQueueGrowsOnDemandUpToItsBound(t *testing.T) {
	t.Parallel()
	const bound = 20
	s := New(bound)
	if cap(s.queue) != 0 {
		t.Fatalf("a new Conn holds %d queue slots, want none", cap(s.queue))
	}
	if !s.Enqueue([]byte("0")) || cap(s.queue) != minQueueCap {
		t.Fatalf("after one frame the queue holds %d slots, want %d", cap(s.queue), minQueueCap)
	}
	for i := 1; i < bound; i++ {
		if !s.Enqueue(fmt.Appendf(nil, "%d", i)) {
			t.Fatalf("frame %d refused below the bound", i)
		}
	}
	if cap(s.queue) != bound {
		t.Fatalf("a full queue holds %d slots, want exactly the bound %d", cap(s.queue), bound)
	}
	if s.Enqueue([]byte("over")) {
		t.Fatal("a frame beyond the bound was queued")
	}
	frames := s.take(nil)
	for i, f := range frames {
		if string(f) != fmt.Sprint(i) {
			t.Fatalf("frame %d is %q: order lost", i, f)
		}
	}
	// Like the channel it replaced: a full queue beyond the one frame in
	// the writer's hand. The taken batch counts until it is written.
	for i := range bound - len(frames) + 1 {
		if !s.Enqueue([]byte("next")) {
			t.Fatalf("frame %d refused while the batch is in hand", i)
		}
	}
	if s.Enqueue([]byte("over")) {
		t.Fatal("queue and batch in hand exceed the bound")
	}
	s.done()
	if !s.Enqueue([]byte("after done")) {
		t.Fatal("frame refused after the batch was written")
	}
	if got := len(s.take(nil)); got != 2 {
		t.Fatalf("took %d frames, want 2", got)
	}
}

// BenchmarkNewConn shows what an idle connection costs before any frame.
func BenchmarkNewConn(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = New(testQueueSize)
	}
}

// A released burst may run over the bound by the allowance it is given,
// in order; a plain frame still meets the bound.
func TestEnqueueLaterOverRunsOverTheBoundByItsAllowance(t *testing.T) {
	t.Parallel()
	const bound, extra = 4, 6
	s := New(bound)
	for i := range bound {
		if ok, _ := s.EnqueueLater(fmt.Appendf(nil, "%d", i)); !ok {
			t.Fatalf("frame %d refused below the bound", i)
		}
	}
	if ok, _ := s.EnqueueLater([]byte("plain")); ok {
		t.Fatal("a plain frame was queued past the bound")
	}
	for i := bound; i < bound+extra; i++ {
		if ok, _ := s.EnqueueLaterOver(fmt.Appendf(nil, "%d", i), extra); !ok {
			t.Fatalf("released frame %d refused within the allowance", i)
		}
	}
	if ok, _ := s.EnqueueLaterOver([]byte("beyond"), extra); ok {
		t.Fatal("a released frame was queued past the bound and its allowance")
	}
	frames := s.take(nil)
	if len(frames) != bound+extra {
		t.Fatalf("took %d frames, want %d", len(frames), bound+extra)
	}
	for i, f := range frames {
		if string(f) != fmt.Sprint(i) {
			t.Fatalf("frame %d is %q: order lost", i, f)
		}
	}
}
