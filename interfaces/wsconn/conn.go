package wsconn

import (
	"bufio"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Conn is one server-side WebSocket connection. Frames for the client go
// through a bounded queue, so whoever produces a frame (an event router,
// the connection's own commands) never waits for the network.
//
// An idle connection costs no goroutine. Reading needs one only while the
// client's bytes arrive: an idle socket is parked in a poller, which has a
// pool worker read it when it becomes readable (reader.go). Writing needs
// one only while frames wait: the first frame queued on an empty queue
// starts a flusher (serve.go), which writes until the queue is empty and
// ends. Most connections are idle most of the time, and a goroutine parked
// on each of them cost a stack of 4 KB or more.
//
// The queue is a slice that grows on demand up to its bound instead of a
// channel allocated at full size: 256 empty slots cost 6 KB.
//
// A Conn exists before its upgrade: frames queued and a close requested
// meanwhile wait, and go out once Upgrade has attached the connection.
type Conn struct {
	mu         sync.Mutex
	queue      [][]byte // frames waiting for the flusher, oldest first
	inHand     int      // frames the flusher has taken and not yet written
	queueBound int      // most frames queue and inHand may hold together
	// soft and softInHand count the droppable frames (Offer) in queue and
	// in inHand; they do not count against queueBound.
	soft, softInHand int
	// released and releasedInHand count the frames a caller held back and
	// then released (EnqueueLaterReleased) in queue and in inHand; they do
	// not count against queueBound either.
	released, releasedInHand int
	// flushing is true while a flusher runs, and for good once one has
	// closed the connection, so that there is never more than one.
	flushing bool
	// holdReplies is true while a pool worker runs the client's commands
	// (serve.go): their replies wait for the worker to write them all at
	// once instead of each starting a flusher.
	holdReplies bool
	// ws, writeTimeout, readLimit, log and peer are set once, by attach,
	// when the connection is upgraded; cork just before, by the upgrade's
	// Hijack. Before that (and, in tests of whatever queues frames, always)
	// no flusher starts and frames wait in the queue.
	ws   *websocket.Conn
	cork *corkConn
	// rd is the buffered reader under ws, set with cork. Only whoever
	// reads ws looks at it, and only under peekMu (batch.go).
	rd *bufio.Reader
	// ahead is under rd when the connection allows it (readahead.go);
	// nil otherwise. The same rule as for rd applies.
	ahead        *readAhead
	peekMu       sync.Mutex
	writeTimeout time.Duration
	readLimit    int
	log          *slog.Logger
	peer         slog.LogValuer
	// reads stamps what arrives, for Silence (liveness.go).
	reads readStamps

	closing   chan struct{}
	closeOnce sync.Once
	// closeCode and closeReason are written once, before closing is closed.
	closeCode   websocket.StatusCode
	closeReason string
	// closed is closed when the flusher has closed the connection.
	closed chan struct{}

	// handle and ended are Start's; wake is readRound, bound once for the
	// poller. poll and token are set when the connection parks in a
	// poller while idle (reader.go), nil and 0 otherwise.
	handle Handler
	ended  func()
	wake   func()
	poll   *poller
	token  uint64
	// armed is set once the socket was first armed in the poller; reading
	// while a round runs, and from the upgrade until Start's first
	// parking, so that a close before Start does not end the connection
	// before ended is known. Both are under mu.
	armed, reading bool
	endOnce        sync.Once

	// afterEmptyTake, when set (tests only), runs when the flusher found
	// the queue empty, before it decides to stop.
	afterEmptyTake func()
	// afterPark, when set (tests only), runs when a round has parked the
	// socket; noPoll (tests only) makes the connection read in a
	// goroutine of its own, as without a poller.
	afterPark func()
	noPoll    bool
}

// New returns a connection that is not upgraded yet and whose queue holds
// at most queueBound frames.
func New(queueBound int) *Conn {
	return &Conn{
		queueBound: queueBound,
		closing:    make(chan struct{}),
		closed:     make(chan struct{}),
	}
}

// minQueueCap is the first capacity a queue grows to.
const minQueueCap = 8

// QueueBound is the most frames that may wait for the client.
func (c *Conn) QueueBound() int { return c.queueBound }

// Enqueue queues a frame without waiting and reports false when the queue
// is full. Full means QueueBound frames wait beyond the one frame being
// written; a batch the flusher has taken counts, but for that one frame,
// until it is written. The frame must not change afterwards.
func (c *Conn) Enqueue(frame []byte) bool {
	return c.push(frame, false)
}

// EnqueueReply queues the reply to a client's command like Enqueue, but
// while the connection's commands run on a worker it leaves the writing
// to that worker, which writes every reply of the frames it read together
// in one write(2).
func (c *Conn) EnqueueReply(frame []byte) bool {
	return c.push(frame, true)
}

func (c *Conn) push(frame []byte, reply bool) bool {
	ok, start := c.pushLater(frame, reply, false)
	if start {
		go c.flush()
	}
	return ok
}

// EnqueueLater queues frame like Enqueue but leaves starting the flusher
// to the caller: start is true when the caller must call Flush. A router
// queues a whole batch of events before it starts any flusher, so that a
// connection gets all its frames of the batch in one write(2).
func (c *Conn) EnqueueLater(frame []byte) (ok, start bool) {
	return c.pushLater(frame, false, false)
}

// EnqueueLaterReleased is EnqueueLater for a frame the caller held back in
// memory and now releases with others (a message that waited for an
// earlier one). Such frames are always queued and never count against
// QueueBound, while they wait or are written: they cost no new memory (the
// caller bounds what it holds) and do not mean the client is behind, and
// the frames that come after them meet the bound on their own.
func (c *Conn) EnqueueLaterReleased(frame []byte) (ok, start bool) {
	return c.pushLater(frame, false, true)
}

// Flush starts the flusher that EnqueueLater asked for.
func (c *Conn) Flush() { go c.flush() }

// pushLater queues frame unless the queue is full; a released frame
// (EnqueueLaterReleased) is always queued and counted apart.
func (c *Conn) pushLater(frame []byte, reply, released bool) (ok, start bool) {
	c.mu.Lock()
	if !released && c.fullLocked() {
		c.mu.Unlock()
		return false, false
	}
	c.appendLocked(frame)
	if released {
		c.released++
	}
	start = !(reply && c.holdReplies) && c.startFlushLocked()
	c.mu.Unlock()
	return true, start
}

// fullLocked reports whether QueueBound frames wait beyond the one being
// written, not counting droppable or released ones.
func (c *Conn) fullLocked() bool {
	return len(c.queue)-c.soft-c.released+max(c.inHand-c.softInHand-c.releasedInHand-1, 0) >= c.queueBound
}

func (c *Conn) appendLocked(frame []byte) {
	if len(c.queue) == cap(c.queue) {
		size := min(max(2*cap(c.queue), minQueueCap), c.queueBound)
		if size <= len(c.queue) {
			size = 2 * len(c.queue) // a released burst past the bound (EnqueueLaterReleased)
		}
		grown := make([][]byte, len(c.queue), size)
		copy(grown, c.queue)
		c.queue = grown
	}
	c.queue = append(c.queue, frame)
}

// Idle reports whether nothing is queued and no flusher runs: every frame
// queued so far has been written. Tests that count writes wait for it.
func (c *Conn) Idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) == 0 && c.inHand == 0 && !c.flushing
}

