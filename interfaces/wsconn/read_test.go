package wsconn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBufferReadsWholeMessagesAndIsReused(t *testing.T) {
	t.Parallel()
	buf := &readBuffer{data: make([]byte, 0, 4)}
	for _, msg := range []string{"", "hb", strings.Repeat("x", 3*messageBufferSize+1), "short again"} {
		got, err := buf.readFrom(iotest.OneByteReader(strings.NewReader(msg)))
		if err != nil || string(got) != msg {
			t.Fatalf("readFrom(%d bytes) = %d bytes %.20q, %v", len(msg), len(got), got, err)
		}
	}
	if cap(buf.data) <= 3*messageBufferSize {
		t.Errorf("buffer did not keep its grown capacity: %d", cap(buf.data))
	}
}

func TestReadBufferStopsOnlyAtABareEOF(t *testing.T) {
	t.Parallel()
	// A connection that broke mid-message may report a wrapped EOF; that
	// is an error, not the end of a shorter message.
	broken := fmt.Errorf("failed to read: %w", io.EOF)
	r := io.MultiReader(strings.NewReader("half a fr"), iotest.ErrReader(broken))
	buf := &readBuffer{}
	if got, err := buf.readFrom(r); !errors.Is(err, broken) || got != nil {
		t.Errorf("readFrom = %q, %v; want the wrapped EOF as an error", got, err)
	}
}

func TestScrubbedBufferHidesThePreviousMessage(t *testing.T) {
	t.Parallel()
	// The tests of this package rely on scrubbing to catch handlers that
	// keep data past their call.
	if !scrubReadBuffers {
		t.Fatal("read buffers are not scrubbed in tests")
	}
	buf := &readBuffer{}
	kept, err := buf.readFrom(strings.NewReader("keep me"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buf.readFrom(strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(kept, []byte("eep")) {
		t.Errorf("the buffer read again still holds %q", kept)
	}
}
