package retry

import (
	"context"
	"time"
)

// Every calls fn every interval, the first time one interval from now,
// until ctx ends, then returns nil. A failure is left to the next tick and
// logged through edge on its edges only; a failure caused by ctx ending is
// not a failure.
func Every(ctx context.Context, interval time.Duration, edge *Edge, fn func(ctx context.Context) error) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		err := fn(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			edge.Fail(ctx, err)
			continue
		}
		edge.OK(ctx)
	}
}
