package ws

// maxReplied bounds the seqs a cursor remembers from direct replies. Past
// it a session may see its own message once more as message_received,
// which clients already tolerate (they drop duplicates by messageId).
const maxReplied = 1024

// cursor is a session's position in one channel's message stream.
//
// high is the highest seq the session has been sent or has skipped; a
// message_received at or below it is a duplicate or would go backwards.
// replied holds seqs above high that reached the client as message_sent:
// their own event must not reach it again, but a smaller seq still in flight
// (another user's message committed just before) must, so a reply does not
// simply raise high.
type cursor struct {
	high    int64
	replied map[int64]struct{}
}

// accept reports whether message seq should be sent, and moves past it.
// Events of one channel arrive in seq order, so moving past seq never
// hides a message that is still to come.
func (c *cursor) accept(seq int64) bool {
	if seq <= c.high {
		return false
	}
	_, seen := c.replied[seq]
	c.advance(seq)
	return !seen
}

// advance moves past seq without sending it: the event of the session's own
// message, whose reply it already has.
func (c *cursor) advance(seq int64) {
	if seq <= c.high {
		return
	}
	c.high = seq
	for replied := range c.replied {
		if replied <= seq {
			delete(c.replied, replied)
		}
	}
}

// recordReply notes that message seq reached the client as a direct reply.
func (c *cursor) recordReply(seq int64) {
	if seq <= c.high || len(c.replied) >= maxReplied {
		return
	}
	if c.replied == nil {
		c.replied = make(map[int64]struct{})
	}
	c.replied[seq] = struct{}{}
}
