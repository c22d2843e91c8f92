package wsconn

// A client's ping that arrives between messages is answered here, before
// coder/websocket sees it. The library answers a ping inside its Reader
// and then reads on for the next data frame, so a read round that let it
// read a lone ping stayed in that read: its worker waited in the socket
// until the client's next message, one goroutine per connection of a
// client that pings while idle (Python's websockets does every 20 s by
// default). Taken off the front of the read buffers, the ping leaves the
// round free to park.
//
// Only whole pings at a message boundary are taken: a ping inside a
// fragmented message, or one whose bytes have not all arrived, is left
// to the library as before, which answers it the same way.

// fillResult is what tryFill found in the socket.
type fillResult int

const (
	fillData  fillResult = iota // bytes were read into the read-ahead
	fillIdle                    // nothing to read yet
	fillEnded                   // the end of the stream or an error, which the next Read reports
)

// finPing and finPong are the first header bytes of a final ping and
// pong frame (RFC 6455 section 5.5).
const (
	finPing = 0x80 | 0x9
	finPong = 0x80 | 0xa
)

// answerPings answers the whole pings at the front of the read buffers,
// each pong written like the library's control frames (corkConn.Write,
// bounded by the write timeout), and reports whether the round must read
// on: other bytes are buffered, or the socket reported an end that the
// read will surface. fill says the poller has just reported the socket
// readable: when nothing is buffered yet, the socket is read once without
// waiting. The caller is a read round at a message boundary.
func (c *Conn) answerPings(fill bool) bool {
	if !c.peekMu.TryLock() {
		return true // the close handshake reads; the read that follows waits for it
	}
	defer c.peekMu.Unlock()
	for {
		buffered := c.rd.Buffered() + len(c.ahead.pending())
		if buffered == 0 {
			if !fill {
				return false
			}
			if c.isClosing() {
				return true // as before: the read waits for the close handshake and reports the end
			}
			fill = false
			switch c.ahead.tryFill() {
			case fillIdle:
				return false
			case fillEnded:
				return true
			}
			continue
		}
		head, _ := c.rd.Peek(c.rd.Buffered())
		size, ok := pingFrameSize(head, c.ahead.pending())
		if !ok || buffered < size {
			return true
		}
		// The bytes are in the read-ahead at worst, so this does not wait.
		frame, err := c.rd.Peek(size)
		if err != nil {
			return true
		}
		c.reads.heard()
		if _, err := c.cork.Write(pongFor(frame)); err != nil {
			// As a failed write of the flusher's: the connection is
			// broken or stuck, and the read that follows sees it closed.
			c.log.Info("pong write failed; dropping connection", c.peerAttr(), "err", err)
			_ = c.ws.CloseNow()
			return true
		}
		_, _ = c.rd.Discard(size)
	}
}

// pingFrameSize returns the size of the ping frame whose header starts the
// bytes of buffered followed by those of ahead; ok is false when they do
// not start with a whole header of a final, masked ping (a client masks
// every frame; an unmasked one is the library's to refuse).
func pingFrameSize(buffered, ahead []byte) (size int, ok bool) {
	var head [2]byte
	n := copy(head[:], buffered)
	n += copy(head[n:], ahead)
	if n < 2 || head[0] != finPing || head[1]&0x80 == 0 || head[1]&0x7f > 125 {
		return 0, false
	}
	return 2 + 4 + int(head[1]&0x7f), true
}

// pongFor returns the pong that answers a whole, masked ping frame: its
// payload unmasked, in a final frame a server sends unmasked.
func pongFor(ping []byte) []byte {
	key, payload := ping[2:6], ping[6:]
	pong := make([]byte, 2+len(payload))
	pong[0], pong[1] = finPong, byte(len(payload))
	for i, b := range payload {
		pong[2+i] = b ^ key[i%4]
	}
	return pong
}