// startFlushLocked reports whether the caller must start a flusher: the
// connection is upgraded and none runs. The caller starts it after
// unlocking.
func (c *Conn) startFlushLocked() bool {
	if c.ws == nil || c.flushing {
		return false
	}
	c.flushing = true
	return true
}

// take hands the flusher every queued frame, oldest first, and gives the
// connection spare (emptied) as its next queue. The frames count against
// the bound until done.
func (c *Conn) take(spare [][]byte) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	frames := c.queue
	c.queue = spare[:0]
	c.inHand = len(frames)
	c.softInHand, c.soft = c.soft, 0
	c.releasedInHand, c.released = c.released, 0
	return frames
}

// done tells the connection that the frames taken last are written.
func (c *Conn) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inHand, c.softInHand, c.releasedInHand = 0, 0, 0
}

// Drain takes every queued frame out of the queue, oldest first, as a
// flusher would, and counts them as written. It is for a Conn that is
// never upgraded: tests of whatever queues frames read them here.
func (c *Conn) Drain() [][]byte {
	frames := c.take(nil)
	c.done()
	return frames
}

// stopFlush ends the flusher unless a frame or a close came in since it
// last looked. It decides under the lock that enqueue and close check, so
// either the flusher sees the new work or its producer starts a new one.
// The emptied queue is dropped: an idle connection keeps no slots.
func (c *Conn) stopFlush() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) > 0 || c.isClosing() {
		return false
	}
	c.queue = nil
	c.flushing = false
	return true
}

// Close asks the flusher to close the connection with code and reason,
// starting one if none runs, and returns at once. The first call wins: a
// connection dropped as a slow consumer keeps its code even if shutdown
// comes next. Frames being written go out first; queued ones are dropped.
func (c *Conn) Close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		close(c.closing)
		c.mu.Lock()
		start := c.startFlushLocked()
		c.mu.Unlock()
		if start {
			go c.flush()
		}
	})
}

// Closing is closed once Close has been called.
func (c *Conn) Closing() <-chan struct{} { return c.closing }

// Closed is closed once the connection is closed (handshake done, or the
// connection dropped).
func (c *Conn) Closed() <-chan struct{} { return c.closed }

// CloseStatus is the code and reason of the first Close call; valid once
// Closing is closed.
func (c *Conn) CloseStatus() (websocket.StatusCode, string) {
	select {
	case <-c.closing:
		return c.closeCode, c.closeReason
	default:
		return -1, ""
	}
}

// isClosing reports whether Close was called.
func (c *Conn) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// attach records the upgraded connection and what the flusher needs to
// write to it, and starts a flusher for anything that came before (a close
// requested during the upgrade).
func (c *Conn) attach(conn *websocket.Conn, opts Options) {
	c.mu.Lock()
	c.ws, c.writeTimeout, c.readLimit, c.log, c.peer = conn, opts.WriteTimeout, opts.ReadLimit, opts.Log, opts.Peer
	c.reading = true // Start's first round or parking ends it
	c.reads.heard()
	start := (len(c.queue) > 0 || c.isClosing()) && c.startFlushLocked()
	c.mu.Unlock()
	if start {
		go c.flush()
	}
}

// Abort drops the connection without a close handshake, for when a
// graceful close did not finish in time.
func (c *Conn) Abort() {
	c.mu.Lock()
	conn := c.ws
	c.mu.Unlock()
	if conn != nil {
		_ = conn.CloseNow() // already closed is fine: we only want it gone
	}
	// A parked connection has no reader to see it gone (the kernel drops
	// a closed socket from the poller), so a flusher must end it; one
	// that runs already will, its handshake cut short.
	c.Close(websocket.StatusGoingAway, "")
}
