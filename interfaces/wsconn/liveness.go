package wsconn

import (
	"sync/atomic"
	"time"
)

// epoch is the origin of the read stamps: they are monotonic nanoseconds
// since it, so that one atomic int64 holds a stamp.
var epoch = time.Now()

func stamp() int64 { return int64(time.Since(epoch)) }

// readStamps is when the client was last heard from. The reader writes
// them, two stores per message; a sweep over many connections reads them
// (Silence). There is no timer per connection: an idle connection's
// liveness costs these 16 bytes.
type readStamps struct {
	// last is when the last whole message (or a ping) arrived, or the
	// upgrade; 0 before it.
	last atomic.Int64
	// started is when the header of the message being read arrived; 0
	// while none is.
	started atomic.Int64
}

// heard records a whole message, a ping or the upgrade.
func (r *readStamps) heard()        { r.last.Store(stamp()) }
func (r *readStamps) headerIn()     { r.started.Store(stamp()) }
func (r *readStamps) messageIn()    { r.heard(); r.started.Store(0) }
func (r *readStamps) messageEnded() { r.started.Store(0) }

// Silence says, at now, how long the client has sent nothing whole: idle
// is the time since the last message or ping arrived (or the upgrade);
// stalled, while a message's header has arrived and the rest has not, is
// the time since that header (0 otherwise). Both are 0 before Upgrade.
// A sweep over connections closes those silent for too long.
func (c *Conn) Silence(now time.Time) (idle, stalled time.Duration) {
	last := c.reads.last.Load()
	if last == 0 {
		return 0, 0
	}
	at := now.Sub(epoch)
	idle = at - time.Duration(last)
	if started := c.reads.started.Load(); started != 0 {
		stalled = at - time.Duration(started)
	}
	return max(idle, 0), max(stalled, 0)
}
