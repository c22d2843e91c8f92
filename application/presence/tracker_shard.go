package presence

import (
	"sync"
	"time"

	"github.com/chatd/chat/domain"
)

// The timing wheel of a shard has wheelSlots slots of timeout /
// wheelTicksPerTimeout each: every deadline (at most one timeout ahead)
// lands within the wheel's span of two timeouts, and a slot holds about
// 1/256 of the users, so Expire looks at few entries that are not due.
const (
	wheelTicksPerTimeout = 256
	wheelSlots           = 512 // a power of two, > 2 * wheelTicksPerTimeout
	noEntry              = int32(-1)
)

// shard is one lock's worth of users: an index from user id to slab entry,
// the slab, and the wheel that links the entries by deadline.
type shard struct {
	mu      sync.Mutex
	index   map[string]int32
	entries []entry
	free    int32                // first free entry, chained through next
	extra   map[int32][]connBeat // connections beyond an entry's first
	pending map[string]change    // queued status changes, latest per user

	tick    int64   // nanoseconds per wheel slot
	heads   []int32 // first entry of each slot
	cursor  int64   // tick number of the slot Expire visits first
	started bool    // cursor is set

	_ [64]byte // keeps neighbouring shards' locks off one cache line
}

// entry is one online user. prev is the previous entry of its slot's list,
// or -1-slot for the first entry of a slot, so unlinking needs no slot
// field; next is the next entry of the list (or of the free list).
type entry struct {
	userID     string
	deadline   int64
	prev, next int32
	conn       connBeat
}

// connBeat is the last online heartbeat of one connection.
type connBeat struct {
	key uint64 // hash of the session id; 0 when unused
	at  int64  // unix nanoseconds
}

// change is a queued status change.
type change struct {
	online  bool
	reclaim bool
	at      int64
}

func (c change) public(userID string) Change {
	status := domain.PresenceOffline
	if c.online {
		status = domain.PresenceOnline
	}
	return Change{
		UserPresence: domain.UserPresence{UserID: userID, Status: status, LastEventAt: time.Unix(0, c.at).UTC()},
		Reclaim:      c.reclaim,
	}
}

func (s *shard) init(tick int64) {
	s.index = make(map[string]int32)
	s.free = noEntry
	s.tick = tick
	s.heads = make([]int32, wheelSlots)
	for i := range s.heads {
		s.heads[i] = noEntry
	}
}

// start sets the wheel's cursor on first use, from the first time seen.
func (s *shard) start(at int64) {
	if !s.started {
		s.cursor, s.started = at/s.tick, true
	}
}

// record queues a status change; it replaces any change of the user still
// queued, which the store need not see.
func (s *shard) record(userID string, online bool, at int64) {
	s.pendingMap()[userID] = change{online: online, at: at}
}

func (s *shard) pendingMap() map[string]change {
	if s.pending == nil {
		s.pending = make(map[string]change)
	}
	return s.pending
}

// alloc takes a free entry (or grows the slab) for userID and indexes it.
func (s *shard) alloc(userID string) int32 {
	idx := s.free
	if idx != noEntry {
		s.free = s.entries[idx].next
		s.entries[idx] = entry{userID: userID}
	} else {
		idx = int32(len(s.entries))
		s.entries = append(s.entries, entry{userID: userID})
	}
	s.index[userID] = idx
	return idx
}

// release unlinks, unindexes and frees an entry, dropping its references
// so the user id and extra connections can be collected.
func (s *shard) release(idx int32) {
	s.unlink(idx)
	delete(s.index, s.entries[idx].userID)
	delete(s.extra, idx)
	s.entries[idx] = entry{next: s.free}
	s.free = idx
}

// link puts an entry in the slot of its deadline; a deadline before the
// cursor goes into the cursor's slot, which the next Expire visits.
func (s *shard) link(idx int32, deadline int64) {
	k := max(deadline/s.tick, s.cursor)
	slot := int32(k & (wheelSlots - 1))
	e := &s.entries[idx]
	e.deadline = deadline
	e.prev = -1 - slot
	e.next = s.heads[slot]
	if e.next != noEntry {
		s.entries[e.next].prev = idx
	}
	s.heads[slot] = idx
}

func (s *shard) unlink(idx int32) {
	e := &s.entries[idx]
	if e.prev >= 0 {
		s.entries[e.prev].next = e.next
	} else {
		s.heads[-1-e.prev] = e.next
	}
	if e.next != noEntry {
		s.entries[e.next].prev = e.prev
	}
}

// expire releases the entries due at at, visiting the slots from the
// cursor to at's slot (all of them at most once), and queues their offline
// changes. Entries of those slots not due yet stay: a slot is shared by
// deadlines one wheel span apart, and at's own slot is only partly due.
func (s *shard) expire(at int64) int {
	nowTick := at / s.tick
	visits := min(max(nowTick-s.cursor+1, 1), wheelSlots)
	fired := 0
	for i := range visits {
		slot := (s.cursor + i) & (wheelSlots - 1)
		for idx := s.heads[slot]; idx != noEntry; {
			e := &s.entries[idx]
			next := e.next
			if e.deadline <= at {
				s.record(e.userID, false, e.deadline)
				s.release(idx)
				fired++
			}
			idx = next
		}
	}
	s.cursor = max(s.cursor, nowTick)
	return fired
}

// beatConn records that connection key heartbeated at at, forgetting
// connections silent for longer than timeout.
func (s *shard) beatConn(idx int32, key uint64, at, timeout int64) {
	e := &s.entries[idx]
	if e.conn.key == key {
		e.conn.at = at // the common case: one device
		return
	}
	more, several := s.extra[idx]
	if !several {
		if e.conn.key == 0 || e.conn.at+timeout <= at {
			e.conn = connBeat{key: key, at: at}
			return
		}
		if s.extra == nil {
			s.extra = make(map[int32][]connBeat)
		}
		s.extra[idx] = []connBeat{{key: key, at: at}}
		return
	}
	found := false
	kept := more[:0]
	for _, c := range more {
		if c.key == key {
			c.at, found = at, true
		}
		if c.at+timeout > at {
			kept = append(kept, c)
		}
	}
	if !found {
		kept = append(kept, connBeat{key: key, at: at})
	}
	if e.conn.key == 0 || e.conn.at+timeout <= at {
		e.conn, kept = kept[len(kept)-1], kept[:len(kept)-1]
	}
	s.setExtra(idx, kept)
}

// dropConn forgets connection key (which said offline) and the connections
// silent for longer than timeout, and reports the latest heartbeat among
// the connections left, if any.
func (s *shard) dropConn(idx int32, key uint64, at, timeout int64) (latest int64, anyLeft bool) {
	e := &s.entries[idx]
	live := func(c connBeat) bool { return c.key != 0 && c.key != key && c.at+timeout > at }
	kept := s.extra[idx][:0]
	for _, c := range s.extra[idx] {
		if live(c) {
			kept = append(kept, c)
		}
	}
	if !live(e.conn) {
		e.conn = connBeat{}
		if len(kept) > 0 {
			e.conn, kept = kept[len(kept)-1], kept[:len(kept)-1]
		}
	}
	s.setExtra(idx, kept)
	if e.conn.key == 0 {
		return 0, false
	}
	latest = e.conn.at
	for _, c := range kept {
		latest = max(latest, c.at)
	}
	return latest, true
}

func (s *shard) setExtra(idx int32, conns []connBeat) {
	if len(conns) == 0 {
		delete(s.extra, idx)
		return
	}
	s.extra[idx] = conns
}
