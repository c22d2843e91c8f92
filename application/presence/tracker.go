package presence

import (
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/chatd/chat/domain"
)

var _ Trigger = (*Tracker)(nil)

// trackerShards splits the users over independently locked shards, so
// heartbeats from many connections rarely wait on one another and no single
// map or slab has to grow by a million entries at once.
const trackerShards = 64

// DefaultTimeout is the presence timeout of the protocol when none is set.
const DefaultTimeout = 30 * time.Second

// Tracker is the Trigger of one node: a timing wheel per shard over a slab
// of fixed-size entries. An online user costs one slab entry (48 bytes:
// id, deadline, wheel links, its first connection's last heartbeat) and one
// map slot from id to entry; users with several connections keep the
// others in a side map. Every operation is O(1) except Expire, which visits
// only the wheel slots that came due. Time is an argument, never read, so
// tests drive it with a fake clock; it is safe for concurrent use.
type Tracker struct {
	timeout int64 // nanoseconds
	seed    maphash.Seed
	online  atomic.Int64
	shards  [trackerShards]shard
}

// NewTracker returns an empty tracker whose users time out after timeout
// without a heartbeat (DefaultTimeout when not positive).
func NewTracker(timeout time.Duration) *Tracker {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	t := &Tracker{timeout: int64(timeout), seed: maphash.MakeSeed()}
	tick := max(int64(timeout)/wheelTicksPerTimeout, int64(time.Microsecond))
	for i := range t.shards {
		t.shards[i].init(tick)
	}
	return t
}

// Beat records an online heartbeat of one connection at now.
func (t *Tracker) Beat(userID, sessionID string, now time.Time) bool {
	at, key := now.UnixNano(), t.connKey(sessionID)
	s := t.shardOf(userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(at)
	idx, ok := s.index[userID]
	if !ok {
		idx = s.alloc(userID)
		s.entries[idx].conn = connBeat{key: key, at: at}
		s.link(idx, at+t.timeout)
		s.record(userID, true, at)
		t.online.Add(1)
		return true
	}
	s.beatConn(idx, key, at, t.timeout)
	if deadline := at + t.timeout; deadline > s.entries[idx].deadline {
		s.unlink(idx)
		s.link(idx, deadline)
	}
	return false
}

// Leave records an explicit offline heartbeat of one connection at now.
func (t *Tracker) Leave(userID, sessionID string, now time.Time) bool {
	at, key := now.UnixNano(), t.connKey(sessionID)
	s := t.shardOf(userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(at)
	idx, ok := s.index[userID]
	if !ok {
		return false // offline already: nothing changes
	}
	latest, anyLeft := s.dropConn(idx, key, at, t.timeout)
	if !anyLeft {
		s.release(idx)
		s.record(userID, false, at)
		t.online.Add(-1)
		return true
	}
	// The remaining connections alone decide the deadline now, which may
	// move it earlier.
	s.unlink(idx)
	s.link(idx, latest+t.timeout)
	return false
}

// Adopt tracks userID as online until now + timeout, queueing nothing. A
// user tracked already keeps its state.
func (t *Tracker) Adopt(userID string, now time.Time) {
	at := now.UnixNano()
	s := t.shardOf(userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(at)
	if _, ok := s.index[userID]; ok {
		return
	}
	idx := s.alloc(userID)
	s.link(idx, at+t.timeout)
	t.online.Add(1)
}

// Expire takes offline the users whose deadline is not after now. Their
// change is dated at the deadline, when the last heartbeat ran out, so the
// recorded time does not depend on how often Expire runs.
func (t *Tracker) Expire(now time.Time) int {
	at := now.UnixNano()
	fired := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		s.start(at)
		fired += s.expire(at)
		s.mu.Unlock()
	}
	t.online.Add(int64(-fired))
	return fired
}

// Reannounce queues a Reclaim online change, dated now, for every tracked
// user.
func (t *Tracker) Reannounce(now time.Time) int {
	at := now.UnixNano()
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for userID := range s.index {
			s.pendingMap()[userID] = change{online: true, reclaim: true, at: at}
			n++
		}
		s.mu.Unlock()
	}
	return n
}

// TakeChanges appends the queued changes (the latest of each user) to buf
// and forgets them.
func (t *Tracker) TakeChanges(buf []Change) []Change {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for userID, c := range s.pending {
			buf = append(buf, c.public(userID))
		}
		s.pending = nil
		s.mu.Unlock()
	}
	return buf
}

// Requeue puts back changes that could not be written. A change queued
// since TakeChanges is newer and wins.
func (t *Tracker) Requeue(changes []Change) {
	for _, c := range changes {
		s := t.shardOf(c.UserID)
		s.mu.Lock()
		if _, newer := s.pending[c.UserID]; !newer {
			s.pendingMap()[c.UserID] = change{online: c.Status == domain.PresenceOnline, reclaim: c.Reclaim, at: c.LastEventAt.UnixNano()}
		}
		s.mu.Unlock()
	}
}

// Online reports how many users are online on this node.
func (t *Tracker) Online() int { return int(t.online.Load()) }

// Timeout reports after how long without a heartbeat a user goes offline.
func (t *Tracker) Timeout() time.Duration { return time.Duration(t.timeout) }

func (t *Tracker) shardOf(userID string) *shard {
	return &t.shards[maphash.String(t.seed, userID)&(trackerShards-1)]
}

// connKey identifies a connection by a 64-bit hash of its session id, so
// the tracker keeps 8 bytes per connection instead of the id; a collision
// (odds 2^-64 per pair of one user's connections) would only merge two
// connections' heartbeats. Zero means "no connection".
func (t *Tracker) connKey(sessionID string) uint64 {
	return maphash.String(t.seed, sessionID) | 1
}
