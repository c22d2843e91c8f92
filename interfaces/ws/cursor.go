package ws

import "time"

// maxReplied bounds the seqs a cursor remembers from direct replies. Past
// it a session may see its own message once more as message_received,
// which clients already tolerate (they drop duplicates by messageId).
const maxReplied = 1024

// maxHeld bounds the messages a cursor holds back while an earlier seq is
// missing. The durable path fills every gap in the end; a gap that lets
// this many pile up means it is far behind (or a record was lost), and the
// session is closed so the client catches up with get_messages instead of
// the node buffering without limit.
const maxHeld = 1024

// cursor is a session's position in one channel's message stream, which
// it keeps exactly once and in order although a message can arrive twice
// (the live path right after the commit, the durable path through the
// broker later) and out of order (the live path of two nodes, or a live
// delivery lost to a crash that only the durable path makes up for).
//
// high is the last seq of the unbroken run the session has been sent or
// has skipped; a message at or below it is a repeat. A message above
// high+1 is held until the ones before it came. replied holds seqs above
// high that reached the client as message_sent: when the run reaches
// them they are skipped, not sent again, but a smaller seq still on its
// way (another user's message committed just before) still goes out.
type cursor struct {
	high    int64
	replied map[int64]struct{}
	// held maps a seq above high+1 to its frame.
	held map[int64][]byte
	// stalled is when the cursor last made progress while holding
	// something (zero when it holds nothing): a gap unfilled for too long
	// closes the session (Hub.closeStalled).
	stalled time.Time
}

// wants reports whether message seq is news to the cursor: neither passed
// nor held already. Callers encode a frame only when some cursor wants it.
func (c *cursor) wants(seq int64) bool {
	if seq <= c.high {
		return false
	}
	_, held := c.held[seq]
	return !held
}

// offer takes message seq with its frame (nil for the session's own
// message, which is moved past but never sent) at time now and returns the
// frames now due, in seq order: none while an earlier seq is missing,
// several when seq closes a gap. full reports that holding seq would pass
// maxHeld.
func (c *cursor) offer(seq int64, frame []byte, now time.Time) (due [][]byte, full bool) {
	if !c.wants(seq) {
		return nil, false
	}
	if seq > c.high+1 {
		if frame == nil {
			// The session's own message: nothing to send, so nothing to
			// hold; remembered like its reply. If that memory is full, its
			// copy on the durable path moves the run past it later.
			c.recordReply(seq)
			return nil, false
		}
		if len(c.held) >= maxHeld {
			return nil, true
		}
		if c.held == nil {
			c.held = make(map[int64][]byte)
		}
		if len(c.held) == 0 {
			c.stalled = now
		}
		c.held[seq] = frame
		return nil, false
	}
	defer func() {
		if len(c.held) == 0 {
			c.stalled = time.Time{}
		} else {
			c.stalled = now
		}
	}()
	due = c.pass(seq, frame, nil)
	for {
		next := c.high + 1
		if f, ok := c.held[next]; ok {
			delete(c.held, next)
			due = c.pass(next, f, due)
			continue
		}
		if _, ok := c.replied[next]; ok {
			due = c.pass(next, nil, due)
			continue
		}
		return due, false
	}
}

// pass moves high to seq (which is high+1), adding its frame to due unless
// the client has the message already.
func (c *cursor) pass(seq int64, frame []byte, due [][]byte) [][]byte {
	c.high = seq
	if _, ok := c.replied[seq]; ok {
		delete(c.replied, seq)
		return due
	}
	if frame != nil {
		due = append(due, frame)
	}
	return due
}

// recordReply notes that message seq reached the client as a direct reply.
// It sends nothing itself: the message's own event, which follows soon on
// the live path, moves the run on, so a later message_received never
// overtakes the reply the command is about to get.
func (c *cursor) recordReply(seq int64) {
	if seq <= c.high || len(c.replied) >= maxReplied {
		return
	}
	if c.replied == nil {
		c.replied = make(map[int64]struct{})
	}
	c.replied[seq] = struct{}{}
}

// firstHeld returns the lowest seq held, if any.
func (c *cursor) firstHeld() (int64, bool) {
	first, ok := int64(0), false
	for seq := range c.held {
		if !ok || seq < first {
			first, ok = seq, true
		}
	}
	return first, ok
}

// holding reports how many messages wait for an earlier seq.
func (c *cursor) holding() int { return len(c.held) }
