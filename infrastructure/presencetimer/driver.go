// Package presencetimer drives the presence use cases' delayed offline
// trigger on real time: one goroutine and one ticker per node, however
// many users are online, instead of a goroutine or a timer per user.
package presencetimer

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatd/chat/retry"
)

// Worker is the worker side of the presence use cases (*presence.Service).
type Worker interface {
	// Restore takes over the users this node owned before a restart.
	Restore(ctx context.Context) (int, error)
	// Tick expires due users and writes queued changes.
	Tick(ctx context.Context) error
	// Wake is signalled when a change waits to be written.
	Wake() <-chan struct{}
}

// Tick bounds: offline is announced at most one tick after the timeout,
// and at most every 5 ms with very short timeouts (tests).
const (
	ticksPerTimeout = 32
	minTick         = 5 * time.Millisecond
	maxTick         = time.Second
	// finalFlushTimeout bounds the last write of queued changes at
	// shutdown.
	finalFlushTimeout = 2 * time.Second
)

// Driver runs a Worker: Restore once, then Tick on every tick and at once
// when woken, so a user going online is announced within one database
// transaction and going offline within one tick of the timeout.
type Driver struct {
	worker   Worker
	interval time.Duration
	logger   *slog.Logger
}

// New builds the driver for a presence timeout: it ticks 32 times per
// timeout (once a second for the default 30 s).
func New(worker Worker, timeout time.Duration, logger *slog.Logger) *Driver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	interval := min(max(timeout/ticksPerTimeout, minTick), maxTick)
	return &Driver{worker: worker, interval: interval, logger: logger.With(slog.String("component", "presence_timer"))}
}

// Run drives the worker until ctx ends, then writes what is still queued
// (bounded by a short timeout) and returns nil. Failures are logged when
// they start and end; while failing, wake-ups are ignored and the next
// tick retries, so a database outage is not hammered at heartbeat rate.
func (d *Driver) Run(ctx context.Context) error {
	ticker := time.NewTicker(d.interval)
	defer ticker.Stop()
	restored := false
	edge := retry.NewEdge(d.logger, slog.LevelError, "writing presence changes")
	for {
		if !restored {
			n, err := d.worker.Restore(ctx)
			if err == nil {
				restored = true
				if n > 0 {
					d.logger.InfoContext(ctx, "took over the online users of this node's previous run", slog.Int("users", n))
				}
			} else if ctx.Err() == nil {
				d.logger.ErrorContext(ctx, "restoring presence failed; retrying", slog.Any("error", err))
			}
		}
		if restored {
			d.tick(ctx, edge)
		}
		wake := d.worker.Wake()
		if edge.Failing() || !restored {
			wake = nil
		}
		select {
		case <-ctx.Done():
			d.finalFlush(ctx, restored)
			return nil
		case <-ticker.C:
		case <-wake:
		}
	}
}

func (d *Driver) tick(ctx context.Context, edge *retry.Edge) {
	err := d.worker.Tick(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
	case err != nil:
		edge.Fail(ctx, err)
	default:
		edge.OK(ctx)
	}
}

func (d *Driver) finalFlush(ctx context.Context, restored bool) {
	if !restored {
		return
	}
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
	defer cancel()
	if err := d.worker.Tick(flushCtx); err != nil {
		d.logger.WarnContext(flushCtx, "presence changes still queued at shutdown were not written", slog.Any("error", err))
	}
}
