package presencetimer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// waitTimeout turns a hang into a failure; no test waits on it to progress.
const waitTimeout = 10 * time.Second

// fakeWorker records the driver's calls on channels.
type fakeWorker struct {
	wake     chan struct{}
	restores chan struct{}
	ticks    chan struct{}

	mu          sync.Mutex
	restoreErrs []error // returned by the next Restore calls, in order
	restored    bool
	early       bool // Tick ran before a Restore succeeded
}

func newFakeWorker(restoreErrs ...error) *fakeWorker {
	return &fakeWorker{wake: make(chan struct{}, 1), restores: make(chan struct{}, 100),
		ticks: make(chan struct{}, 100), restoreErrs: restoreErrs}
}

func (w *fakeWorker) Restore(context.Context) (int, error) {
	w.restores <- struct{}{}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.restoreErrs) > 0 {
		err := w.restoreErrs[0]
		w.restoreErrs = w.restoreErrs[1:]
		return 0, err
	}
	w.restored = true
	return 3, nil
}

func (w *fakeWorker) Tick(context.Context) error {
	w.mu.Lock()
	w.early = w.early || !w.restored
	w.mu.Unlock()
	w.ticks <- struct{}{}
	return nil
}

func (w *fakeWorker) Wake() <-chan struct{} { return w.wake }

func await(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("no %s within %s", what, waitTimeout)
	}
}

func start(t *testing.T, w Worker, timeout time.Duration) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(w, timeout, nil).Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestDriverRestoresThenTicksWhenWoken(t *testing.T) {
	w := newFakeWorker()
	// A timeout of an hour ticks every second: a tick seen right after a
	// wake-up comes from the wake-up or from the ticker, and both are fine,
	// but the test does not wait a second for it.
	stop := start(t, w, time.Hour)
	await(t, w.restores, "Restore")
	await(t, w.ticks, "first Tick")
	w.wake <- struct{}{}
	await(t, w.ticks, "Tick after a wake-up")
	stop()
	await(t, w.ticks, "final Tick at shutdown")
	if len(w.restores) != 0 {
		t.Fatal("Restore ran more than once")
	}
}

func TestDriverRetriesRestoreBeforeTicking(t *testing.T) {
	w := newFakeWorker(errors.New("database down"), errors.New("still down"))
	stop := start(t, w, 10*time.Millisecond) // ticks every 5 ms
	for range 3 {
		await(t, w.restores, "Restore")
	}
	await(t, w.ticks, "Tick after the restore succeeded")
	stop()
	if w.early {
		t.Fatal("Tick ran before Restore succeeded")
	}
}

func TestDriverTickInterval(t *testing.T) {
	for _, tt := range []struct{ timeout, want time.Duration }{
		{30 * time.Second, 937500 * time.Microsecond},
		{time.Hour, time.Second},
		{time.Millisecond, 5 * time.Millisecond},
	} {
		if got := New(nil, tt.timeout, nil).interval; got != tt.want {
			t.Errorf("interval for timeout %v = %v, want %v", tt.timeout, got, tt.want)
		}
	}
}
