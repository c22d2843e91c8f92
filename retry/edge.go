package retry

import (
	"context"
	"log/slog"
	"sync"
)

// Edge logs a repeated operation's failures on their edges: one line when
// it starts failing and one when it recovers (with the number of failed
// attempts), so an hour-long outage of a loop that retries every 100 ms
// is two log lines, not 36,000. It is safe for concurrent use.
type Edge struct {
	logger *slog.Logger
	level  slog.Level
	what   string

	mu       sync.Mutex
	failures int
}

// NewEdge returns an Edge that names the operation what ("outbox relay")
// and logs its failures at level (recoveries at Info).
func NewEdge(logger *slog.Logger, level slog.Level, what string) *Edge {
	return &Edge{logger: logger, level: level, what: what}
}

// Fail records a failed attempt and returns how many attempts in a row
// have failed; it logs err, with attrs, only for the first.
func (e *Edge) Fail(ctx context.Context, err error, attrs ...slog.Attr) int {
	e.mu.Lock()
	e.failures++
	n := e.failures
	e.mu.Unlock()
	if n == 1 {
		attrs = append(attrs, slog.Any("error", err))
		e.logger.LogAttrs(ctx, e.level, e.what+" failing; retrying", attrs...)
	}
	return n
}

// OK records a success; after failures it logs the recovery once.
func (e *Edge) OK(ctx context.Context) {
	e.mu.Lock()
	n := e.failures
	e.failures = 0
	e.mu.Unlock()
	if n > 0 {
		e.logger.LogAttrs(ctx, slog.LevelInfo, e.what+" recovered", slog.Int("failedAttempts", n))
	}
}

// Failing reports whether the last attempt failed.
func (e *Edge) Failing() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failures > 0
}
