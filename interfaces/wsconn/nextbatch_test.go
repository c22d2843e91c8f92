package wsconn

import (
	"slices"
	"testing"
)

// A frame that arrives after the flusher found the queue empty, but before
// it stopped, must not make the next batch and the queue one array: the
// frames queued during the write would overwrite the batch's, and clearing
// the written batch would empty them.
func TestNextBatchNeverSharesItsArrayWithTheQueue(t *testing.T) {
	c := New(16)
	spare := make([][]byte, 0, minQueueCap) // the last batch, written and cleared
	arrived := false
	c.afterEmptyTake = func() {
		if !arrived {
			arrived = true
			c.Enqueue([]byte(`{"n":1}`))
		}
	}

	batch, stop := c.nextBatch(spare)
	if stop || len(batch) != 1 || string(batch[0]) != `{"n":1}` {
		t.Fatalf("nextBatch = %q, stop %v; want the frame that arrived", batch, stop)
	}
	// While the batch is written, the next frame is queued; then the
	// written batch is cleared for reuse, as writeTaken does.
	c.Enqueue([]byte(`{"n":2}`))
	if string(batch[0]) != `{"n":1}` {
		t.Fatalf("queueing the next frame overwrote the batch being written: %q", batch)
	}
	clear(batch)
	if got := c.Drain(); !slices.EqualFunc(got, [][]byte{[]byte(`{"n":2}`)}, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("queue after the write = %q, want the second frame intact", got)
	}
}
