package presence

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

// wallClock is the real clock (the system adapter is out of this layer's
// reach).
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// discardStore accepts every change, as a database would between ticks.
type discardStore struct{}

func (discardStore) Record(context.Context, string, []Change) ([]domain.UserPresence, error) {
	return nil, nil
}
func (discardStore) Presences(context.Context, string, []string) ([]domain.UserPresence, error) {
	return nil, nil
}
func (discardStore) OwnedOnline(context.Context, string) ([]string, error) { return nil, nil }

func userIDs(n int) ([]string, []string) {
	users, sessions := make([]string, n), make([]string, n)
	for i := range users {
		users[i] = "user-" + strconv.Itoa(i)
		sessions[i] = "s-" + strconv.Itoa(i)
	}
	return users, sessions
}

// BenchmarkHeartbeat measures heartbeats handled per second by the use
// case with 100,000 users online, from as many goroutines as GOMAXPROCS
// (the gateway calls Heartbeat from each connection's reader goroutine),
// while a worker ticks as in production.
func BenchmarkHeartbeat(b *testing.B) {
	const online = 100_000
	users, sessions := userIDs(online)
	svc := NewService(discardStore{}, NewTracker(30*time.Second), wallClock{}, nil, Config{NodeID: "bench"})
	ctx := context.Background()
	in := HeartbeatInput{Status: "online"}
	for i := range users {
		if _, err := svc.Heartbeat(ctx, domain.Actor{UserID: users[i], SessionID: sessions[i]}, in); err != nil {
			b.Fatal(err)
		}
	}
	if err := svc.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the presence worker
		defer close(done)
		ticker := time.NewTicker(30 * time.Second / 32)
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				_ = svc.Tick(ctx)
			}
		}
	}()
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919)) // goroutines start at different users
		for pb.Next() {
			i = (i + 1) % online
			if _, err := svc.Heartbeat(ctx, domain.Actor{UserID: users[i], SessionID: sessions[i]}, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
	close(stop)
	<-done
	if svc.Online() != online {
		b.Fatalf("%d users online after the run, want %d", svc.Online(), online)
	}
}

// BenchmarkTrackerMemory measures the heap the tracker holds per online
// user: live heap after a GC, before and after 1,000,000 users went online
// (one connection each). The ids are allocated before the first reading:
// in the gateway they belong to the sessions, and the tracker only shares
// them. Run with -benchtime=1x; every iteration repeats the measurement.
func BenchmarkTrackerMemory(b *testing.B) {
	const n = 1_000_000
	users, sessions := userIDs(n)
	now := time.Now()
	for range b.N {
		before := liveHeap()
		tr := NewTracker(30 * time.Second)
		for i := range users {
			tr.Beat(users[i], sessions[i], now)
		}
		tr.TakeChanges(nil) // the worker would have written them
		after := liveHeap()
		b.ReportMetric(float64(after-before)/n, "bytes/user")
		runtime.KeepAlive(tr)
	}
	runtime.KeepAlive(users)
	runtime.KeepAlive(sessions)
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkExpireStorm measures taking offline 100,000 users whose
// timeouts ran out in the same tick (a network partition cut them off at
// once): the per-user cost of Expire plus TakeChanges, without the store.
func BenchmarkExpireStorm(b *testing.B) {
	const n = 100_000
	users, sessions := userIDs(n)
	now := time.Now()
	var buf []Change
	for range b.N {
		b.StopTimer()
		tr := NewTracker(30 * time.Second)
		for i := range users {
			tr.Beat(users[i], sessions[i], now)
		}
		buf = tr.TakeChanges(buf[:0])
		b.StartTimer()
		if got := tr.Expire(now.Add(time.Minute)); got != n {
			b.Fatalf("expired %d users, want %d", got, n)
		}
		buf = tr.TakeChanges(buf[:0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/user")
}
