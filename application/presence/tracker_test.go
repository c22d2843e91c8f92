package presence

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func online(userID string, d time.Duration) domain.UserPresence {
	return domain.UserPresence{UserID: userID, Status: domain.PresenceOnline, LastEventAt: at(d)}
}

func offline(userID string, d time.Duration) domain.UserPresence {
	return domain.UserPresence{UserID: userID, Status: domain.PresenceOffline, LastEventAt: at(d)}
}

func expectChanges(t *testing.T, tr *Tracker, want ...domain.UserPresence) {
	t.Helper()
	var got []domain.UserPresence
	for _, c := range tr.TakeChanges(nil) {
		if c.Reclaim {
			t.Fatalf("change %+v is a reclaim", c)
		}
		got = append(got, c.UserPresence)
	}
	slices.SortFunc(got, func(a, b domain.UserPresence) int { return compareStrings(a.UserID, b.UserID) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func expectExpire(t *testing.T, tr *Tracker, d time.Duration, want int) {
	t.Helper()
	if got := tr.Expire(at(d)); got != want {
		t.Fatalf("Expire at +%v took %d users offline, want %d", d, got, want)
	}
}

func TestTrackerTimeoutFiresOnceAtTheTimeout(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	if !tr.Beat("u1", "s1", at(0)) {
		t.Fatal("first heartbeat did not make the user online")
	}
	expectChanges(t, tr, online("u1", 0))
	expectExpire(t, tr, 30*time.Second-time.Nanosecond, 0)
	expectChanges(t, tr)
	expectExpire(t, tr, 30*time.Second, 1)
	expectChanges(t, tr, offline("u1", 30*time.Second))
	expectExpire(t, tr, 31*time.Second, 0)
	expectExpire(t, tr, 10*time.Minute, 0)
	expectChanges(t, tr)
	if n := tr.Online(); n != 0 {
		t.Fatalf("Online = %d after the timeout", n)
	}
}

func TestTrackerEachHeartbeatResetsTheTimeout(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	for _, d := range []time.Duration{0, 10 * time.Second, 20 * time.Second} {
		if tr.Beat("u1", "s1", at(d)) != (d == 0) {
			t.Fatalf("heartbeat at +%v reported the wrong change", d)
		}
		expectExpire(t, tr, d+time.Second, 0)
	}
	expectChanges(t, tr, online("u1", 0))
	expectExpire(t, tr, 50*time.Second-time.Millisecond, 0)
	expectExpire(t, tr, 50*time.Second, 1)
	expectChanges(t, tr, offline("u1", 50*time.Second))
}

func TestTrackerAnyDeviceKeepsTheUserOnline(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	tr.Beat("u1", "phone", at(0))
	tr.Beat("u1", "laptop", at(20*time.Second))
	expectChanges(t, tr, online("u1", 0))
	// The phone has been silent for 30 s; the laptop has not.
	expectExpire(t, tr, 30*time.Second, 0)
	expectExpire(t, tr, 50*time.Second, 1)
	expectChanges(t, tr, offline("u1", 50*time.Second))
}

func TestTrackerExplicitOffline(t *testing.T) {
	t.Run("the only device", func(t *testing.T) {
		tr := NewTracker(30 * time.Second)
		tr.Beat("u1", "phone", at(0))
		if !tr.Leave("u1", "phone", at(5*time.Second)) {
			t.Fatal("offline heartbeat of the only device did not make the user offline")
		}
		expectChanges(t, tr, offline("u1", 5*time.Second)) // the online change was never taken: latest wins
		expectExpire(t, tr, time.Hour, 0)
	})
	t.Run("another device heartbeating keeps the user online", func(t *testing.T) {
		tr := NewTracker(30 * time.Second)
		tr.Beat("u1", "phone", at(0))
		tr.Beat("u1", "laptop", at(20*time.Second))
		expectChanges(t, tr, online("u1", 0))
		if tr.Leave("u1", "laptop", at(21*time.Second)) {
			t.Fatal("the phone heartbeated 21 s ago, yet the user went offline")
		}
		expectChanges(t, tr)
		// Only the phone counts now: its timeout ends at +30 s, earlier than
		// the laptop's would have.
		expectExpire(t, tr, 30*time.Second-time.Millisecond, 0)
		expectExpire(t, tr, 30*time.Second, 1)
		expectChanges(t, tr, offline("u1", 30*time.Second))
	})
	t.Run("a silent device does not keep the user online", func(t *testing.T) {
		tr := NewTracker(30 * time.Second)
		tr.Beat("u1", "phone", at(0))
		tr.Beat("u1", "laptop", at(25*time.Second))
		tr.TakeChanges(nil)
		if !tr.Leave("u1", "laptop", at(31*time.Second)) {
			t.Fatal("the phone was silent for 31 s, yet it kept the user online")
		}
		expectChanges(t, tr, offline("u1", 31*time.Second))
	})
	t.Run("offline while offline changes nothing", func(t *testing.T) {
		tr := NewTracker(30 * time.Second)
		if tr.Leave("u1", "phone", at(0)) {
			t.Fatal("an offline heartbeat of an offline user reported a change")
		}
		expectChanges(t, tr)
	})
	t.Run("online again after offline", func(t *testing.T) {
		tr := NewTracker(30 * time.Second)
		tr.Beat("u1", "phone", at(0))
		tr.Leave("u1", "phone", at(time.Second))
		tr.TakeChanges(nil)
		if !tr.Beat("u1", "phone", at(2*time.Second)) {
			t.Fatal("an online heartbeat after offline did not make the user online")
		}
		expectChanges(t, tr, online("u1", 2*time.Second))
	})
}

func TestTrackerQuickReconnectDoesNotFlap(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	tr.Beat("u1", "s-old", at(0))
	expectChanges(t, tr, online("u1", 0))
	// The connection drops (the tracker is not told) and a new one
	// heartbeats 5 s later: no change at all.
	if tr.Beat("u1", "s-new", at(5*time.Second)) {
		t.Fatal("a reconnect within the timeout reported a change")
	}
	expectExpire(t, tr, 34*time.Second, 0)
	expectChanges(t, tr)

	// Timed out and back before the worker wrote the offline change: the
	// queue keeps only the latest status, which the store finds unchanged.
	expectExpire(t, tr, 35*time.Second, 1)
	tr.Beat("u1", "s-newer", at(36*time.Second))
	expectChanges(t, tr, online("u1", 36*time.Second))
}

func TestTrackerForgetsConnectionsThatWentSilent(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	// A user that stays online through 1000 reconnects, one a second.
	for i := range 1000 {
		tr.Beat("u1", "s-"+strconv.Itoa(i), at(time.Duration(i)*time.Second))
	}
	s := tr.shardOf("u1")
	if n := len(s.extra[s.index["u1"]]); n > 30 {
		t.Fatalf("tracker holds %d extra connections, want at most the 30 of the last timeout", n)
	}
	expectExpire(t, tr, 1029*time.Second, 1)
	if len(s.extra) != 0 || len(s.index) != 0 {
		t.Fatalf("state left after the user went offline: %d extra, %d indexed", len(s.extra), len(s.index))
	}
}

func TestTrackerAdoptTimesOutWithoutAnnouncingOnline(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	tr.Adopt("u1", at(0))
	tr.Adopt("u2", at(0))
	tr.Beat("u2", "s1", at(10*time.Second)) // u2 reconnected after the restart
	expectChanges(t, tr)
	expectExpire(t, tr, 30*time.Second, 1)
	expectChanges(t, tr, offline("u1", 30*time.Second))
	expectExpire(t, tr, 40*time.Second, 1)
	expectChanges(t, tr, offline("u2", 40*time.Second))
}

func TestTrackerRequeueKeepsNewerChanges(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	tr.Beat("u1", "s1", at(0))
	tr.Beat("u2", "s1", at(0))
	failed := tr.TakeChanges(nil)
	tr.Leave("u2", "s1", at(time.Second)) // newer than the failed write
	tr.Requeue(failed)
	expectChanges(t, tr, online("u1", 0), offline("u2", time.Second))
}

func TestTrackerReannounceQueuesEveryOnlineUser(t *testing.T) {
	tr := NewTracker(30 * time.Second)
	tr.Beat("u1", "s1", at(0))
	tr.Adopt("u2", at(0))
	tr.TakeChanges(nil)
	if n := tr.Reannounce(at(time.Second)); n != 2 {
		t.Fatalf("Reannounce queued %d users, want 2", n)
	}
	got := tr.TakeChanges(nil)
	slices.SortFunc(got, func(a, b Change) int { return compareStrings(a.UserID, b.UserID) })
	want := []Change{{online("u1", time.Second), true}, {online("u2", time.Second), true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	// A real change after the reclaim replaces it.
	tr.Reannounce(at(2 * time.Second))
	tr.Leave("u1", "s1", at(3*time.Second))
	tr.Adopt("u3", at(3*time.Second))
	got = tr.TakeChanges(nil)
	slices.SortFunc(got, func(a, b Change) int { return compareStrings(a.UserID, b.UserID) })
	want = []Change{{offline("u1", 3*time.Second), false}, {online("u2", 2*time.Second), true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("changes after a leave (-want +got):\n%s", diff)
	}
	// A failed reclaim is requeued as a reclaim.
	tr.Requeue(want)
	if diff := cmp.Diff(want, sortedChanges(tr.TakeChanges(nil))); diff != "" {
		t.Fatalf("requeued (-want +got):\n%s", diff)
	}
}

func sortedChanges(c []Change) []Change {
	slices.SortFunc(c, func(a, b Change) int { return compareStrings(a.UserID, b.UserID) })
	return c
}

// TestTrackerMatchesASimpleModel checks the wheel against a map of
// deadlines over random heartbeats and irregular Expire calls, including
// jumps longer than the wheel's span.
func TestTrackerMatchesASimpleModel(t *testing.T) {
	const timeout = time.Second
	rng := rand.New(rand.NewPCG(1, 2))
	tr := NewTracker(timeout)
	model := map[string]time.Time{} // user -> deadline
	now := t0
	for step := range 20000 {
		switch r := rng.IntN(100); {
		case r < 70:
			user := "u" + strconv.Itoa(rng.IntN(500))
			_, wasOnline := model[user]
			if tr.Beat(user, "s", now) == wasOnline {
				t.Fatalf("step %d: Beat(%s) change report disagrees with the model (online=%v)", step, user, wasOnline)
			}
			model[user] = now.Add(timeout)
		case r < 99:
			now = now.Add(time.Duration(rng.IntN(int(timeout / 20))))
		default:
			now = now.Add(time.Duration(rng.IntN(int(5 * timeout))))
		}
		if rng.IntN(4) == 0 {
			want := 0
			for user, deadline := range model {
				if !deadline.After(now) {
					delete(model, user)
					want++
				}
			}
			if got := tr.Expire(now); got != want {
				t.Fatalf("step %d: Expire took %d users offline, the model %d", step, got, want)
			}
			if tr.Online() != len(model) {
				t.Fatalf("step %d: Online = %d, model %d", step, tr.Online(), len(model))
			}
		}
	}
}
