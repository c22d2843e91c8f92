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

// Released frames are queued past the bound, in order, and never count
// against it: neither while they wait nor while the flusher holds them,
// so plain frames after them meet the bound alone.
func TestReleasedFramesDoNotCountAgainstTheBound(t *testing.T) {
	t.Parallel()
	const bound, burst = 4, 10
	s := New(bound)
	var want []string
	queue := func(f string, released bool) bool {
		t.Helper()
		var ok bool
		if released {
			ok, _ = s.EnqueueLaterReleased([]byte(f))
		} else {
			ok, _ = s.EnqueueLater([]byte(f))
		}
		if ok {
			want = append(want, f)
		}
		return ok
	}
	for i := range bound - 1 {
		if !queue(fmt.Sprint("plain", i), false) {
			t.Fatalf("plain frame %d refused below the bound", i)
		}
	}
	for i := range burst {
		if !queue(fmt.Sprint("released", i), true) {
			t.Fatalf("released frame %d refused", i)
		}
	}
	if !queue("last plain", false) {
		t.Fatal("the last plain frame under the bound was refused after a released burst")
	}
	if queue("beyond", false) {
		t.Fatal("a plain frame was queued past the bound")
	}
	frames := s.take(nil)
	if len(frames) != len(want) {
		t.Fatalf("took %d frames, want %d", len(frames), len(want))
	}
	for i, f := range frames {
		if string(f) != want[i] {
			t.Fatalf("frame %d is %q, want %q: order lost", i, f, want[i])
		}
	}
	// In the flusher's hands the burst still does not count: of the bound
	// plain frames taken, all but the one being written count, so one
	// more fits (none would if the burst counted).
	if ok, _ := s.EnqueueLater([]byte("next")); !ok {
		t.Fatal("a plain frame under the bound was refused while the burst is being written")
	}
	if ok, _ := s.EnqueueLater([]byte("next beyond")); ok {
		t.Fatal("a plain frame was queued past the bound while the burst is being written")
	}
}
