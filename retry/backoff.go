// Package retry is the one way this service waits between attempts at
// something that failed: an exponential backoff with jitter that a
// context cuts short, so shutdown never waits on a timer, and Edge, which
// logs an outage when it starts and when it ends instead of on every try.
//
// It sits outside the onion's layers and imports only the standard
// library, so every layer may use it (layers_test.go allows that).
package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff is an exponential backoff: Min after the first failure, doubled
// after each further one, never above Max.
type Backoff struct {
	Min, Max time.Duration
}

// Delay returns how long to wait after the given number of consecutive
// failures (1 for the first). The exponential value is jittered down by
// up to a half ("equal jitter"): nodes that failed together, because the
// dependency they share went away, then retry spread out instead of in
// step, and no wait is shorter than half the exponential value.
func (b Backoff) Delay(failures int) time.Duration {
	d := b.Min
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Wait pauses for Delay(failures), or until ctx ends; it reports whether
// the caller should try again (false once ctx is done).
func (b Backoff) Wait(ctx context.Context, failures int) bool {
	return Sleep(ctx, b.Delay(failures))
}

// Sleep pauses for d, or until ctx ends; false when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Do calls fn until it succeeds, fails with an error retryable rejects,
// or ctx ends, waiting b between attempts. It returns nil or fn's last
// error (with ctx's error joined when ctx ended the attempts).
func Do(ctx context.Context, b Backoff, retryable func(error) bool, fn func(context.Context) error) error {
	for failures := 1; ; failures++ {
		err := fn(ctx)
		if err == nil || !retryable(err) {
			return err
		}
		if !b.Wait(ctx, failures) {
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		}
	}
}
