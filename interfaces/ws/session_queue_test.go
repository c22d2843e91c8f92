package ws

import (
	"fmt"
	"testing"

	"github.com/chatd/chat/domain"
)

func TestSessionQueueGrowsOnDemandUpToItsBound(t *testing.T) {
	t.Parallel()
	const bound = 20
	s := newSession(domain.User{ID: "u"}, bound)
	if cap(s.queue) != 0 {
		t.Fatalf("a new session holds %d queue slots, want none", cap(s.queue))
	}
	if !s.enqueue([]byte("0")) || cap(s.queue) != minQueueCap {
		t.Fatalf("after one frame the queue holds %d slots, want %d", cap(s.queue), minQueueCap)
	}
	for i := 1; i < bound; i++ {
		if !s.enqueue(fmt.Appendf(nil, "%d", i)) {
			t.Fatalf("frame %d refused below the bound", i)
		}
	}
	if cap(s.queue) != bound {
		t.Fatalf("a full queue holds %d slots, want exactly the bound %d", cap(s.queue), bound)
	}
	if s.enqueue([]byte("over")) {
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
		if !s.enqueue([]byte("next")) {
			t.Fatalf("frame %d refused while the batch is in hand", i)
		}
	}
	if s.enqueue([]byte("over")) {
		t.Fatal("queue and batch in hand exceed the bound")
	}
	s.done()
	if !s.enqueue([]byte("after done")) {
		t.Fatal("frame refused after the batch was written")
	}
	if got := len(s.take(nil)); got != 2 {
		t.Fatalf("took %d frames, want 2", got)
	}
}

// BenchmarkNewSession shows what an idle session costs before any frame.
func BenchmarkNewSession(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = newSession(domain.User{ID: "u"}, DefaultQueueSize)
	}
}
