package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// allowed is AllowSend's verdict alone.
func allowed(l *PerUser, user string) bool {
	ok, _ := l.AllowSend(user)
	return ok
}

func newTestLimiter(rate float64, burst int) (*PerUser, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := NewPerUser(rate, burst)
	l.now = clock.now
	return l, clock
}

func TestBurstThenRate(t *testing.T) {
	l, clock := newTestLimiter(20, 40)
	for i := 0; i < 40; i++ {
		if !allowed(l, "alice") {
			t.Fatalf("send %d of the burst refused", i+1)
		}
	}
	if ok, wait := l.AllowSend("alice"); ok || wait != 50*time.Millisecond {
		t.Fatalf("41st send in the same instant: allowed %v, retry after %v; want refused, retry after 50ms (one token at 20/s)", ok, wait)
	}
	if !allowed(l, "bob") {
		t.Fatal("another user's bucket must be separate")
	}
	clock.t = clock.t.Add(50 * time.Millisecond) // one token at 20/s
	if !allowed(l, "alice") {
		t.Fatal("refilled token refused")
	}
	if allowed(l, "alice") {
		t.Fatal("only one token refills in 50ms")
	}
}

func TestSweepForgetsIdleUsersOnly(t *testing.T) {
	l, clock := newTestLimiter(1, 2)
	l.AllowSend("busy")
	l.AllowSend("busy")
	for i := 0; i < sweepEvery-3; i++ {
		l.AllowSend(fmt.Sprintf("idle-%d", i))
	}
	clock.t = clock.t.Add(10 * time.Second) // everyone refills
	l.AllowSend("busy")                     // the sweep runs on this call, then busy takes a token
	if got := l.tracked(); got != 1 {
		t.Fatalf("tracked = %d after sweep, want only the active user", got)
	}
	if !allowed(l, "busy") || allowed(l, "busy") {
		t.Fatal("a swept bucket must behave like a full one (burst 2)")
	}
}
