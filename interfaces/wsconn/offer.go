package wsconn

// Offer queues a frame the client can do without (a typing indicator)
// only if nothing waits in the queue, and reports whether it did. A
// connection that is behind (frames waiting because the client reads
// slower than they come) is the first place such frames are dropped: they
// never delay a frame that matters, never count against QueueBound, so
// they can never be why a connection is closed as a slow consumer, and at
// most one of them waits at a time.
func (c *Conn) Offer(frame []byte) bool {
	ok, start := c.OfferLater(frame)
	if start {
		go c.flush()
	}
	return ok
}

// OfferLater is Offer that leaves starting the flusher to the caller, like
// EnqueueLater.
func (c *Conn) OfferLater(frame []byte) (ok, start bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) > 0 || c.isClosing() {
		return false, false
	}
	c.appendLocked(frame)
	c.soft++
	return true, c.startFlushLocked()
}
