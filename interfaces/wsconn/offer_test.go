package wsconn

import (
	"fmt"
	"testing"
)

func TestOfferedFramesGoOnlyIntoAnEmptyQueueAndNeverFillIt(t *testing.T) {
	t.Parallel()
	const bound = 4
	c := New(bound)
	if !c.Offer([]byte("typing 1")) {
		t.Fatal("an offered frame was refused by an empty queue")
	}
	if c.Offer([]byte("typing 2")) {
		t.Fatal("an offered frame was queued behind another frame")
	}
	// The offered frame does not take one of the bound's slots.
	for i := range bound {
		if !c.Enqueue(fmt.Appendf(nil, "m%d", i)) {
			t.Fatalf("message %d refused: the offered frame counted against the bound", i)
		}
	}
	if c.Enqueue([]byte("over")) {
		t.Fatal("a frame beyond the bound was queued")
	}
	if c.Offer([]byte("typing 3")) {
		t.Fatal("an offered frame was queued into a busy queue")
	}
	frames := c.take(nil)
	want := []string{"typing 1", "m0", "m1", "m2", "m3"}
	if len(frames) != len(want) {
		t.Fatalf("took %d frames, want %d", len(frames), len(want))
	}
	for i, f := range frames {
		if string(f) != want[i] {
			t.Fatalf("frame %d is %q, want %q", i, f, want[i])
		}
	}
	// While the batch is in hand, the offered frame in it is not counted
	// either: as many messages fit as with a batch of messages alone.
	for i := range bound - (len(frames) - 1) + 1 {
		if !c.Enqueue([]byte("next")) {
			t.Fatalf("frame %d refused while the batch is in hand", i)
		}
	}
	if c.Enqueue([]byte("over")) {
		t.Fatal("queue and batch in hand exceed the bound")
	}
	c.done()
	if c.Offer([]byte("typing 4")) {
		t.Fatal("an offered frame was queued behind waiting messages")
	}
}

func TestOfferRefusesAClosingConnection(t *testing.T) {
	t.Parallel()
	c := New(4)
	c.Close(1000, "bye")
	if c.Offer([]byte("typing")) {
		t.Fatal("an offered frame was queued on a closing connection")
	}
}
