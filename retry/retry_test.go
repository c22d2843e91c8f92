package retry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDelayGrowsExponentiallyWithinJitterAndCap(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: 1600 * time.Millisecond}
	for failures, full := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond,
		5: 1600 * time.Millisecond, 9: 1600 * time.Millisecond,
	} {
		for range 200 {
			d := b.Delay(failures)
			if d < full/2 || d > full {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", failures, d, full/2, full)
			}
		}
	}
}

func TestDelayIsJittered(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Second}
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[b.Delay(1)] = true
	}
	if len(seen) < 2 {
		t.Fatalf("50 delays were all %v: no jitter", seen)
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep on a cancelled context reported true")
	}
	if !Sleep(context.Background(), time.Nanosecond) {
		t.Fatal("Sleep of 1 ns on a live context reported false")
	}
}

func TestDoRetriesOnlyRetryableErrors(t *testing.T) {
	transient, permanent := errors.New("transient"), errors.New("permanent")
	b := Backoff{Min: time.Nanosecond, Max: time.Nanosecond}
	calls := 0
	err := Do(context.Background(), b, func(err error) bool { return errors.Is(err, transient) },
		func(context.Context) error {
			calls++
			if calls < 3 {
				return transient
			}
			return nil
		})
	if err != nil || calls != 3 {
		t.Fatalf("Do = %v after %d calls, want nil after 3", err, calls)
	}
	calls = 0
	err = Do(context.Background(), b, func(err error) bool { return errors.Is(err, transient) },
		func(context.Context) error { calls++; return permanent })
	if !errors.Is(err, permanent) || calls != 1 {
		t.Fatalf("Do = %v after %d calls, want the permanent error after 1", err, calls)
	}
}

func TestDoGivesUpWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	transient := errors.New("transient")
	err := Do(ctx, Backoff{Min: time.Hour, Max: time.Hour}, func(error) bool { return true },
		func(context.Context) error { cancel(); return transient })
	if !errors.Is(err, transient) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want the last error joined with context.Canceled", err)
	}
}

func TestEdgeLogsOnlyTheEdges(t *testing.T) {
	var buf bytes.Buffer
	e := NewEdge(slog.New(slog.NewTextHandler(&buf, nil)), slog.LevelError, "outbox relay")
	ctx := context.Background()
	e.OK(ctx)
	for i := 1; i <= 5; i++ {
		if n := e.Fail(ctx, errors.New("db down")); n != i {
			t.Fatalf("Fail #%d returned %d", i, n)
		}
	}
	if !e.Failing() {
		t.Fatal("Failing() = false after failures")
	}
	e.OK(ctx)
	e.OK(ctx)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2 (failing, recovered):\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "level=ERROR") || !strings.Contains(lines[0], "outbox relay failing") || !strings.Contains(lines[0], "db down") {
		t.Errorf("first line %q: want the error at ERROR", lines[0])
	}
	if !strings.Contains(lines[1], "outbox relay recovered") || !strings.Contains(lines[1], "failedAttempts=5") {
		t.Errorf("second line %q: want the recovery with 5 failed attempts", lines[1])
	}
	if e.Failing() {
		t.Fatal("Failing() = true after OK")
	}
}
